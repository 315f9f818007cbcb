"""AsyncDatabase: queries run in one worker thread and never block the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from proxy.storage import admin
from proxy.storage.aio import AsyncDatabase
from proxy.storage.database import Database
from proxy.storage.errors import IntegrityError, Locked
from proxy.storage.url import parse_url


def test_queries_run_in_the_worker_thread(any_url: str) -> None:
    async def main() -> None:
        adb = await AsyncDatabase.open(any_url)
        try:
            await adb.insert("domain", {"domain": "a.example.com"})
            threads = await adb.run(lambda db: {threading.get_ident()})
            assert threading.get_ident() not in threads
            rows = await adb.select("domain", {"domain": "a.example.com"})
            assert rows[0]["domain"] == "a.example.com"
            assert await adb.count("domain") == 1
            assert await adb.update("domain", {"did": "a"}, {"domain": "a.example.com"}) == 1
            assert (await adb.select_one("domain"))["did"] == "a"  # type: ignore[index]
            await adb.require("domain")
            assert await adb.delete("domain", None) == 1
        finally:
            await adb.close()

    asyncio.run(main())


def test_transaction_rolls_back_in_the_worker(any_url: str) -> None:
    def two_inserts(db: Database) -> None:
        db.insert("domain", {"domain": "b.example.com"})
        db.insert("domain", {"domain": "b.example.com"})  # duplicate: fails

    async def main() -> int:
        adb = await AsyncDatabase.open(any_url)
        try:
            with pytest.raises(IntegrityError):
                await adb.transaction(two_inserts)
            return await adb.count("domain")
        finally:
            await adb.close()

    assert asyncio.run(main()) == 0


def test_the_loop_keeps_running_while_a_query_waits(tmp_path: Path) -> None:
    """A query stuck behind another process's lock (here for ~1 s) does not stop the loop."""
    path = tmp_path / "k.sqlite"
    admin.create(parse_url(f"sqlite:///{path}"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")

    async def main() -> tuple[int, BaseException | None]:
        adb = await AsyncDatabase.open(f"sqlite:///{path}", timeout=1.0)
        ticks = 0
        try:
            query = asyncio.ensure_future(adb.insert("re_grp", {"reg_exp": "x"}))
            while not query.done() and ticks < 1000:
                await asyncio.sleep(0.01)
                ticks += 1
            try:
                await query
            except Locked as exc:
                return ticks, exc
            return ticks, None
        finally:
            await adb.close()

    try:
        ticks, error = asyncio.run(main())
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert isinstance(error, Locked)
    assert ticks >= 20  # the loop ran (about 100 ticks of 10 ms) while the query waited


def test_open_failure_is_a_storage_error(tmp_path: Path) -> None:
    from proxy.storage.errors import DatabaseMissing

    async def main() -> None:
        await AsyncDatabase.open(f"sqlite:///{tmp_path}/missing.sqlite")

    with pytest.raises(DatabaseMissing):
        asyncio.run(main())
