"""kamctl add/passwd/rm/show/ha1 on every engine, including bad input.

Every failure must give a clear one-line reason, the documented exit code (1 exists /
not found, 2 bad input, 4 database) and leave the database exactly as it was.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from proxy.storage.database import Database
from tests.storage.support import Result, kamctl, snapshot, subscribers
from tests.support.proxy import free_port

ALICE_HA1 = "b1726872c344b6dc8365b774f8fd6412"
ALICE_HA1B = "c79656e4f06dbae9fdf6727654273c65"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


class Cli:
    def __init__(self, home: Path, url: str) -> None:
        self.home = home
        self.url = url

    def __call__(self, *args: str, input: str | None = None, **env: str | None) -> Result:
        return kamctl(list(args), home=self.home, db=self.url, input=input, **env)


@pytest.fixture
def cli(home: Path, any_url: str) -> Cli:
    return Cli(home, any_url)


def _unchanged_after(cli: Cli, args: list[str], code: int, words: str, **kw: str | None) -> Result:
    before = snapshot(cli.url)
    result = cli(*args, **kw)  # type: ignore[arg-type]
    assert result.code == code, result.output
    assert words in result.stderr, result.output
    assert result.exception is None, result.exception
    assert "Traceback" not in result.output
    assert snapshot(cli.url) == before
    return result


def test_add_stores_every_hash_and_no_cleartext(cli: Cli) -> None:
    result = cli("add", "alice@example.com", "secret")
    assert result.code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "new user 'alice@example.com' added"
    assert lines[1].startswith("hashes stored: MD5 (ha1, ha1b), SHA-256")
    assert "cleartext password: not stored" in result.stdout
    assert "realm must be 'example.com'" in result.stdout
    assert "secret" not in result.output
    [row] = subscribers(cli.url)
    assert (row["username"], row["domain"], row["password"]) == ("alice", "example.com", "")
    assert (row["ha1"], row["ha1b"]) == (ALICE_HA1, ALICE_HA1B)
    assert row["ha1_sha256"] == _sha256("alice:example.com:secret")
    assert row["ha1b_sha256"] == _sha256("alice@example.com:example.com:secret")
    assert len(row["ha1_sha512t256"]) == 64 and row["ha1_ref"] == ALICE_HA1


def test_add_stores_cleartext_when_configured(cli: Cli) -> None:
    assert cli("add", "bob@example.com", "pw", STORE_PLAINTEXT_PW="1").code == 0
    result = cli("add", "carol@example.com", "pw2", "--store-plaintext", "-q")
    assert result.stdout == "new user 'carol@example.com' added\n"
    by_user = {r["username"]: r for r in subscribers(cli.url)}
    assert by_user["bob"]["password"] == "pw" and by_user["carol"]["password"] == "pw2"


def test_add_prompts_twice_without_echo(cli: Cli) -> None:
    result = cli("add", "alice@example.com", input="secret\nsecret\n")
    assert result.code == 0, result.output
    assert "secret" not in result.output
    assert subscribers(cli.url)[0]["ha1"] == ALICE_HA1


def test_add_prompt_mismatch_asks_again(cli: Cli) -> None:
    result = cli("add", "alice@example.com", input="secret\nsecreT\nsecret\nsecret\n")
    assert result.code == 0, result.output
    assert "do not match" in result.output
    assert subscribers(cli.url)[0]["ha1"] == ALICE_HA1


def test_add_password_from_stdin(cli: Cli) -> None:
    result = cli("add", "alice@example.com", "--password-stdin", input="secret\n")
    assert result.code == 0, result.output
    assert subscribers(cli.url)[0]["ha1"] == ALICE_HA1


def test_quote_in_user_is_stored_as_typed(cli: Cli) -> None:
    """Kamailio's kamctl breaks on this (its SQL is pasted together); ours binds it."""
    assert cli("add", "o'brien@example.com", "x").code == 0
    assert subscribers(cli.url)[0]["username"] == "o'brien"
    assert cli("show", "o'brien@example.com").code == 0


