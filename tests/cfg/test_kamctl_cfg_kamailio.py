"""The same kamctl cfg / debug commands against a real Kamailio 5.6 (its JSON-RPC)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kamctl.cli import main

pytestmark = pytest.mark.kamailio

PEER_DEBUG = 2  # debug=2 in tests/peers/kamailio.cfg


class Kamctl:
    def __init__(self, address: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.address = address
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["-s", self.address, *args])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def kamctl(kamailio_peer: Any, capsys: pytest.CaptureFixture[str]) -> Iterator[Kamctl]:
    run = Kamctl(f"unix:{kamailio_peer.sock}", capsys)
    try:
        yield run
    finally:  # the peer is shared by the session: put back what we changed
        main(["-s", run.address, "cfg", "rollback"])
        main(["-s", run.address, "cfg", "set", "core", "debug", str(PEER_DEBUG)])
        main(["-s", run.address, "cfg", "set", "core", "log_facility", "LOG_DAEMON"])
        capsys.readouterr()


def test_get_and_set_an_integer(kamctl: Kamctl) -> None:
    assert kamctl("cfg", "get", "core", "debug") == (0, f"{PEER_DEBUG}\n", "")
    assert kamctl("cfg", "set", "core", "debug", "3") == (0, "", "")
    assert kamctl("cfg", "get", "core", "debug")[1] == "3\n"


def test_set_a_string_variable(kamctl: Kamctl) -> None:
    # cfg.help answers only "(parameter type is string)": enough to send cfg.sets
    assert kamctl("cfg", "set", "core", "log_facility", "LOG_LOCAL0")[0] == 0
    code, _out, err = kamctl("cfg", "set", "core", "log_facility", "NOPE")
    assert (code, err) == (1, "error: 400 - Failed to set the variable\n")


def test_a_non_integer_is_refused_before_anything_is_sent(kamctl: Kamctl) -> None:
    code, _out, err = kamctl("cfg", "set", "core", "debug", "notanint")
    assert code == 2 and "is not an integer" in err
    assert kamctl("cfg", "get", "core", "debug")[1] == f"{PEER_DEBUG}\n"  # not 0


def test_out_of_range_is_kamailios_fault(kamctl: Kamctl) -> None:
    code, _out, err = kamctl("cfg", "set", "tcp", "rd_buf_size", "100")
    assert (code, err) == (1, "error: 400 - Failed to set the variable\n")
    assert kamctl("cfg", "get", "tcp", "rd_buf_size")[1] == "16384\n"


def test_help_list_and_group(kamctl: Kamctl) -> None:
    assert kamctl("cfg", "help", "core", "debug") == (0, "(parameter type is integer)\n", "")
    code, out, _err = kamctl("cfg", "list", "core")
    assert code == 0 and "core: debug\n" in out
    code, out, _err = kamctl("cfg", "get", "core")
    assert code == 0 and f"debug: {PEER_DEBUG}\n" in out


def test_delayed_diff_commit_and_rollback(kamctl: Kamctl) -> None:
    assert kamctl("cfg", "set", "--delayed", "core", "debug", "3")[0] == 0
    assert kamctl("cfg", "get", "core", "debug")[1] == f"{PEER_DEBUG}\n"
    assert kamctl("cfg", "diff")[1] == f"core.debug: {PEER_DEBUG} -> 3\n"
    assert kamctl("cfg", "commit")[0] == 0
    assert kamctl("cfg", "get", "core", "debug")[1] == "3\n"
    assert kamctl("cfg", "set", "--delayed", "core", "debug", "1")[0] == 0
    assert kamctl("cfg", "rollback")[0] == 0
    assert kamctl("cfg", "diff") == (0, "", "no staged changes\n")
    assert kamctl("cfg", "get", "core", "debug")[1] == "3\n"


def test_debug_and_srv_debug(kamctl: Kamctl) -> None:
    assert kamctl("debug") == (0, f"debug: {PEER_DEBUG} (INFO)\n", "")
    assert kamctl("srv", "debug", "3") == (0, f"debug: {PEER_DEBUG} (INFO) -> 3 (DEBUG)\n", "")
    assert kamctl("cfg", "get", "core", "debug")[1] == "3\n"
