"""kamctl cfg / debug / srv debug against a real kamproxy, and type choice with a mock."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from kamctl.cli import main
from kamctl.commands.cfg import cfg, parse_type
from kamctl.context import Settings
from rpc.client import Client
from rpc.client.base import Params
from rpc.client.mock import MockTransport
from tests.support.proxy import KamproxyProcess


class Kamctl:
    def __init__(self, kamproxy: KamproxyProcess, capsys: pytest.CaptureFixture[str]) -> None:
        self.address = f"unix:{kamproxy.sock}"
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["-s", self.address, *args])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def kamctl(kamproxy: KamproxyProcess, capsys: pytest.CaptureFixture[str]) -> Kamctl:
    return Kamctl(kamproxy, capsys)


def test_get_set_and_negative_values(kamctl: Kamctl) -> None:
    assert kamctl("cfg", "get", "core", "debug") == (0, "0\n", "")
    assert kamctl("cfg", "set", "core", "debug", "3") == (0, "", "")
    assert kamctl("cfg", "get", "core", "debug")[1] == "3\n"
    assert kamctl("cfg", "set", "core", "debug", "-1")[0] == 0
    assert kamctl("cfg", "get", "core", "debug")[1] == "-1\n"
    assert kamctl("cfg", "set", "core", "log_facility", "LOG_LOCAL0")[0] == 0
    assert kamctl("cfg", "get", "core", "log_facility")[1] == "LOG_LOCAL0\n"


def test_get_a_group_and_json(kamctl: Kamctl) -> None:
    code, out, _err = kamctl("cfg", "get", "tcp")
    assert code == 0 and "connect_timeout: 10\n" in out and "rd_buf_size: 16384\n" in out
    code, out, _err = kamctl("cfg", "get", "core", "-F", "json")
    assert code == 0 and '"log_facility": "LOG_DAEMON"' in out


def test_set_refuses_a_non_integer_for_an_integer_var(kamctl: Kamctl) -> None:
    code, out, err = kamctl("cfg", "set", "core", "debug", "notanint")
    assert code == 2 and out == ""
    assert "core.debug is an integer parameter; 'notanint' is not an integer" in err
    assert kamctl("cfg", "get", "core", "debug")[1] == "0\n"


def test_server_errors_are_shown_and_change_nothing(kamctl: Kamctl) -> None:
    code, _out, err = kamctl("cfg", "set", "core", "debug", "9")
    assert (code, err) == (1, "error: 400 - cfg.seti: core.debug must be between -5 and 3, got 9\n")
    code, _out, err = kamctl("cfg", "set", "tcp", "async", "0")
    assert code == 1 and "tcp.async is read-only" in err
    code, _out, err = kamctl("cfg", "get", "core", "nosuch")
    assert code == 1 and "unknown variable core.nosuch" in err
    assert kamctl("cfg", "get", "core", "debug")[1] == "0\n"


def test_delayed_diff_commit_rollback(kamctl: Kamctl) -> None:
    code, _out, err = kamctl("cfg", "set", "--delayed", "core", "debug", "2")
    assert code == 0 and "staged" in err
    assert kamctl("cfg", "set", "--delayed", "core", "log_facility", "local5")[0] == 0
    assert kamctl("cfg", "get", "core", "debug")[1] == "0\n"
    assert kamctl("cfg", "diff")[1] == (
        "core.debug: 0 -> 2\ncore.log_facility: LOG_DAEMON -> LOG_LOCAL5\n"
    )
    assert kamctl("cfg", "commit")[0] == 0
    assert kamctl("cfg", "get", "core", "debug")[1] == "2\n"
    assert kamctl("cfg", "diff") == (0, "", "no staged changes\n")
    kamctl("cfg", "set", "--delayed", "tcp", "connect_timeout", "3")
    assert kamctl("cfg", "rollback")[0] == 0
    assert kamctl("cfg", "diff", "-F", "json")[1] == "[]\n"
    assert kamctl("cfg", "get", "tcp", "connect_timeout")[1] == "10\n"


def test_list_help_reset(kamctl: Kamctl) -> None:
    code, out, _err = kamctl("cfg", "list", "core")
    assert code == 0 and out.splitlines()[0] == "core: debug"
    assert "tcp: connect_timeout" in kamctl("cfg", "list")[1]
    code, out, _err = kamctl("cfg", "help", "tcp", "connect_timeout")
    assert code == 0 and out.endswith("(parameter type is integer)\n") and "unit s" in out
    kamctl("cfg", "set", "core", "force_rport", "1")
    assert kamctl("cfg", "reset", "core")[0] == 0
    assert kamctl("cfg", "get", "core", "force_rport")[1] == "0\n"


def test_save_needs_the_overrides_file(kamctl: Kamctl) -> None:
    code, _out, err = kamctl("cfg", "save")
    assert code == 1 and "saving is off" in err


def test_debug_show_and_set(kamctl: Kamctl) -> None:
    assert kamctl("debug") == (0, "debug: 0 (WARNING)\n", "")
    assert kamctl("debug", "3") == (0, "debug: 0 (WARNING) -> 3 (DEBUG)\n", "")
    assert kamctl("srv", "debug") == (0, "debug: 3 (DEBUG)\n", "")
    assert kamctl("srv", "debug", "-2") == (0, "debug: 3 (DEBUG) -> -2 (CRITICAL)\n", "")
    code, _out, err = kamctl("debug", "7")
    assert code == 1 and "core.debug must be between -5 and 3, got 7" in err
    code, _out, err = kamctl("debug", "loud")
    assert code == 2 and "'loud' is not an integer" in err
    assert kamctl("cfg", "get", "core", "debug")[1] == "-2\n"


# -- the type comes from cfg.help, never from the value --------------------------


def _run_with(handler: dict[str, Any], *args: str) -> tuple[int, str, list[tuple[str, Params]]]:
    transport = MockTransport(handler)
    settings = Settings(_client=Client(transport))
    result = CliRunner().invoke(cfg, list(args), obj=settings)
    return result.exit_code, result.output, transport.calls


def test_a_numeric_looking_value_for_a_string_var_is_sent_as_a_string() -> None:
    kamailio = {"cfg.help": "(parameter type is string)", "cfg.sets": {}}
    code, _out, calls = _run_with(kamailio, "set", "xlog", "methods_filter", "15")
    assert code == 0
    assert calls == [
        ("cfg.help", ["xlog", "methods_filter"]),
        ("cfg.sets", ["xlog", "methods_filter", "15"]),
    ]


def test_kamailio_style_help_and_delayed_int() -> None:
    kamailio = {"cfg.help": "(parameter type is integer)", "cfg.set_delayed_int": {}}
    code, _out, calls = _run_with(kamailio, "set", "--delayed", "tm", "fr_timer", "-1")
    assert code == 0 and calls[-1] == ("cfg.set_delayed_int", ["tm", "fr_timer", -1])


def test_unknown_type_is_an_error() -> None:
    code, out, calls = _run_with({"cfg.help": "something else"}, "set", "a", "b", "1")
    assert code == 1 and "does not say the type of a.b" in out
    assert [method for method, _params in calls] == ["cfg.help"]


def test_kamailio_diff_shapes() -> None:
    one = {"group name": "tcp", "variable name": "connect_timeout", "old value": 10, "new value": 5}
    code, out, _calls = _run_with({"cfg.diff": one}, "diff")
    assert (code, out) == (0, "tcp.connect_timeout: 10 -> 5\n")
    code, out, _calls = _run_with({"cfg.diff": {}}, "diff")
    assert (code, out) == (0, "no staged changes\n")


def test_parse_type() -> None:
    assert parse_type("Log level\n(parameter type is integer)") == "int"
    assert parse_type({"type": "string"}) == "str"
    assert parse_type("nothing") is None
