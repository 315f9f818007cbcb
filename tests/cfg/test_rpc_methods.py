"""Every cfg.* method and corex.debug through the dispatcher, with every error case."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from proxy.cfg.catalog import new_params
from tests.cfg.rpchelp import CfgServer


@pytest.fixture
def srv() -> CfgServer:
    return CfgServer()


def test_get_one_var_and_a_whole_group(srv: CfgServer) -> None:
    assert srv.call("cfg.get", "core", "debug") == 0
    assert srv.call("cfg.get", "core", "log_facility") == "LOG_DAEMON"
    group = srv.call("cfg.get", "tcp")
    assert group["connect_timeout"] == 10 and group["rd_buf_size"] == 16384
    assert list(group) == [line.split(": ")[1] for line in srv.call("cfg.list", "tcp")]


def test_get_by_named_params(srv: CfgServer) -> None:
    doc = srv.reply("cfg.get")  # missing group: invalid params, says the usage
    assert doc["error"]["code"] == -32602 and "cfg.get group [var]" in doc["error"]["message"]


@pytest.mark.parametrize("method", ["cfg.seti", "cfg.set_now_int", "cfg.set"])
def test_set_an_integer_now(srv: CfgServer, method: str) -> None:
    assert srv.call(method, "core", "debug", 3) == {}
    assert srv.call("cfg.get", "core", "debug") == 3


@pytest.mark.parametrize("method", ["cfg.sets", "cfg.set_now_string", "cfg.set"])
def test_set_a_string_now(srv: CfgServer, method: str) -> None:
    assert srv.call(method, "core", "log_facility", "LOG_LOCAL0") == {}
    assert srv.call("cfg.get", "core", "log_facility") == "LOG_LOCAL0"
    assert srv.call(method, "core", "debug", "2") == {}  # decimal text for an int var
    assert srv.call("cfg.get", "core", "debug") == 2


ERRORS = [
    # method, params, message (after "METHOD: ")
    (
        "cfg.seti",
        ["core", "debug", "notanint"],
        "core.debug must be an integer, got string 'notanint'",
    ),
    (
        "cfg.sets",
        ["core", "debug", "notanint"],
        "core.debug must be an integer, got string 'notanint'",
    ),
    (
        "cfg.set",
        ["core", "debug", "notanint"],
        "core.debug must be an integer, got string 'notanint'",
    ),
    ("cfg.seti", ["core", "debug", 4], "core.debug must be between -5 and 3, got 4"),
    (
        "cfg.set_now_int",
        ["tcp", "rd_buf_size", 511],
        "tcp.rd_buf_size must be between 512 and 16777216, got 511",
    ),
    ("cfg.seti", ["core", "nosuchvar", 1], "unknown variable core.nosuchvar (see cfg.list core)"),
    ("cfg.seti", ["nosuch", "debug", 1], "unknown group 'nosuch' (groups: core, tcp"),
    (
        "cfg.seti",
        ["tcp", "async", 0],
        "tcp.async is read-only at run time; set it in the config file "
        "([cfg.tcp] async = ...) and restart",
    ),
    (
        "cfg.seti",
        ["core", "log_facility", "LOG_LOCAL0"],
        "the value must be an integer, got string 'LOG_LOCAL0' "
        "(core.log_facility is a string variable: use cfg.sets)",
    ),
    ("cfg.seti", ["core", "log_facility", 1], "core.log_facility must be one of LOG_AUTH"),
    ("cfg.sets", ["core", "log_facility", "LOG_NOPE"], "core.log_facility must be one of"),
    ("cfg.sets", ["core", "debug", [1]], "the value must be a string, got array"),
    ("cfg.set", ["core", "debug", None], "the value must be an integer or a string, got null"),
    (
        "cfg.set",
        ["core", "debug", True],
        "the value must be an integer or a string, got boolean true",
    ),
    ("cfg.seti", ["core[1]", "debug", 1], "group instances (core[1]) are not supported"),
    ("cfg.set_delayed_int", ["core", "debug", 9], "core.debug must be between -5 and 3, got 9"),
    ("cfg.set_delayed_string", ["tcp", "async", "0"], "tcp.async is read-only"),
    ("cfg.set_delayed", ["core", "nosuch", 1], "unknown variable core.nosuch"),
    (
        "cfg.set_delayed_int",
        ["core", "debug", "x"],
        "core.debug must be an integer, got string 'x'",
    ),
]


@pytest.mark.parametrize(("method", "params", "message"), ERRORS)
def test_errors_say_which_and_why_and_change_nothing(
    srv: CfgServer, method: str, params: list[object], message: str
) -> None:
    srv.call("cfg.seti", "core", "debug", 1)
    before = {g: srv.call("cfg.get", g) for g in ("core", "tcp")}
    code, text = srv.error(method, *params)
    assert code == 400
    assert text.startswith(f"{method}: {message}"), text
    assert {g: srv.call("cfg.get", g) for g in ("core", "tcp")} == before
    assert srv.call("cfg.diff") == []


@pytest.mark.parametrize(
    ("method", "params", "message"),
    [
        ("cfg.get", ["core", "nosuchvar"], "cfg.get: unknown variable core.nosuchvar"),
        ("cfg.get", ["nosuch"], "cfg.get: unknown group 'nosuch'"),
        ("cfg.get", ["core", 5], "cfg.get: the variable name must be a string, got integer 5"),
        ("cfg.help", ["core", "nosuch"], "cfg.help: unknown variable core.nosuch"),
        ("cfg.list", ["nosuch"], "cfg.list: unknown group 'nosuch'"),
        ("cfg.reset", ["nosuch"], "cfg.reset: unknown group 'nosuch'"),
    ],
)
def test_reading_errors(srv: CfgServer, method: str, params: list[object], message: str) -> None:
    code, text = srv.error(method, *params)
    assert (code, text[: len(message)]) == (400, message)


def test_staged_changes_invisible_until_commit(srv: CfgServer) -> None:
    assert srv.call("cfg.set_delayed_int", "core", "debug", 3) == {}
    assert srv.call("cfg.set_delayed_string", "core", "log_facility", "local3") == {}
    assert srv.call("cfg.set_delayed", "tcp", "connect_timeout", "5") == {}
    assert srv.call("cfg.get", "core", "debug") == 0
    assert srv.call("cfg.diff") == [
        {"group name": "core", "variable name": "debug", "old value": 0, "new value": 3},
        {
            "group name": "core",
            "variable name": "log_facility",
            "old value": "LOG_DAEMON",
            "new value": "LOG_LOCAL3",
        },
        {"group name": "tcp", "variable name": "connect_timeout", "old value": 10, "new value": 5},
    ]
    assert srv.call("cfg.commit") == {}
    assert srv.call("cfg.get", "core", "debug") == 3
    assert srv.call("cfg.get", "core", "log_facility") == "LOG_LOCAL3"
    assert srv.call("cfg.get", "tcp", "connect_timeout") == 5
    assert srv.call("cfg.diff") == []


def test_rollback_drops_staged_changes(srv: CfgServer) -> None:
    srv.call("cfg.set_delayed_int", "core", "debug", 3)
    assert srv.call("cfg.rollback") == {}
    assert srv.call("cfg.diff") == []
    srv.call("cfg.commit")
    assert srv.call("cfg.get", "core", "debug") == 0


def test_help_gives_description_and_kamailio_type_line(srv: CfgServer) -> None:
    text = srv.call("cfg.help", "core", "debug")
    assert text.endswith("\n(parameter type is integer)")
    assert "Log level" in text and "default 0" in text and "range -5..3" in text
    text = srv.call("cfg.help", "core", "log_facility")
    assert text.endswith("\n(parameter type is string)") and "LOG_LOCAL0" in text
    assert "read-only at run time" in srv.call("cfg.help", "tcp", "async")


def test_list_all_and_one_group(srv: CfgServer) -> None:
    everything = srv.call("cfg.list")
    assert "core: debug" in everything and "tcp: rd_buf_size" in everything
    assert all(line.startswith("tcp: ") for line in srv.call("cfg.list", "tcp"))


def test_reset_returns_a_group_to_startup(srv: CfgServer) -> None:
    srv.call("cfg.seti", "core", "debug", 3)
    srv.call("cfg.seti", "tcp", "connect_timeout", 3)
    assert srv.call("cfg.reset", "core") == {}
    assert srv.call("cfg.get", "core", "debug") == 0
    assert srv.call("cfg.get", "tcp", "connect_timeout") == 3


def test_corex_debug_shows_and_sets(srv: CfgServer) -> None:
    assert srv.call("corex.debug") == {"debug": 0}
    assert srv.call("corex.debug", 3) == {"old": 0, "new": 3}
    assert srv.call("cfg.get", "core", "debug") == 3
    assert srv.call("corex.debug", "-1") == {"old": 3, "new": -1}


@pytest.mark.parametrize(
    ("level", "message"),
    [
        (7, "corex.debug: core.debug must be between -5 and 3, got 7"),
        (-6, "corex.debug: core.debug must be between -5 and 3, got -6"),
        ("loud", "corex.debug: the level must be an integer, got string 'loud'"),
    ],
)
def test_corex_debug_checks_the_level(srv: CfgServer, level: object, message: str) -> None:
    srv.call("corex.debug", 2)
    assert srv.error("corex.debug", level) == (400, message)
    assert srv.call("corex.debug") == {"debug": 2}


def test_save_is_off_by_default(srv: CfgServer) -> None:
    code, text = srv.error("cfg.save")
    assert code == 500 and "saving is off" in text and "cfg_overrides" in text


def test_save_writes_changes_from_the_baseline(tmp_path: Path) -> None:
    path = tmp_path / "overrides.toml"
    srv = CfgServer(overrides=path)
    srv.call("cfg.seti", "core", "debug", 3)
    srv.call("cfg.sets", "core", "log_facility", "LOG_LOCAL1")
    srv.call("cfg.seti", "tcp", "connect_timeout", 4)
    srv.call("cfg.seti", "tcp", "connect_timeout", 10)  # back to baseline: not saved
    result = srv.call("cfg.save")
    assert result == {
        "file": str(path),
        "saved": {"core": {"debug": 3, "log_facility": "LOG_LOCAL1"}},
    }
    assert tomllib.loads(path.read_text())["cfg"] == result["saved"]


def test_save_reports_a_write_failure(tmp_path: Path) -> None:
    srv = CfgServer(new_params(), overrides=tmp_path / "missing-dir" / "o.toml")
    code, text = srv.error("cfg.save")
    assert code == 500 and text.startswith("cfg.save: cannot write") and "No such file" in text