@pytest.mark.parametrize(
    ("user", "words"),
    [
        ("bad user@example.com", "' ' (U+0020) is not allowed in a SIP user name"),
        ("al<ice@example.com", "'<' is not allowed"),
        ("a%zz@example.com", "'%' must start an escape"),
        ("a@b@example.com", "more than one '@'"),
        ("alice@", "nothing after '@'"),
        ("@example.com", "empty user name"),
        ("x" * 65 + "@example.com", "user name too long (65 characters"),
        ("alice@exa_mple.com", "label 'exa_mple' is not letters"),
        ("alice@example..com", "empty label"),
        ("alice@-example.com", "label '-example'"),
        ("alice@example.123", "the last label must start with a letter"),
        ("alice@1.2.3.999", "not a valid IPv4 address"),
        ("alice@[::1", "unterminated '['"),
        ("alice@::1", "write an IPv6 address in brackets"),
        ("alice@example.com:5060", "no port in a domain"),
    ],
)
def test_add_bad_user_or_domain(cli: Cli, user: str, words: str) -> None:
    result = _unchanged_after(cli, ["add", user, "secret"], 2, words)
    assert "Usage: kamctl add" in result.stderr
    assert "secret" not in result.output


@pytest.mark.parametrize("domain", ["192.0.2.7", "[2001:db8::1]", "Example.COM", "localhost"])
def test_add_accepts_ip_literals_and_lowercases_names(cli: Cli, domain: str) -> None:
    assert cli("add", f"alice@{domain}", "x").code == 0
    assert subscribers(cli.url)[0]["domain"] == domain.lower()


def test_add_empty_password_refused(cli: Cli) -> None:
    _unchanged_after(cli, ["add", "bob@example.com", ""], 2, "empty password refused")
    _unchanged_after(
        cli, ["add", "bob@example.com", "--password-stdin"], 2, "empty password", input="\n"
    )


def test_add_password_twice_is_a_usage_error(cli: Cli) -> None:
    _unchanged_after(
        cli, ["add", "bob@example.com", "pw", "--password-stdin"], 2, "not both", input="pw\n"
    )


def test_add_long_cleartext_refused(cli: Cli) -> None:
    result = _unchanged_after(
        cli, ["add", "bob@example.com", "p" * 65, "--store-plaintext"], 2, "longer than 64"
    )
    assert "p" * 65 not in result.output


def test_add_duplicate_exit_1_nothing_changed(cli: Cli) -> None:
    assert cli("add", "alice@example.com", "secret").code == 0
    result = _unchanged_after(
        cli, ["add", "alice@example.com", "other"], 1, "user 'alice@example.com' already exists"
    )
    assert "other" not in result.output
    # the existing user is found before the password is asked for
    _unchanged_after(cli, ["add", "alice@example.com"], 1, "already exists", input="")


def test_default_domain(cli: Cli) -> None:
    _unchanged_after(cli, ["add", "carol", "pw1"], 2, "no domain for 'carol'")
    result = cli("add", "carol", "pw1", SIP_DOMAIN="example.com")
    assert result.code == 0 and "new user 'carol@example.com' added" in result.stdout
    assert subscribers(cli.url)[0]["ha1"] == "f14f0f3992711cdcc33bec7dee1dec97"  # as kamctl
    assert cli("show", "carol", KAMCTL_DOMAIN="example.com").code == 0


def test_passwd_changes_every_hash(cli: Cli) -> None:
    cli("add", "alice@example.com", "secret", STORE_PLAINTEXT_PW="1")
    result = cli("passwd", "alice@example.com", "newpw")
    assert result.code == 0, result.output
    assert result.stdout.startswith("password changed for 'alice@example.com'\n")
    [row] = subscribers(cli.url)
    assert (row["ha1"], row["ha1b"]) == (
        "c43bab084538bd110e94defd0eacba6d",
        "daa7d8725a6d40292d633afcb1a795d2",
    )
    assert row["ha1_sha256"] == _sha256("alice:example.com:newpw")
    assert row["ha1_ref"] == row["ha1"]
    assert row["password"] == ""  # the old cleartext is cleared when none is stored
    prompted = cli("passwd", "alice@example.com", input="third\nthird\n")
    assert prompted.code == 0 and "third" not in prompted.output


def test_passwd_errors(cli: Cli) -> None:
    cli("add", "alice@example.com", "secret")
    _unchanged_after(
        cli, ["passwd", "nobody@example.com", "pw"], 1, "non-existent user 'nobody@example.com'"
    )
    _unchanged_after(cli, ["passwd", "alice@example.com", ""], 2, "empty password refused")
    _unchanged_after(cli, ["passwd", "bad user@example.com", "x"], 2, "bad user name")


