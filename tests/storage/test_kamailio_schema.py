"""Compatibility with Debian's Kamailio 5.6 tools on SQLite.

* the tables we create equal those of ``kamdbctl create`` (columns, types, defaults,
  NOT NULL, primary keys, indexes with their names and columns, version rows), apart
  from our extra subscriber columns;
* Debian's ``kamctl add``/``show``/``passwd`` work on a database we created;
* our ``kamctl show``/``passwd`` work on a user Debian's kamctl added, in a database
  Debian's kamdbctl created; ``kamctl db create`` adds our columns there and Debian's
  kamctl still works.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from proxy.storage import admin
from proxy.storage.schema import EXTRA_SUBSCRIBER_COLUMNS, TABLES
from proxy.storage.url import parse_url
from tests.storage.support import kamctl, subscribers
from tests.support.tools import require

KAMDBCTL = "/usr/sbin/kamdbctl"
KAMCTL = "/usr/sbin/kamctl"
EXTRA = {c.name for c in EXTRA_SUBSCRIBER_COLUMNS}


def _kamailio_env(db: Path, home: Path, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "DBENGINE": "SQLITE",
        "DB_PATH": str(db),
        "INSTALL_EXTRA_TABLES": "no",
        "INSTALL_PRESENCE_TABLES": "no",
        "INSTALL_DBUID_TABLES": "no",
        "STORE_PLAINTEXT_PW": "1",
    }
    env.update(extra)
    return env


def kamailio_tool(tool: str, args: list[str], db: Path, home: Path, **extra: str) -> Any:
    require(tool, "Debian packages kamailio and kamailio-sqlite-modules")
    require("sqlite3", "Debian package sqlite3")
    return subprocess.run(
        [tool, *args],
        env=_kamailio_env(db, home, **extra),
        input="y\ny\ny\n",  # any question kamdbctl might still ask
        capture_output=True,
        text=True,
        timeout=60,
        cwd=home,
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def kamailio_db(tmp_path: Path, home: Path) -> Path:
    """A database made by Debian's ``kamdbctl create``."""
    db = tmp_path / "kamailio-made.sqlite"
    done = kamailio_tool(KAMDBCTL, ["create"], db, home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Core Kamailio tables successfully created" in done.stdout
    return db


@pytest.fixture
def our_db(tmp_path: Path) -> Path:
    db = tmp_path / "ours.sqlite"
    admin.create(parse_url(f"sqlite:///{db}"))
    return db


def describe(path: Path) -> dict[str, Any]:
    """Everything SQLite says about our tables: PRAGMA table_info/index_list/index_info."""
    conn = sqlite3.connect(path)
    try:
        tables: dict[str, Any] = {}
        for table in TABLES:
            columns = conn.execute(f'PRAGMA table_info("{table.name}")').fetchall()
            indexes = []
            for _seq, name, unique, origin, partial in conn.execute(
                f'PRAGMA index_list("{table.name}")'
            ).fetchall():
                cols = [r[2] for r in conn.execute(f'PRAGMA index_info("{name}")').fetchall()]
                indexes.append((name, unique, origin, partial, tuple(cols)))
            tables[table.name] = {"columns": columns, "indexes": sorted(indexes)}
        versions = dict(conn.execute("SELECT table_name, table_version FROM version").fetchall())
        return {"tables": tables, "versions": versions}
    finally:
        conn.close()


def test_schema_equals_kamdbctl_create(kamailio_db: Path, our_db: Path) -> None:
    theirs, ours = describe(kamailio_db), describe(our_db)
    for table in TABLES:
        mine = ours["tables"][table.name]
        their = theirs["tables"][table.name]
        assert their["columns"], f"kamdbctl made no table {table.name}"
        kamailio_part = [c for c in mine["columns"] if c[1] not in EXTRA]
        assert kamailio_part == their["columns"], table.name
        assert mine["indexes"] == their["indexes"], table.name
    extra = [c for c in ours["tables"]["subscriber"]["columns"] if c[1] in EXTRA]
    assert [c[1] for c in extra] == [c.name for c in EXTRA_SUBSCRIBER_COLUMNS]
    assert all(c[2] == "VARCHAR(128)" and c[3] == 1 and c[4] == "''" for c in extra)
    for table in TABLES:
        assert ours["versions"][table.name] == theirs["versions"][table.name], table.name
    assert set(ours["versions"]) == {t.name for t in TABLES}


def test_debian_kamctl_works_on_our_database(our_db: Path, home: Path) -> None:
    added = kamailio_tool(KAMCTL, ["add", "alice@example.com", "secret"], our_db, home)
    assert added.returncode == 0, added.stdout + added.stderr
    assert "new user 'alice@example.com' added" in added.stdout
    shown = kamailio_tool(KAMCTL, ["show", "alice@example.com"], our_db, home)
    assert shown.returncode == 0
    assert (
        "|alice|example.com|secret|b1726872c344b6dc8365b774f8fd6412|"
        "c79656e4f06dbae9fdf6727654273c65|" in shown.stdout
    )
    again = kamailio_tool(KAMCTL, ["add", "alice@example.com", "secret"], our_db, home)
    assert again.returncode == 1 and "already exists" in again.stdout
    changed = kamailio_tool(KAMCTL, ["passwd", "alice@example.com", "newpw"], our_db, home)
    assert "password change succeeded" in changed.stdout
    rows = subscribers(f"sqlite:///{our_db}")
    assert rows[0]["ha1"] == "c43bab084538bd110e94defd0eacba6d"
    assert rows[0]["ha1_sha256"] == ""  # Kamailio's kamctl leaves our columns at their default


def test_our_kamctl_on_a_user_debian_kamctl_added(kamailio_db: Path, home: Path) -> None:
    url = f"sqlite:///{kamailio_db}"
    added = kamailio_tool(KAMCTL, ["add", "bob@example.com", "secret"], kamailio_db, home)
    assert added.returncode == 0, added.stdout + added.stderr
    shown = kamctl(["show", "bob@example.com", "--show-password"], home=home, db=url)
    assert shown.code == 0, shown.output
    assert "username: bob" in shown.stdout and "password: secret" in shown.stdout
    assert f"ha1: {_md5('bob:example.com:secret')}" in shown.stdout
    # The table Kamailio made has no SHA columns: passwd stores MD5 and says what is missing.
    changed = kamctl(["passwd", "bob@example.com", "newpw"], home=home, db=url)
    assert changed.code == 0, changed.output
    assert "not stored: SHA-256, SHA-512-256" in changed.stdout
    row = subscribers(url)[0]
    assert row["ha1"] == _md5("bob:example.com:newpw")
    assert row["ha1b"] == _md5("bob@example.com:example.com:newpw")
    assert row["password"] == ""  # we store no cleartext unless configured
    assert "ha1_sha256" not in row


def test_db_create_adds_our_columns_and_kamailio_still_works(kamailio_db: Path, home: Path) -> None:
    url = f"sqlite:///{kamailio_db}"
    kamailio_tool(KAMCTL, ["add", "carol@example.com", "pw1"], kamailio_db, home)
    created = kamctl(["db", "create"], home=home, db=url)
    assert created.code == 0, created.output
    assert "added columns: subscriber.ha1_sha256" in created.stdout
    again = kamctl(["db", "create"], home=home, db=url)
    assert "nothing to do" in again.stdout
    added = kamctl(["add", "dave@example.com", "pw2"], home=home, db=url)
    assert added.code == 0, added.output
    assert "SHA-256 (ha1_sha256, ha1b_sha256)" in added.stdout
    theirs = kamailio_tool(KAMCTL, ["add", "erin@example.com", "pw3"], kamailio_db, home)
    assert theirs.returncode == 0 and "added" in theirs.stdout
    shown = kamailio_tool(KAMCTL, ["show", "dave@example.com"], kamailio_db, home)
    assert "|dave|example.com||" + _md5("dave:example.com:pw2") in shown.stdout
    names = [r["username"] for r in subscribers(url)]
    assert names == ["carol", "dave", "erin"]


def _md5(text: str) -> str:
    import hashlib

    return hashlib.md5(text.encode()).hexdigest()
