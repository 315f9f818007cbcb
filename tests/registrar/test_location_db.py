"""The location table: write-through, restart, write-back, database-only sharing, a
database that goes away; on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from proxy.storage import admin
from proxy.storage.database import Database
from proxy.storage.url import parse_url
from tests.registrar.support import (
    Clock,
    Registrar,
    invite_to,
    received_from,
    register_request,
    run,
)


def rows(url: str) -> list[dict[str, Any]]:
    with Database.open(url) as db:
        found = db.select("location", order_by=["id"])
        for row in found:
            row["expires_dt"] = db.dialect.datetime_from(row["expires"])
        return found


def test_write_through_row_has_kamailios_columns(location_url: str) -> None:
    async def main() -> None:
        clock = Clock(time.time())
        reg = await Registrar(location_url, clock=clock).start()
        await reg.register(register_request(["<sip:alice@127.0.0.1:5099>"], expires=3600,
                                            call_id="2052609189@127.0.0.1", cseq=2))
        # written before the 200 was sent
        (row,) = rows(location_url)
        assert (row["username"], row["domain"], row["contact"]) == (
            "alice", "example.com", "sip:alice@127.0.0.1:5099")
        assert (row["callid"], row["cseq"], row["q"]) == ("2052609189@127.0.0.1", 2, -1.0)
        assert (row["received"], row["path"], row["methods"], row["instance"]) == (
            None, None, None, None)
        assert (row["socket"], row["connection_id"], row["user_agent"]) == (
            "udp:127.0.0.1:5060", -1, "test-ua 1.0")
        assert row["ruid"].startswith("uloc-")
        assert abs(row["expires_dt"].timestamp() - (clock.now + 3600)) < 2
        dump = await reg.rpc.dump()
        contact = dump["Domains"][0]["Domain"]["AoRs"][0]["Info"]["Contacts"][0]["Contact"]
        assert contact["State"] == "CS_SYNC" and contact["Ruid"] == row["ruid"]
        # a refresh updates the row, removal deletes it
        await reg.register(register_request(["<sip:alice@127.0.0.1:5099>"], expires=600,
                                            call_id="2052609189@127.0.0.1", cseq=3))
        (row,) = rows(location_url)
        assert row["cseq"] == 3
        await reg.register(register_request(["*"], expires=0,
                                            call_id="2052609189@127.0.0.1", cseq=4))
        assert rows(location_url) == []
        await reg.close()

    run(main)


def test_registrations_survive_a_restart(location_url: str) -> None:
    clock = Clock(time.time())

    async def first() -> None:
        reg = await Registrar(location_url, clock=clock).start()
        await reg.register(register_request(["<sip:alice@127.0.0.1:5099>"], expires=3600))
        await reg.register(register_request(["<sip:bob@127.0.0.1:5098>"], user="bob",
                                            expires=60), received_from(port=5098))
        await reg.close()

    async def second() -> None:
        clock.now += 120  # bob's registration ended while we were down
        reg = await Registrar(location_url, clock=clock).start()
        (alice,) = await reg.registrar.lookup(invite_to("alice"))
        assert alice.uri == "sip:alice@127.0.0.1:5099"
        assert await reg.registrar.lookup(invite_to("bob")) == []
        assert [r["username"] for r in rows(location_url)] == ["alice"]
        # the reloaded contact is refreshed as the same binding (same ruid)
        before = rows(location_url)[0]["ruid"]
        await reg.register(register_request(["<sip:alice@127.0.0.1:5099>"], cseq=2))
        assert [r["ruid"] for r in rows(location_url)] == [before]
        await reg.close()

    run(first)
    run(second)


def test_write_back_writes_on_the_timer_and_flush(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/k.sqlite"
    admin.create(parse_url(url))

    async def main() -> None:
        reg = await Registrar(url, usrloc__db_mode=2).start()
        await reg.register(register_request(["<sip:alice@127.0.0.1:5099>"]))
        assert rows(url) == []
        dump = await reg.rpc.dump()
        assert dump["Domains"][0]["Domain"]["AoRs"][0]["Info"]["Contacts"][0]["Contact"][
            "State"] == "CS_NEW"
        await reg.usrloc.tick()
        assert len(rows(url)) == 1
        await reg.register(register_request(["<sip:bob@127.0.0.1:5099>"], user="bob"))
        assert await reg.rpc.flush() == {}
        assert len(rows(url)) == 2
        await reg.close()

    run(main)


def test_database_only_mode_shares_one_table(location_url: str) -> None:
    clock = Clock(time.time())

    async def main() -> None:
        one = await Registrar(location_url, clock=clock, usrloc__db_mode=3).start()
        two = await Registrar(location_url, clock=clock, usrloc__db_mode=3).start()
        await one.register(register_request(["<sip:alice@127.0.0.1:5099>"]))
        (target,) = await two.registrar.lookup(invite_to("alice"))
        assert target.uri == "sip:alice@127.0.0.1:5099"
        found = await two.rpc.lookup("location", "alice@example.com")
        assert found["Contacts"][0]["Contact"]["Address"] == "sip:alice@127.0.0.1:5099"
        # a refresh through the other proxy is the same binding
        await two.register(register_request(["<sip:alice@127.0.0.1:5099>"], cseq=2))
        assert len(rows(location_url)) == 1
        # and it sees the CSeq the first one stored
        result = await two.register(register_request(["<sip:alice@127.0.0.1:5099>"], cseq=1))
        assert result.code == 500
        await two.rpc.rm("location", "alice@example.com")
        assert await one.registrar.lookup(invite_to("alice")) == []
        # expiry: the timer of either deletes the rows
        await one.register(register_request(["<sip:bob@127.0.0.1:5099>"], user="bob",
                                            expires=60))
        await one.rpc.add("location", "carol@example.com", "sip:carol@10.0.0.1", 0, 1.0, ".",
                          0, 0, 4294967295)
        clock.now += 61
        await two.usrloc.tick()
        assert [r["username"] for r in rows(location_url)] == ["carol"]  # permanent stays
        assert two.stat("usrloc", "location-expires") == 1
        await one.close()
        await two.close()

    run(main)


def test_database_down_keeps_registrations_in_memory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/later.sqlite"  # not created yet

    async def main() -> None:
        reg = await Registrar(url).start()
        result = await reg.register(register_request(["<sip:alice@127.0.0.1:5099>"]))
        assert result.code == 200
        assert await reg.registrar.lookup(invite_to("alice"))
        admin.create(parse_url(url))  # the database appears (kamctl db create)
        await reg.usrloc.tick()
        assert [r["username"] for r in rows(url)] == ["alice"]
        await reg.close()

    run(main)


def test_database_only_mode_without_database_refuses(tmp_path: Path) -> None:
    async def main() -> None:
        reg = await Registrar(f"sqlite:///{tmp_path}/none.sqlite", usrloc__db_mode=3).start()
        result = await reg.register(register_request(["<sip:alice@127.0.0.1:5099>"]))
        assert (result.code, result.reason) == (500, "Server Internal Error")
        assert await reg.registrar.lookup(invite_to("alice")) == []
        await reg.close()

    run(main)
