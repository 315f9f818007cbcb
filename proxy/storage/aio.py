"""The table-access API for asyncio code: every query runs in one worker thread.

kamproxy must never block its event loop on a network database, so an
:class:`AsyncDatabase` owns a :class:`~proxy.storage.database.Database` that lives in
a single dedicated thread (the DB-API connection is used by that thread only, which
SQLite requires) and awaits each call's result. Calls are served in order; a slow
query delays other queries, never SIP processing.

Several statements that must commit together go in one function given to
:meth:`AsyncDatabase.transaction`, which runs it in the worker inside a transaction.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from proxy.storage.database import Database, Row
from proxy.storage.engines.base import DEFAULT_TIMEOUT
from proxy.storage.query import Where
from proxy.storage.url import DbUrl

T = TypeVar("T")


class AsyncDatabase:
    def __init__(self, executor: ThreadPoolExecutor, db: Database) -> None:
        self._executor = executor
        self._db = db
        self.url = db.url

    @classmethod
    async def open(
        cls, url: str | DbUrl, *, create: bool = False, timeout: float = DEFAULT_TIMEOUT
    ) -> AsyncDatabase:
        """Connect in the worker thread (which the connection then stays bound to)."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kamproxy-db")
        loop = asyncio.get_running_loop()
        try:
            db = await loop.run_in_executor(
                executor, functools.partial(Database.open, url, create=create, timeout=timeout)
            )
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, db)

    async def run(self, fn: Callable[[Database], T]) -> T:
        """``fn(db)`` in the worker thread (no transaction of its own)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, self._db)

    async def transaction(self, fn: Callable[[Database], T]) -> T:
        """``fn(db)`` in the worker, inside one transaction (rolled back if it raises)."""

        def job(db: Database) -> T:
            with db.transaction():
                return fn(db)

        return await self.run(job)

    async def select(
        self,
        table: str,
        where: Where | None = None,
        *,
        columns: Sequence[str] | None = None,
        order_by: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Row]:
        return await self.run(
            lambda db: db.select(table, where, columns=columns, order_by=order_by, limit=limit)
        )

    async def select_one(self, table: str, where: Where | None = None) -> Row | None:
        return await self.run(lambda db: db.select_one(table, where))

    async def count(self, table: str, where: Where | None = None) -> int:
        return await self.run(lambda db: db.count(table, where))

    async def insert(self, table: str, row: Mapping[str, Any]) -> None:
        await self.run(lambda db: db.insert(table, row))

    async def update(self, table: str, values: Mapping[str, Any], where: Where | None) -> int:
        return await self.run(lambda db: db.update(table, values, where))

    async def delete(self, table: str, where: Where | None) -> int:
        return await self.run(lambda db: db.delete(table, where))

    async def require(self, *names: str) -> None:
        await self.run(lambda db: db.require(*names))

    async def close(self) -> None:
        """Close the connection in its thread, then stop the thread."""
        try:
            await self.run(lambda db: db.close())
        finally:
            self._executor.shutdown(wait=False)
