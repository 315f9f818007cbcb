"""The table-access API on every engine, and driver errors mapped to StorageError."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from proxy.storage import admin
from proxy.storage.database import Database
from proxy.storage.errors import (
    AuthFailed,
    DatabaseMissing,
    DriverMissing,
    IntegrityError,
    Locked,
    MissingTable,
    SchemaError,
    Unreachable,
    VersionMismatch,
)
from proxy.storage.query import Cmp, like
from proxy.storage.url import parse_url
from tests.support.proxy import free_port

ROW = {"setid": 1, "destination": "sip:a.example.com", "priority": 5, "description": "a"}


def test_insert_select_update_delete(any_url: str) -> None:
    with Database.open(any_url) as db:
        db.insert("dispatcher", ROW)
        db.insert("dispatcher", {**ROW, "destination": "sip:b.example.com", "priority": 7})
        rows = db.select("dispatcher", order_by=["-priority"])
        assert [r["destination"] for r in rows] == ["sip:b.example.com", "sip:a.example.com"]
        assert rows[0]["attrs"] == "" and rows[0]["flags"] == 0  # schema defaults
        assert db.count("dispatcher", {"priority": Cmp(">", 5)}) == 1
        assert db.update("dispatcher", {"flags": 2}, {"setid": 1}) == 2
        assert db.select_one("dispatcher", {"destination": like("%b.%")})["flags"] == 2  # type: ignore[index]
        assert db.delete("dispatcher", {"destination": "sip:a.example.com"}) == 1
        assert db.count("dispatcher") == 1
        assert db.select("dispatcher", {"destination": "nope"}) == []


def test_values_are_bound_not_pasted(any_url: str) -> None:
    nasty = "o'brien\"; DROP TABLE subscriber; --\\"
    with Database.open(any_url) as db:
        db.insert("dbaliases", {"alias_username": nasty, "username": "x", "domain": "d"})
        assert db.select_one("dbaliases", {"alias_username": nasty}) is not None
        assert "subscriber" in db.tables()


def test_null_conditions(any_url: str) -> None:
    with Database.open(any_url) as db:
        db.insert("domain", {"domain": "a.example.com"})
        db.insert("domain", {"domain": "b.example.com", "did": "b"})
        assert [r["domain"] for r in db.select("domain", {"did": None})] == ["a.example.com"]
        assert db.count("domain", {"did": Cmp("!=", None)}) == 1


def test_like_ignores_case_on_every_engine(any_url: str) -> None:
    with Database.open(any_url) as db:
        db.insert("grp", {"username": "Alice", "domain": "d", "grp": "local"})
        assert db.count("grp", {"username": like("al%")}) == 1
        assert db.count("grp", {"username": like("b%")}) == 0


def test_transaction_commits_or_rolls_back(any_url: str) -> None:
    with Database.open(any_url) as db:
        with db.transaction():
            db.insert("re_grp", {"reg_exp": "^sip:1", "group_id": 1})
        with pytest.raises(RuntimeError), db.transaction():
            db.insert("re_grp", {"reg_exp": "^sip:2", "group_id": 2})
            with db.transaction():  # nested blocks join the outer one
                db.insert("re_grp", {"reg_exp": "^sip:3", "group_id": 3})
            raise RuntimeError("boom")
        assert [r["group_id"] for r in db.select("re_grp")] == [1]
        assert not db.in_transaction


def test_constraint_violation_rolls_back_the_whole_transaction(any_url: str) -> None:
    with Database.open(any_url) as db:
        with pytest.raises(IntegrityError), db.transaction():
            db.insert("domain", {"domain": "x.example.com"})
            db.insert("domain", {"domain": "x.example.com"})
        assert db.count("domain") == 0


def test_insert_many_in_batches(any_url: str) -> None:
    rows = [{"reg_exp": f"^{i}", "group_id": i % 7} for i in range(2500)]
    with Database.open(any_url) as db:
        with db.transaction():
            assert db.insert_many("re_grp", iter(rows)) == 2500
        assert db.count("re_grp") == 2500
        assert db.count("re_grp", {"group_id": 3}) == len([r for r in rows if r["group_id"] == 3])


def test_tables_columns_versions(any_url: str) -> None:
    with Database.open(any_url) as db:
        assert {"version", "subscriber", "location"} <= db.tables()
        assert db.columns("subscriber")[:6] == [
            "id",
            "username",
            "domain",
            "password",
            "ha1",
            "ha1b",
        ]
        assert db.versions()["location"] == 9
        db.require("subscriber", "location")
        assert db.server_version()


def test_missing_table_says_how_to_fix(any_url: str) -> None:
    with Database.open(any_url) as db:
        with pytest.raises(MissingTable) as info:
            db.select("acc")
        assert "kamctl db create" in str(info.value)
        db.execute("DROP TABLE " + db.dialect.quote("grp"))
        with pytest.raises(MissingTable, match="grp"):
            db.require("grp")


def test_unknown_column(any_url: str) -> None:
    with Database.open(any_url) as db, pytest.raises(SchemaError):
        db.select("subscriber", {"rpid": "x"})


def test_version_mismatch_says_how_to_fix(any_url: str) -> None:
    with Database.open(any_url) as db:
        db.update("version", {"table_version": 6}, {"table_name": "subscriber"})
        with pytest.raises(VersionMismatch) as info:
            db.require("subscriber")
        assert "version 6" in str(info.value) and "expect 7" in str(info.value)
        assert "kamctl db reinit" in str(info.value)


def test_missing_database(fresh_url: str) -> None:
    with pytest.raises(DatabaseMissing) as info:
        Database.open(fresh_url)
    assert "kamctl db create" in str(info.value)


def test_sqlite_created_on_first_use_with_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "dir" / "k.sqlite"
    with Database.open(f"sqlite:///{path}", create=True) as db:
        assert db.engine.created
        db.require("subscriber", "location", "version")
    assert path.stat().st_mode & 0o777 == 0o660 & ~_umask()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    with Database.open(f"sqlite:///{path}", create=True) as again:
        assert not again.engine.created


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_sqlite_unopenable_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a dir")
    with pytest.raises(Unreachable) as info:
        Database.open(f"sqlite:///{blocker}/k.sqlite", create=True)
    assert str(blocker) in str(info.value)


def test_sqlite_not_a_database(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    with Database.open(f"sqlite:///{junk}") as db, pytest.raises(Exception) as info:
        db.tables()
    assert "not an SQLite database" in str(info.value)


def test_sqlite_lock_waits_then_reports_locked(tmp_path: Path) -> None:
    path = tmp_path / "k.sqlite"
    admin.create(parse_url(f"sqlite:///{path}"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Database.open(f"sqlite:///{path}", timeout=0.2) as db:
            with pytest.raises(Locked) as info:
                db.insert("re_grp", {"reg_exp": "x"})
            assert "locked by another process" in str(info.value)
            assert not db.in_transaction
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_server_unreachable() -> None:
    port = free_port()
    for url in (f"postgres://u:p@127.0.0.1:{port}/db", f"mysql://u:p@127.0.0.1:{port}/db"):
        try:
            with pytest.raises(Unreachable) as info:
                Database.open(url, timeout=2)
        except DriverMissing:
            continue
        assert str(port) in str(info.value) and ":p@" not in str(info.value)


def test_wrong_password(server_url: str) -> None:
    parsed = parse_url(server_url)
    wrong = server_url.replace(f":{parsed.password}@", ":wrong-password@")
    with pytest.raises(AuthFailed) as info:
        Database.open(wrong)
    assert "wrong-password" not in str(info.value)


def test_driver_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)  # makes "import psycopg" fail
    monkeypatch.setitem(sys.modules, "pymysql", None)
    with pytest.raises(DriverMissing) as info:
        Database.open("postgres://u:p@127.0.0.1:1/db")
    assert "pip install 'kamctl[postgres]'" in str(info.value)
    with pytest.raises(DriverMissing) as info:
        Database.open("mysql://u:p@127.0.0.1:1/db")
    assert "pip install 'kamctl[mysql]'" in str(info.value)


def test_reconnects_after_the_server_dropped_the_connection(server_url: str) -> None:
    with Database.open(server_url) as db, Database.open(server_url) as killer:
        if db.url.engine == "postgres":
            pid = db.execute("SELECT pg_backend_pid()")[0][0]
            killer.execute("SELECT pg_terminate_backend(%s)", [pid])
        else:
            pid = db.execute("SELECT CONNECTION_ID()")[0][0]
            killer.execute(f"KILL {int(pid)}")
        with pytest.raises(Unreachable):
            db.count("subscriber")
        assert db.count("subscriber") == 0  # a new connection, made on the next call
