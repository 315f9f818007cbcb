"""Backup and restore: the JSON-lines format, round trips across engines, all-or-nothing."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import pytest

from proxy.storage import admin
from proxy.storage.backup import BackupError, dump, read, restore
from proxy.storage.database import Database
from proxy.storage.url import parse_url
from tests.storage.support import kamctl

EXPIRES = datetime(2031, 1, 2, 3, 4, 5)


def _fill(db: Database) -> None:
    db.insert("subscriber", {"username": "alice", "domain": "example.com", "ha1": "a" * 32})
    db.insert("subscriber", {"username": "bob", "domain": "example.com", "ha1": "b" * 32})
    db.insert("domain", {"domain": "example.com", "did": None})
    db.insert(
        "location",
        {
            "ruid": "r1",
            "username": "alice",
            "contact": "sip:alice@192.0.2.1",
            "expires": db.dialect.datetime_value(EXPIRES),
            "q": 0.5,
        },
    )


def _dump(url: str) -> str:
    out = io.StringIO()
    with Database.open(url) as db:
        dump(db, out)
    return out.getvalue()


def _content(url: str) -> dict[str, list[dict[str, object]]]:
    """Rows of a few tables, timestamps as datetimes whatever the engine stores."""
    from proxy.storage.schema import table

    with Database.open(url) as db:
        result = {}
        for name in ("subscriber", "domain", "version", "location"):
            times = [c.name for c in table(name).columns if c.type == "timestamp"]
            result[name] = [
                {**r, **{t: db.dialect.datetime_from(r[t]) for t in times}}
                for r in db.select(name, order_by=["id"])
            ]
        return result


def test_format(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/k.sqlite"
    admin.create(parse_url(url))
    with Database.open(url) as db:
        _fill(db)
    lines = _dump(url).splitlines()
    header = json.loads(lines[0])
    assert header["format"] == "kamctl-db-backup" and header["version"] == 1
    assert header["tables"][:2] == ["version", "subscriber"]
    assert json.loads(lines[1]) == {
        "table": "version",
        "columns": ["id", "table_name", "table_version"],
    }
    assert json.loads(lines[-1]) == {"end": True, "rows": 13 + 4}


def test_round_trip_between_engines(any_url: str, tmp_path: Path) -> None:
    """sqlite -> engine -> sqlite: the same rows, timestamps converted both ways."""
    source = f"sqlite:///{tmp_path}/source.sqlite"
    admin.create(parse_url(source))
    with Database.open(source) as db:
        _fill(db)
    backup = read(io.StringIO(_dump(source)))
    with Database.open(any_url) as db:
        db.insert("domain", {"domain": "replaced.example.com"})
        assert restore(db, backup) == 17
    assert _content(any_url)["subscriber"] == _content(source)["subscriber"]
    assert _content(any_url)["domain"] == _content(source)["domain"]
    located = _content(any_url)["location"][0]
    assert located["expires"] == EXPIRES and located["q"] == 0.5
    with Database.open(any_url) as db:  # the id counter moved past the restored ids
        db.insert("subscriber", {"username": "carol", "domain": "example.com"})
        assert db.select_one("subscriber", {"username": "carol"})["id"] == 3  # type: ignore[index]
    back = f"sqlite:///{tmp_path}/back.sqlite"
    with Database.open(back, create=True) as db:
        restore(db, read(io.StringIO(_dump(any_url))))
    assert _content(back)["location"][0]["expires"] == EXPIRES
    assert [r["username"] for r in _content(back)["subscriber"]] == ["alice", "bob", "carol"]


def test_failed_restore_changes_nothing(any_url: str) -> None:
    with Database.open(any_url) as db:
        db.insert("domain", {"domain": "keep.example.com"})
    text = "\n".join(
        [
            json.dumps({"format": "kamctl-db-backup", "version": 1, "tables": ["domain", "grp"]}),
            json.dumps({"table": "domain", "columns": ["id", "domain"]}),
            json.dumps([1, "new.example.com"]),
            json.dumps({"table": "grp", "columns": ["id", "username", "domain", "grp"]}),
            json.dumps([1, "a", "d", "g"]),
            json.dumps([2, "a", "d", "g"]),  # breaks grp_account_group_idx
            json.dumps({"end": True, "rows": 3}),
        ]
    )
    with Database.open(any_url) as db, pytest.raises(Exception) as info:
        restore(db, read(io.StringIO(text)))
    assert "grp" in str(info.value) or "Duplicate" in str(info.value) or "UNIQUE" in str(info.value)
    with Database.open(any_url) as db:
        assert [r["domain"] for r in db.select("domain")] == ["keep.example.com"]
        assert db.count("grp") == 0


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        ([], "empty"),
        (['{"format": "other"}'], "not a kamctl database backup"),
        (['{"format": "kamctl-db-backup", "version": 9}'], "version 9"),
        (['{"format": "kamctl-db-backup", "version": 1}', "[1]"], "a row before any table"),
        (['{"format": "kamctl-db-backup", "version": 1}', "{oops"], "line 2: not JSON"),
        (
            [
                '{"format": "kamctl-db-backup", "version": 1}',
                '{"table": "t", "columns": ["a"]}',
                "[1, 2]",
            ],
            "line 3: 2 values for 1 columns",
        ),
        (
            ['{"format": "kamctl-db-backup", "version": 1}', '{"table": "t", "columns": ["a"]}'],
            "truncated",
        ),
        (
            ['{"format": "kamctl-db-backup", "version": 1}', '{"end": true, "rows": 5}'],
            "counts 5 rows",
        ),
    ],
)
def test_bad_backups(lines: list[str], words: str) -> None:
    with pytest.raises(BackupError, match=words):
        read(io.StringIO("\n".join(lines)))


def test_unknown_table_or_column_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/k.sqlite"
    admin.create(parse_url(url))
    for header, words in (
        ({"table": "acc", "columns": ["id"]}, "table acc is not in the database"),
        ({"table": "domain", "columns": ["id", "colour"]}, "no column colour"),
    ):
        text = "\n".join(
            [
                json.dumps({"format": "kamctl-db-backup", "version": 1}),
                json.dumps(header),
                json.dumps({"end": True, "rows": 0}),
            ]
        )
        with Database.open(url) as db, pytest.raises(BackupError, match=words):
            restore(db, read(io.StringIO(text)))


def test_cli_backup_and_restore(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    url = f"sqlite:///{tmp_path}/k.sqlite"
    assert kamctl(["add", "alice@example.com", "secret"], home=home, db=url).code == 0
    backup = tmp_path / "backup.jsonl"
    done = kamctl(["db", "backup", str(backup)], home=home, db=url)
    assert done.code == 0, done.output
    assert backup.stat().st_mode & 0o777 == 0o600
    assert kamctl(["rm", "alice@example.com"], home=home, db=url).code == 0
    refused = kamctl(["db", "restore", str(backup)], home=home, db=url, input="n\n")
    assert refused.code == 1
    assert kamctl(["show", "alice@example.com"], home=home, db=url).code == 1
    restored = kamctl(["db", "restore", str(backup), "--yes"], home=home, db=url)
    assert restored.code == 0, restored.output
    assert "restored" in restored.stdout
    shown = kamctl(["show", "alice@example.com"], home=home, db=url)
    assert "ha1: b1726872c344b6dc8365b774f8fd6412" in shown.stdout
    other = f"sqlite:///{tmp_path}/other.sqlite"
    piped = kamctl(["db", "restore", "-", "--yes"], home=home, db=other, input=backup.read_text())
    assert piped.code == 0, piped.output
    assert kamctl(["show", "alice@example.com"], home=home, db=other).code == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text(backup.read_text().rsplit("\n", 2)[0] + "\n")
    truncated = kamctl(["db", "restore", str(bad), "--yes"], home=home, db=other)
    assert truncated.code == 1 and "truncated" in truncated.stderr