def test_rm_deletes_user_groups_and_aliases(cli: Cli) -> None:
    cli("add", "alice@example.com", "secret")
    cli("add", "bob@example.com", "secret")
    with Database.open(cli.url) as db:
        for user in ("alice", "bob"):
            db.insert("grp", {"username": user, "domain": "example.com", "grp": "local"})
            db.insert(
                "dbaliases",
                {
                    "alias_username": f"{user}2",
                    "alias_domain": "example.com",
                    "username": user,
                    "domain": "example.com",
                },
            )
    result = cli("rm", "alice@example.com")
    assert result.code == 0, result.output
    assert result.stdout == "user 'alice@example.com' deleted\n"
    assert "note: registrations of alice@example.com were not dropped" in result.stderr
    assert "not reachable" in result.stderr
    after = snapshot(cli.url)
    assert [r["username"] for r in after["subscriber"]] == ["bob"]
    assert [r["username"] for r in after["grp"]] == ["bob"]
    assert [r["username"] for r in after["dbaliases"]] == ["bob"]
    _unchanged_after(cli, ["rm", "alice@example.com"], 1, "non-existent user 'alice@example.com'")


def test_show(cli: Cli) -> None:
    cli("add", "alice@example.com", "secret", STORE_PLAINTEXT_PW="1")
    cli("add", "bob@example.org", "hidden")
    one = cli("show", "alice@example.com")
    assert one.code == 0
    assert "username: alice\n" in one.stdout and f"ha1: {ALICE_HA1}\n" in one.stdout
    assert "password: ********\n" in one.stdout and "secret" not in one.stdout
    assert "password: secret\n" in cli("show", "alice@example.com", "--show-password").stdout
    every = cli("show", "-F", "json")
    import json

    rows = json.loads(every.stdout)
    assert [(r["username"], r["domain"]) for r in rows] == [
        ("alice", "example.com"),
        ("bob", "example.org"),
    ]
    csv_out = cli("show", "bob@example.org", "-F", "csv").stdout.splitlines()
    assert csv_out[0].startswith("id,username,domain,password,ha1,ha1b,ha1_sha256")
    assert cli("show", "-F", "table").stdout.count("example.") >= 2
    _unchanged_after(cli, ["show", "nobody@example.com"], 1, "non-existent user")


def test_ha1_command() -> None:
    from click.testing import CliRunner

    from kamctl.cli import cli as kamctl_cli

    runner = CliRunner()
    assert runner.invoke(kamctl_cli, ["ha1", "alice", "example.com", "secret"]).stdout == (
        ALICE_HA1 + "\n"
    )
    out = runner.invoke(kamctl_cli, ["ha1", "alice", "example.com", "secret", "--ha1b"]).stdout
    assert out == ALICE_HA1B + "\n"
    out = runner.invoke(
        kamctl_cli,
        ["ha1", "alice@example.com", "example.com", "--ha1b", "-a", "sha256"],
        input="secret\nsecret\n",
    ).stdout
    assert out.splitlines()[-1] == _sha256("alice@example.com:example.com:secret")
    out = runner.invoke(
        kamctl_cli, ["ha1", "alice", "r", "--password-stdin", "-a", "sha512-256"], input="pw\n"
    ).stdout
    assert out == hashlib.new("sha512_256", b"alice:r:pw").hexdigest() + "\n"
    bad = runner.invoke(kamctl_cli, ["ha1", "alice", "r", "", "-a", "md5"])
    assert bad.exit_code == 2 and "empty password" in bad.stderr
    bad = runner.invoke(kamctl_cli, ["ha1", "alice", "r", "x", "-a", "sha1"])
    assert bad.exit_code == 2


