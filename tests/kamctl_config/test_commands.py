"""``kamctl config show`` and ``kamctl config paths`` (in process, on a fake filesystem)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kamctl.cli import main
from kamctl.config.kamailio import ENVIRONMENT
from tests.kamctl_config.conftest import CWD, HOME, Fake

USER_TOML = f"{HOME}/.config/kamctl/kamctl.toml"
USER_RC = f"{HOME}/.kamctlrc"
TOML = """\
default_profile = "lab"

[profiles.lab]
rpc = "http://admin:hunter2@127.0.0.1:5071/RPC"
db = "postgres://kam:dbsecret@pg/kamailio"
"""


class Run:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str) -> Any:
        code, out, err = self(*args, "-F", "json")
        assert code == 0, err
        self.err = err
        return json.loads(out)


@pytest.fixture
def run(fake: Fake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """kamctl in this process, with an environment that names only the fake home."""
    for name in ("XDG_CONFIG_HOME", "KAMCTL_TEST", "KAMCTL_CONFIG", "KAMCTL_PROFILE", *ENVIRONMENT):
        monkeypatch.delenv(name, raising=False)
    for name in ("KAMCTL_RPC", "KAMCTL_DB", "KAMCTL_DOMAIN", "KAMCTL_TIMEOUT", "KAMCTL_REPLY_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", HOME)
    return Run(capsys)


def test_show_json_gives_each_value_with_its_source(fake: Fake, run: Run) -> None:
    fake.write(USER_TOML, TOML)
    fake.write(USER_RC, "SIP_DOMAIN=example.org\nDBRWPW=rcsecret\nOWN=1\n")
    data = run.json("--timeout", "2.5", "config", "show")
    settings = data["settings"]
    assert data["profile"] == {"name": "lab", "source": f"{USER_TOML}:1"}
    assert settings["rpc"]["value"] == "http://admin:****@127.0.0.1:5071/RPC"
    assert settings["rpc"]["source"] == f"{USER_TOML}:4"
    assert settings["rpc"]["origin"] == {
        "kind": "file",
        "name": USER_TOML,
        "line": 4,
        "note": "profile lab",
    }
    assert settings["db"]["value"] == "postgres://kam:****@pg/kamailio"
    assert settings["domain"] == {
        "value": "example.org",
        "source": f"{USER_RC}:1",
        "origin": {"kind": "file", "name": USER_RC, "line": 1},
        "problem": None,
        "overridden": [],
    }
    assert settings["timeout"]["value"] == 2.5 and settings["timeout"]["source"] == "flag --timeout"
    assert settings["reply_dir"]["source"] == "default"
    variables = {v["name"]: v for v in data["variables"]}
    assert variables["DBRWPW"]["value"] == "****"
    assert variables["OWN"] == {
        "name": "OWN",
        "value": "1",
        "source": f"{USER_RC}:3",
        "use": "unknown; not used",
    }
    warning = (
        f"{USER_RC}:2: database variables are set but DBENGINE is not; they are not used"
        " (set DBENGINE=SQLITE, MYSQL or PGSQL)"
    )
    assert data["warnings"] == [warning]
    assert run.err == f"kamctl: warning: {warning}\n"


def test_show_never_prints_a_password(fake: Fake, run: Run) -> None:
    fake.write(USER_TOML, TOML)
    fake.write(USER_RC, "DBENGINE=MYSQL\nDBRWPW=rcsecret\nDBROPW=rosecret\n")
    for args in (("config", "show"), ("config", "show", "--all"), ("config", "show", "-F", "json")):
        code, out, err = run(*args)
        assert code == 0
        for secret in ("hunter2", "dbsecret", "rcsecret", "rosecret"):
            assert secret not in out + err


def test_show_table_and_all(fake: Fake, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.write(USER_RC, "SIP_DOMAIN=rc.example.org\n")
    monkeypatch.setenv("KAMCTL_DOMAIN", "env.example.org")
    code, out, err = run("config", "show")
    assert (code, err) == (0, "")
    assert out.startswith("profile: none; known: none defined\n")
    row = next(line for line in out.splitlines() if " domain " in line)
    assert "env.example.org" in row and "environment KAMCTL_DOMAIN" in row
    settings, variables = out.split("kamctlrc variables:\n")
    assert "rc.example.org" not in settings and "tables.subscriber" not in settings
    assert "SIP_DOMAIN" in variables and "rc.example.org" in variables
    code, out, _ = run("config", "show", "--all")
    settings = out.split("kamctlrc variables:\n")[0]
    assert "rc.example.org" in settings and "overridden" in settings
    assert "tables.subscriber" in settings


def test_show_marks_unusable_values(fake: Fake, run: Run) -> None:
    fake.write(USER_RC, "DBENGINE=DBTEXT\n")
    data = run.json("config", "show")
    assert data["settings"]["db"]["problem"].startswith("DBENGINE=DBTEXT is not supported")
    code, out, _ = run("config", "show")
    assert code == 0 and "UNUSABLE: DBENGINE=DBTEXT" in out


def test_paths_lists_the_files_in_order(fake: Fake, run: Run) -> None:
    fake.write(USER_RC, "")
    fake.write("/srv/extra.toml", "")
    files = run.json("--config", "/srv/extra.toml", "config", "paths")
    assert [(f["order"], f["path"], f["exists"], f["used"]) for f in files] == [
        (1, "/usr/local/etc/kamailio/kamctlrc", False, False),
        (2, "/etc/kamailio/kamctlrc", False, False),
        (3, "/etc/kamctl/kamctl.toml", False, False),
        (4, USER_RC, True, True),
        (5, USER_TOML, False, False),
        (6, f"{CWD}/kamctlrc", False, False),
        (7, "/srv/extra.toml", True, True),
    ]
    code, out, _ = run("config", "paths")
    assert code == 0
    rows = [line for line in out.splitlines() if "kamctl" in line]
    assert len(rows) == 6 and "read only when KAMCTL_TEST is set" in rows[-1]


def test_paths_still_lists_the_files_when_one_is_broken(fake: Fake, run: Run) -> None:
    fake.write(USER_TOML, "timeout = [\n")
    code, out, err = run("config", "paths")
    assert code == 2
    assert USER_TOML in out and "not read: see the error below" in out
    assert err.startswith(f"kamctl: {USER_TOML}: invalid TOML: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--config", "/srv/missing.toml"), "cannot read config file /srv/missing.toml: No such"),
        (("--profile", "nope"), "unknown profile 'nope' (flag --profile); no profiles are defined"),
    ],
)
def test_a_named_file_or_profile_that_cannot_be_used_exits_2(
    run: Run, args: tuple[str, ...], message: str
) -> None:
    for command in (("config", "show"), ("uptime",)):
        code, out, err = run(*args, *command)
        assert (code, out) == (2, "")
        assert err.startswith(f"kamctl: {message}")


def test_help_does_not_read_the_configuration(fake: Fake, run: Run) -> None:
    fake.write(USER_TOML, "broken = = =\n")
    code, out, _ = run("--help")
    assert code == 0 and "--profile NAME" in out and "config" in out
    code, _, err = run("config", "show")
    assert code == 2 and USER_TOML in err


def test_a_broken_default_file_is_an_error_for_commands(fake: Fake, run: Run) -> None:
    fake.write(USER_RC, 'OK=1\nSIP_DOMAIN="never closed\n')
    code, out, err = run("uptime")
    assert (code, out) == (2, "")
    assert err == f"kamctl: {USER_RC}:2: unterminated double quote\n"
