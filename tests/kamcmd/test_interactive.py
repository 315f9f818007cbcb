"""Interactive mode, driven through a pseudo-terminal: prompt, completion, history."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kamctl.interactive import Completer
from rpc.client import Client
from rpc.client.mock import MockTransport
from rpc.errors import RemoteError
from tests.kamcmd.ptyrun import PtyProcess
from tests.kamcmd.support import ENTRY, Fault, RecordingServer, env_for

PROMPT = "kamcmd> "


@pytest.fixture
def session_of(home: Path) -> Iterator[object]:
    """Start ``kamcmd -s ADDRESS`` on a terminal; every child is killed at the end."""
    started: list[PtyProcess] = []

    def start(address: str) -> PtyProcess:
        env = env_for(home, {"TERM": "xterm"})
        child = PtyProcess([sys.executable, "-c", ENTRY, "-s", address], env, str(home))
        started.append(child)
        return child

    yield start
    for child in started:
        child.close()


def test_prompt_call_completion_history(
    recorder: RecordingServer, session_of: object, home: Path
) -> None:
    term = session_of(recorder.address)  # type: ignore[operator]
    banner = term.expect(PROMPT)
    assert f"talking to {recorder.address} (-s flag)" in banner

    term.send("core.ver\t")  # method name completion from system.listMethods
    term.expect("core.version ")
    term.send("\r")
    assert "kamproxy-test 1.0" in term.expect(PROMPT)

    term.send("cfg.get c\t")  # cfg group from cfg.list
    term.expect("core ")
    term.send("me\t")  # cfg variable of that group
    term.expect("memdbg ")
    term.send("\r")
    assert "core\r\nmemdbg\r\n" in term.expect(PROMPT)  # the recorder echoes params
    assert recorder.requests[-1].params == ["core", "memdbg"]

    term.send("help core.uptime\r")
    assert "help for core.uptime" in term.expect(PROMPT)
    term.send("test.fault\r")
    assert "error: 500 - AOR not found in location table" in term.expect(PROMPT)
    term.send("core.echo 'two words' 5\r")
    assert "two words\r\n5\r\n" in term.expect(PROMPT)
    # Ctrl-C: a new prompt, not the end. Give readline a moment to take the terminal after
    # drawing the prompt: a SIGINT in that gap is a race of the test, not of a typing user.
    time.sleep(0.3)
    term.send("\x03")
    term.expect(PROMPT)
    term.send("quit\r")
    assert term.wait() == 0

    history = (home / "state" / "kamctl" / "kamcmd_history").read_text().splitlines()
    assert [line.strip() for line in history] == [
        "core.version",
        "cfg.get core memdbg",
        "help core.uptime",
        "test.fault",
        "core.echo 'two words' 5",
    ]
    # the method list was fetched once, cfg.list once, over the session's one transport
    methods = [r.method for r in recorder.requests]
    assert methods.count("system.listMethods") == 1
    assert methods.count("cfg.list") == 1
    assert len({r.sender for r in recorder.requests}) == 1


def test_history_survives_the_session(
    recorder: RecordingServer, session_of: object, home: Path
) -> None:
    first = session_of(recorder.address)  # type: ignore[operator]
    first.expect(PROMPT)
    first.send("core.echo remembered\r")
    first.expect(PROMPT)
    first.send("\x04")  # Ctrl-D ends the session too
    assert first.wait() == 0

    second = session_of(recorder.address)  # type: ignore[operator]
    second.expect(PROMPT)
    second.send("\x1b[A\r")  # Up, Enter: the last line of the earlier session
    assert "remembered" in second.expect(PROMPT)
    assert recorder.requests[-1].params == ["remembered"]
    second.send("exit\r")
    assert second.wait() == 0


def test_missing_cfg_list_degrades_silently(recorder: RecordingServer, session_of: object) -> None:
    recorder.table["cfg.list"] = Fault(-32601, "Method not found: cfg.list")
    term = session_of(recorder.address)  # type: ignore[operator]
    term.expect(PROMPT)
    term.send("cfg.get \t\t")
    term.send("core debug\r")
    shown = term.expect(PROMPT)
    assert "error" not in shown.lower() and "Traceback" not in shown
    assert recorder.requests[-1].params == ["core", "debug"]
    term.send("quit\r")
    assert term.wait() == 0


def test_no_server_still_gives_a_prompt(short_dir: Path, session_of: object) -> None:
    term = session_of(f"unix:{short_dir}/none.sock")  # type: ignore[operator]
    term.expect(PROMPT)
    term.send("core.v\t\t")  # nothing to complete, no hang, no noise
    term.send("\r")
    assert "does not exist" in term.expect(PROMPT)
    term.send("quit\r")
    assert term.wait() == 0


# -- the completer's choices, without a terminal --------------------------------------------


def _completer(table: dict[str, object]) -> Completer:
    return Completer(Client(MockTransport(table)))


def test_completer_candidates() -> None:
    completer = _completer(
        {"system.listMethods": ["core.version", "cfg.get"], "cfg.list": ["core: debug", "tm: x"]}
    )
    first = completer.candidates("", 0)
    assert {"core.version", "cfg.get", "ps", "help", "quit", "exit"} <= set(first)
    assert completer.candidates("help ", 5) == sorted(
        ["cfg.get", "core.version", "help", "list", "ls", "ps", "psx", "ver", "version"]
    )
    assert completer.candidates("cfg.get ", 8) == ["core", "tm"]
    assert completer.candidates("cfg.get tm ", 11) == ["x"]
    assert completer.candidates("cfg.get tm[1] ", 14) == ["x"]
    assert completer.candidates("cfg.get tm x ", 13) == []
    assert completer.candidates("core.version ", 13) == []


def test_completer_without_cfg_list() -> None:
    def no_cfg(_params: object) -> object:
        raise RemoteError(-32601, "Method not found")

    completer = _completer({"system.listMethods": ["cfg.get"], "cfg.list": no_cfg})
    assert completer.candidates("cfg.get ", 8) == []