# -- the database cannot be used ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["add", "alice@example.com", "secret"],
        ["passwd", "alice@example.com", "secret"],
        ["rm", "alice@example.com"],
        ["show", "alice@example.com"],
        ["show"],
        ["subscriber", "list"],
        ["subscriber", "export"],
        ["db", "version"],
        ["db", "show", "subscriber"],
        ["db", "create"],
    ],
)
@pytest.mark.parametrize("engine_name", ["postgres", "mysql"])
def test_unreachable_server_exit_4(home: Path, args: list[str], engine_name: str) -> None:
    port = free_port()
    url = f"{engine_name}://kamailio:dbpass@127.0.0.1:{port}/kamailio"
    result = kamctl(args, home=home, db=url, input="secret\nsecret\n")
    assert result.code == 4, result.output
    assert f"127.0.0.1:{port}" in result.stderr and "dbpass" not in result.output
    assert "secret" not in result.output
    assert result.exception is None and "Traceback" not in result.output


def test_unusable_sqlite_path_exit_4_and_nothing_created(home: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    url = f"sqlite:///{blocker}/sub/kamailio.sqlite"
    result = kamctl(["add", "alice@example.com", "secret"], home=home, db=url)
    assert result.code == 4 and "cannot create the database" in result.stderr
    missing = f"sqlite:///{tmp_path}/missing.sqlite"
    for args in (["show"], ["passwd", "a@example.com", "x"], ["rm", "a@example.com"]):
        result = kamctl(args, home=home, db=missing)
        assert result.code == 4 and "does not exist" in result.stderr, args
    assert not (tmp_path / "missing.sqlite").exists()


def test_schema_problems_exit_4_with_the_fix(cli: Cli) -> None:
    with Database.open(cli.url) as db:
        db.update("version", {"table_version": 6}, {"table_name": "subscriber"})
    result = _unchanged_after(cli, ["add", "alice@example.com", "x"], 4, "version 6")
    assert "kamctl db reinit" in result.stderr
    with Database.open(cli.url) as db:
        db.execute("DROP TABLE " + db.dialect.quote("subscriber"))
    result = cli("show")
    assert result.code == 4 and "kamctl db create" in result.stderr


def _real_kamctl(home: Path, *args: str, input: str = "") -> subprocess.CompletedProcess[str]:
    """The installed entry point in a subprocess (its own exit-code mapping included)."""
    from tests.storage.support import NO_PROXY, scrubbed_env

    env = {k: v for k, v in os.environ.items()}
    for name, value in scrubbed_env(home).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from kamctl.cli import main; sys.exit(main())",
            "-s",
            NO_PROXY,
            *args,
        ],
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_exit_codes_through_the_real_entry_point(home: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/k.sqlite"
    ok = _real_kamctl(
        home, "--db", url, "add", "alice@example.com", "--password-stdin", input="secret\n"
    )
    assert ok.returncode == 0 and "new user 'alice@example.com' added" in ok.stdout
    dup = _real_kamctl(home, "--db", url, "add", "alice@example.com", "x")
    assert (dup.returncode, dup.stderr) == (1, "kamctl: user 'alice@example.com' already exists\n")
    bad = _real_kamctl(home, "--db", "oracle://u:p@h/db", "show")
    assert bad.returncode == 2 and "unknown database engine 'oracle'" in bad.stderr
    port = free_port()
    down = _real_kamctl(home, "--db", f"postgres://u:pw@127.0.0.1:{port}/k", "show")
    assert down.returncode == 4 and "Traceback" not in down.stderr
    rm = _real_kamctl(home, "--db", url, "rm", "alice@example.com")
    assert rm.returncode == 0 and "note:" in rm.stderr


def test_renamed_subscriber_table_from_kamctlrc(home: Path, tmp_path: Path) -> None:
    """kamctlrc's SUB_TABLE names the table (its version row goes by that name too)."""
    url = f"sqlite:///{tmp_path}/k.sqlite"
    from proxy.storage import admin
    from proxy.storage.url import parse_url

    admin.create(parse_url(url))
    with Database.open(url) as db:
        db.execute("ALTER TABLE subscriber RENAME TO subs")
        db.update("version", {"table_name": "subs"}, {"table_name": "subscriber"})
    (home / ".kamctlrc").write_text("SUB_TABLE=subs\n")
    added = kamctl(["add", "alice@example.com", "secret"], home=home, db=url)
    assert added.code == 0, added.output
    with Database.open(url) as db:
        assert db.select("subs")[0]["ha1"] == ALICE_HA1
    assert kamctl(["show", "alice@example.com"], home=home, db=url).code == 0
