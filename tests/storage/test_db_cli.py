"""kamctl db create|drop|reinit|show|version on every engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from proxy.storage.database import Database
from proxy.storage.schema import TABLES
from proxy.storage.url import parse_url
from tests.storage.support import kamctl


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def _exists(url: str) -> bool:
    from proxy.storage.errors import DatabaseMissing

    try:
        Database.open(url).close()
    except DatabaseMissing:
        return False
    return True


def test_create_is_idempotent(home: Path, fresh_url: str) -> None:
    first = kamctl(["db", "create"], home=home, db=fresh_url)
    assert first.code == 0, first.output
    assert "created the database" in first.stdout
    assert f"created {len(TABLES)} tables: version, subscriber, location" in first.stdout
    again = kamctl(["db", "create"], home=home, db=fresh_url)
    assert again.code == 0
    assert "nothing to do" in again.stdout and "created" not in again.stdout
    with Database.open(fresh_url) as db:
        db.require(*(t.name for t in TABLES))
        db.execute("DROP TABLE " + db.dialect.quote("trusted"))
        db.update("version", {"table_version": 5}, {"table_name": "address"})
        db.delete("version", {"table_name": "trusted"})
    repaired = kamctl(["db", "create"], home=home, db=fresh_url)
    assert repaired.code == 0
    assert "created 1 tables: trusted" in repaired.stdout
    assert "warning: table address has version 5, Kamailio 5.6 uses 6" in repaired.stderr
    with Database.open(fresh_url) as db:
        assert db.versions()["trusted"] == 6 and db.versions()["address"] == 5


def test_drop_asks_first(home: Path, any_url: str) -> None:
    refused = kamctl(["db", "drop"], home=home, db=any_url, input="n\n")
    assert refused.code == 1 and "Drop " in refused.stderr and "nothing done" in refused.stderr
    assert _exists(any_url)
    no_answer = kamctl(["db", "drop"], home=home, db=any_url, input="")
    assert no_answer.code == 1 and _exists(any_url)
    done = kamctl(["db", "drop"], home=home, db=any_url, input="y\n")
    assert done.code == 0, done.output
    assert not _exists(any_url)
    gone = kamctl(["db", "drop", "--yes"], home=home, db=any_url)
    assert gone.code == 1 and "does not exist" in gone.stderr


def test_sqlite_drop_removes_wal_files(home: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/k.sqlite"
    assert kamctl(["add", "a@example.com", "x"], home=home, db=url).code == 0
    assert kamctl(["db", "drop", "-y"], home=home, db=url).code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_reinit(home: Path, any_url: str) -> None:
    assert kamctl(["add", "alice@example.com", "x"], home=home, db=any_url).code == 0
    refused = kamctl(["db", "reinit"], home=home, db=any_url, input="n\n")
    assert refused.code == 1
    assert kamctl(["show", "alice@example.com"], home=home, db=any_url).code == 0
    done = kamctl(["db", "reinit", "--yes"], home=home, db=any_url)
    assert done.code == 0, done.output
    assert "dropped" in done.stdout and f"created {len(TABLES)} tables" in done.stdout
    assert kamctl(["show", "alice@example.com"], home=home, db=any_url).code == 1


def test_show_table(home: Path, any_url: str) -> None:
    kamctl(["add", "alice@example.com", "x"], home=home, db=any_url)
    shown = kamctl(["db", "show", "version", "-F", "json"], home=home, db=any_url)
    assert shown.code == 0
    versions = {r["table_name"]: r["table_version"] for r in json.loads(shown.stdout)}
    assert versions["subscriber"] == 7
    table = kamctl(["db", "show", "subscriber"], home=home, db=any_url)
    assert "alice" in table.stdout and "ha1_sha256" in table.stdout
    limited = kamctl(["db", "show", "version", "-F", "csv", "--limit", "2"], home=home, db=any_url)
    assert len(limited.stdout.splitlines()) == 3
    empty = kamctl(["db", "show", "location"], home=home, db=any_url)
    assert empty.code == 0 and "table location is empty" in empty.stderr
    missing = kamctl(["db", "show", "acc"], home=home, db=any_url)
    assert missing.code == 1 and "no table acc" in missing.stderr
    bad = kamctl(["db", "show", "x; drop table version"], home=home, db=any_url)
    assert bad.code == 2 and "not a valid table" in bad.stderr


def test_version(home: Path, any_url: str) -> None:
    with Database.open(any_url) as db:
        db.update("version", {"table_version": 8}, {"table_name": "location"})
        db.insert("version", {"table_name": "acc", "table_version": 5})
    result = kamctl(["db", "version", "-F", "json"], home=home, db=any_url)
    assert result.code == 0
    rows = {r["table"]: r for r in json.loads(result.stdout)}
    assert rows["subscriber"] == {
        "table": "subscriber",
        "version": 7,
        "expected": 7,
        "status": "ok",
    }
    assert rows["location"]["status"] == "different"
    assert rows["acc"]["status"] == "not ours"
    text = kamctl(["db", "version"], home=home, db=any_url)
    engine = parse_url(any_url).engine
    assert {"sqlite": "SQLite 3", "postgres": "PostgreSQL ", "mysql": "MariaDB "}[
        engine
    ] in text.stdout


def test_version_of_a_non_kamailio_database(home: Path, tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "other.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE t (a INT)").connection.close()
    result = kamctl(["db", "version"], home=home, db=f"sqlite:///{path}")
    assert result.code == 4 and "no version table" in result.stderr


def test_create_on_an_unreachable_server(home: Path) -> None:
    from tests.support.proxy import free_port

    result = kamctl(["db", "create"], home=home, db=f"postgres://u:p@127.0.0.1:{free_port()}/k")
    assert result.code == 4 and "cannot reach" in result.stderr
