"""kamctl subscriber list/import/export on every engine: bulk loads are all or nothing."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from proxy.storage.database import Database
from tests.storage.support import kamctl, snapshot, subscribers
from tests.support.proxy import KamproxyProcess

BULK = 10_000


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def test_import_10000_users_in_one_go(home: Path, tmp_path: Path, any_url: str) -> None:
    path = tmp_path / "users.csv"
    rows = [["username", "domain", "password"]]
    rows += [[f"user{i:05d}", "example.com", f"pw{i}"] for i in range(BULK)]
    path.write_text(_csv(rows))
    result = kamctl(["subscriber", "import", str(path)], home=home, db=any_url)
    assert result.code == 0, result.output
    assert f"imported {BULK} subscriber(s)" in result.stdout
    assert "cleartext password: not stored" in result.stdout
    with Database.open(any_url) as db:
        assert db.count("subscriber") == BULK
        row = db.select_one("subscriber", {"username": "user00042"})
    assert row is not None
    assert row["ha1"] == _md5("user00042:example.com:pw42") and row["password"] == ""
    assert row["ha1_ref"] == row["ha1"] and len(row["ha1b_sha512t256"]) == 64


def test_a_failing_row_rolls_back_the_whole_import(
    home: Path, tmp_path: Path, any_url: str
) -> None:
    """The database itself refuses the 9,999th row (a trigger): nothing stays."""
    with Database.open(any_url) as db:
        _refuse_user(db, "user09998")
    path = tmp_path / "users.csv"
    rows = [["username", "password"]]
    rows += [[f"user{i:05d}@example.com", f"pw{i}"] for i in range(BULK)]
    path.write_text(_csv(rows))
    before = snapshot(any_url)
    result = kamctl(["subscriber", "import", str(path)], home=home, db=any_url)
    assert result.code == 4, result.output
    assert "kamctl: nothing imported: " in result.stderr and "refused" in result.stderr
    assert snapshot(any_url) == before


def _refuse_user(db: Database, user: str) -> None:
    engine = db.url.engine
    if engine == "sqlite":
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON subscriber "
            f"WHEN NEW.username = '{user}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    elif engine == "postgres":
        db.execute(
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.username = '{user}' THEN RAISE EXCEPTION 'refused'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON subscriber "
            "FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    else:
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON subscriber FOR EACH ROW BEGIN "
            f"IF NEW.username = '{user}' THEN "
            "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'; END IF; END"
        )


def test_bad_rows_are_listed_and_nothing_is_imported(
    home: Path, tmp_path: Path, any_url: str
) -> None:
    assert kamctl(["add", "taken@example.com", "x"], home=home, db=any_url).code == 0
    path = tmp_path / "users.csv"
    path.write_text(
        "username,domain,password\n"
        "good1,example.com,pw\n"
        "bad user,example.com,pw\n"  # line 3
        "good2,example.com,\n"  # line 4: no password, no ha1
        "taken,example.com,pw\n"  # line 5
        "good1,example.com,pw\n"  # line 6: twice in the file
        "carol,,pw\n"  # line 7: no domain known
        '"multi\nline",example.com,pw\n'  # line 8 (spans two lines)
        "dave@example.org,example.com,pw\n"  # line 10
        "erin,example.com,pw,extra\n"  # line 11
    )
    before = snapshot(any_url)
    result = kamctl(["subscriber", "import", str(path)], home=home, db=any_url)
    assert result.code == 1, result.output
    lines = result.stderr.splitlines()
    assert lines[-1] == f"kamctl: nothing imported: 8 problem(s) in {path}"
    text = result.stderr
    assert "line 3: bad user name 'bad user'" in text
    assert "line 4: no password and no ha1" in text
    assert "line 5: user 'taken@example.com' already exists" in text
    assert "line 6: user 'good1@example.com' is also on line 2" in text
    assert "line 7: no domain for 'carol'" in text
    assert "line 8: bad user name 'multi\\nline'" in text
    assert "line 10: username 'dave@example.org' and domain 'example.com' disagree" in text
    assert "line 11: 4 fields, the header has 3" in text
    assert "pw" not in text.replace("password", "")
    assert snapshot(any_url) == before


def test_many_problems_are_cut_short(home: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/k.sqlite"
    rows = [["username", "password"]] + [[f"u{i}", "pw"] for i in range(30)]
    result = kamctl(["subscriber", "import", "-"], home=home, db=url, input=_csv(rows))
    assert result.code == 1
    assert "kamctl: ... and 10 more" in result.stderr
    assert "nothing imported: 30 problem(s) in <stdin>" in result.stderr


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "the file is empty"),
        ("alice,example.com,pw\n", "unknown column 'alice'"),
        ("domain,password\nexample.com,pw\n", "at least username"),
        ("username,domain\nalice,example.com\n", "neither a password nor an ha1 column"),
        ('username,password\n"unterminated,pw\n', "line 2:"),
    ],
)
def test_bad_files(home: Path, tmp_path: Path, text: str, words: str) -> None:
    url = f"sqlite:///{tmp_path}/k.sqlite"
    result = kamctl(["subscriber", "import", "-"], home=home, db=url, input=text)
    assert result.code == 1, result.output
    assert words in result.stderr


def test_missing_file_is_a_usage_error(home: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/k.sqlite"
    result = kamctl(["subscriber", "import", str(tmp_path / "nope.csv")], home=home, db=url)
    assert result.code == 2 and "nope.csv" in result.stderr


def test_export_then_import_keeps_the_hashes(home: Path, tmp_path: Path, any_url: str) -> None:
    for user, password in (("alice@example.com", "secret"), ("bob@example.org", 'pw,"x')):
        assert kamctl(["add", user, password], home=home, db=any_url).code == 0
    exported = kamctl(["subscriber", "export"], home=home, db=any_url)
    assert exported.code == 0
    lines = exported.stdout.splitlines()
    assert lines[0] == (
        "username,domain,password,ha1,ha1b,ha1_sha256,ha1b_sha256,ha1_sha512t256,"
        "ha1b_sha512t256,ha1_ref"
    )
    assert len(lines) == 3
    target = f"sqlite:///{tmp_path}/copy.sqlite"
    imported = kamctl(["subscriber", "import", "-"], home=home, db=target, input=exported.stdout)
    assert imported.code == 0, imported.output
    strip = [{k: v for k, v in r.items() if k != "id"} for r in subscribers(any_url)]
    assert [{k: v for k, v in r.items() if k != "id"} for r in subscribers(target)] == strip
    out = tmp_path / "export.csv"
    to_file = kamctl(
        ["subscriber", "export", "-o", str(out), "--domain", "example.org"], home=home, db=any_url
    )
    assert to_file.code == 0 and "exported 1 subscriber(s)" in to_file.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    assert out.read_text().splitlines()[1].startswith("bob,example.org,")


def test_import_with_default_domain_and_cleartext(home: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/k.sqlite"
    text = "USERNAME,Password\nalice,secret\nbob@example.org,pw\n"
    result = kamctl(
        ["subscriber", "import", "-", "--domain", "example.com", "--store-plaintext"],
        home=home,
        db=url,
        input=text,
    )
    assert result.code == 0, result.output
    assert "cleartext password: stored" in result.stdout
    rows = {(r["username"], r["domain"]): r for r in subscribers(url)}
    assert rows[("alice", "example.com")]["ha1"] == "b1726872c344b6dc8365b774f8fd6412"
    assert rows[("bob", "example.org")]["password"] == "pw"


def test_list(home: Path, any_url: str) -> None:
    for user in ("alice@example.com", "Alfred@example.com", "bob@example.org"):
        kamctl(["add", user, "pw"], home=home, db=any_url)
    with Database.open(any_url) as db:  # as Kamailio's kamctl passwd leaves it
        db.update("subscriber", {"ha1": "0" * 32}, {"username": "bob"})
    listed = json.loads(kamctl(["subscriber", "list", "-F", "json"], home=home, db=any_url).stdout)
    assert [(r["username"], r["domain"]) for r in listed] == [
        ("Alfred", "example.com"),
        ("alice", "example.com"),
        ("bob", "example.org"),
    ]
    assert listed[1]["hashes"] == ["MD5", "SHA-256", "SHA-512-256"]
    assert listed[2]["hashes"] == ["MD5"]  # the SHA values no longer match ha1
    assert listed[0]["cleartext"] is False
    liked = kamctl(["subscriber", "list", "--like", "al%", "-F", "csv"], home=home, db=any_url)
    assert liked.stdout.splitlines() == [
        "id,username,domain,hashes,cleartext",
        f"{listed[0]['id']},Alfred,example.com,MD5 SHA-256 SHA-512-256,no",
        f"{listed[1]['id']},alice,example.com,MD5 SHA-256 SHA-512-256,no",
    ]
    table = kamctl(["subscriber", "list", "--domain", "example.org"], home=home, db=any_url)
    assert "bob" in table.stdout and "alice" not in table.stdout
    none = kamctl(["subscriber", "list", "--domain", "nowhere.example"], home=home, db=any_url)
    assert none.code == 0 and "no subscribers" in none.stderr
    bad = kamctl(["subscriber", "list", "--domain", "bad domain"], home=home, db=any_url)
    assert bad.code == 2


def test_rm_asks_a_running_kamproxy(home: Path, tmp_path: Path, kamproxy: KamproxyProcess) -> None:
    url = f"sqlite:///{tmp_path}/k.sqlite"
    kamctl(["add", "alice@example.com", "x"], home=home, db=url)
    result = kamctl(["rm", "alice@example.com"], home=home, db=url, server=kamproxy.http_url)
    assert result.code == 0, result.output
    # kamproxy has usrloc: the user's registrations are dropped (ul.rm)
    assert "registrations of alice@example.com dropped from the proxy" in result.stdout
    assert subscribers(url) == []


def _md5(text: str) -> str:
    import hashlib

    return hashlib.md5(text.encode()).hexdigest()


def test_progress_bar_on_a_terminal(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kamctl import dbaccess

    monkeypatch.setattr(dbaccess, "is_terminal", lambda stream=None: True)
    url = f"sqlite:///{tmp_path}/k.sqlite"
    rows = [["username", "password"]] + [[f"u{i}@example.com", "pw"] for i in range(5000)]
    text = "\ufeff" + _csv(rows)  # a byte-order mark, as spreadsheet programs write
    result = kamctl(["subscriber", "import", "-"], home=home, db=url, input=text)
    assert result.code == 0, result.output
    assert "imported 5000 subscriber(s)" in result.stdout
    assert len(subscribers(url)) == 5000
