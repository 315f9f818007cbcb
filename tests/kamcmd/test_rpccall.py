"""One call from words (shared by kamcmd and kamctl rpc), on a mock transport."""

from __future__ import annotations

import io

import pytest

from kamctl.args import ArgumentError
from kamctl.rpccall import ALIASES, perform, plan
from rpc.client import Client
from rpc.client.mock import MockTransport
from rpc.errors import ConnectError, RemoteError, RpcError, RpcTimeout


def test_plan() -> None:
    step = plan(["ps"])
    assert (step.method, step.params, step.fmt) == ("core.ps", [], "%v\t%v\n")
    step = plan(["help"])
    assert (step.method, step.help_list) == ("system.listMethods", True)
    assert plan(["help", "ver"]).params == ["core.version"]
    assert plan(["help", "ul.dump", "extra"]).params == ["ul.dump"]
    assert plan(["cfg.seti", "core", "debug", "3"]).params == ["core", "debug", 3]
    assert set(ALIASES) == {"ps", "psx", "ls", "list", "ver", "version"}
    with pytest.raises(ArgumentError):
        plan(["m", "b:perhaps"])


def _run(error: RpcError, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    def fail(_params: object) -> object:
        raise error

    errors: list[RpcError] = []
    client = Client(MockTransport({"m": fail}))
    code = perform(client, ["m"], prog="kamctl", source="-s flag", out=io.StringIO(), errors=errors)
    assert errors == [error]
    return code, capsys.readouterr().err


def test_errors_become_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(RemoteError(404, "no such user"), capsys) == (1, "error: 404 - no such user\n")
    code, err = _run(
        ConnectError("nobody is serving x", address="unix:/x", hint="start it"), capsys
    )
    assert code == 3
    assert err == "kamctl: nobody is serving x (start it) [unix:/x (-s flag)]\n"
    code, err = _run(RpcTimeout("no reply within 1 s", address="fifo:/f"), capsys)
    assert (code, err) == (3, "kamctl: no reply within 1 s [fifo:/f (-s flag)]\n")


def test_result_goes_to_the_given_stream() -> None:
    out = io.StringIO()
    client = Client(MockTransport({"system.listMethods": ["a.b"], "core.version": "v"}))
    assert perform(client, ["help"], out=out) == 0
    assert perform(client, ["ver"], style="json", out=out) == 0
    assert out.getvalue().startswith("a.b\naliases: ")
    assert out.getvalue().endswith('"v"\n')
