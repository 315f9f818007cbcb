"""What kamctl says after a table change for each answer a proxy may give to the reload
(kamproxy's, and Kamailio's faults seen with a real one), with a mock RPC client."""

from __future__ import annotations

from typing import Any

import click
import pytest

from kamctl.context import Settings
from kamctl.dbaccess import CommandFailed
from kamctl.modtables import call_dump, reload_after_change
from rpc.client import Client
from rpc.client.mock import MockTransport
from rpc.errors import ConnectError, RemoteError


def settings_answering(handler: Any) -> Settings:
    settings = Settings()
    settings._client = Client(MockTransport(handler))
    return settings


def fault(code: int, message: str) -> Any:
    def raise_it(method: str, params: Any) -> Any:
        raise RemoteError(code, message)

    return raise_it


def test_reloaded(capsys: pytest.CaptureFixture[str]) -> None:
    reload_after_change(
        settings_answering({"domain.reload": {}}), "domain.reload", "domain table", "domain"
    )
    assert capsys.readouterr().out == "the proxy reloaded the domain table (domain.reload)\n"


@pytest.mark.parametrize(
    ("handler", "words"),
    [
        (fault(500, "Method Not Found"), "has no domain.reload method"),  # Kamailio without it
        ({}, "has no domain.reload method"),  # kamproxy: -32601
        (fault(500, "Ongoing reload"), "run `kamctl domain reload` in a moment"),
        (fault(500, "ongoing reload"), "so soon after its last reload"),
    ],
)
def test_notes_that_keep_exit_0(
    handler: Any, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    reload_after_change(settings_answering(handler), "domain.reload", "domain table", "domain")
    out, err = capsys.readouterr()
    assert out == "" and words in err and err.startswith("kamctl: note: ")


def test_unreachable_says_how_to_reload_later(capsys: pytest.CaptureFixture[str]) -> None:
    def down(method: str, params: Any) -> Any:
        raise ConnectError("nobody listens", address="unix:/x")

    reload_after_change(
        settings_answering(down), "dispatcher.reload", "dispatcher table", "dispatcher"
    )
    assert "run `kamctl dispatcher reload` when it runs" in capsys.readouterr().err


def test_a_failed_reload_is_exit_1_with_the_proxys_reason() -> None:
    settings = settings_answering(fault(500, "Reload Failed: table dispatcher, row id 3, ..."))
    with pytest.raises(CommandFailed) as info:
        reload_after_change(settings, "dispatcher.reload", "dispatcher table", "dispatcher")
    assert info.value.exit_code == 1
    assert "500 - Reload Failed: table dispatcher, row id 3" in info.value.format_message()
    assert isinstance(info.value, click.ClickException)


def test_dump_faults_that_mean_empty() -> None:
    settings = settings_answering(fault(500, "No Destination Sets"))
    assert call_dump(settings, "dispatcher.list", empty=("No Destination Sets",)) is None
    with pytest.raises(RemoteError):
        call_dump(settings_answering(fault(500, "boom")), "dispatcher.list", empty=("x",))
