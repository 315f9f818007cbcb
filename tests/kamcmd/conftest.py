"""Fixtures for the kamcmd tests: a recording server and a private HOME."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kamcmd.support import RecordingServer

#: Results with nested structs and arrays, in the shapes Kamailio's jsonrpcs sends.
NESTED = {
    "NRSETS": 1,
    "RECORDS": [
        {
            "SET": {
                "ID": 1,
                "TARGETS": [{"DEST": {"URI": "sip:127.0.0.1:5080", "FLAGS": "AX", "PRIORITY": 0}}],
            }
        }
    ],
}
PSX = [
    {"IDX": 0, "PID": 100, "DSC": "main process - attendant"},
    {"IDX": 1, "PID": 101, "DSC": "udp receiver child=0 sock=127.0.0.1:5060"},
]
METHODS = [
    "cfg.get",
    "cfg.list",
    "cfg.seti",
    "core.echo",
    "core.ps",
    "core.psx",
    "core.uptime",
    "core.version",
    "system.listMethods",
    "system.methodHelp",
    "test.nested",
]
CFG_LIST = ["core: debug", "core: memdbg", "tm: fr_timer", "tm: fr_inv_timer"]


def default_table() -> dict[str, object]:
    from tests.kamcmd.support import Fault

    return {
        "core.version": "kamproxy-test 1.0 ",
        "core.psx": PSX,
        "core.ps": [100, "main process - attendant", 101, "udp receiver"],
        "test.nested": NESTED,
        "test.fault": Fault(500, "AOR not found in location table"),
        "system.listMethods": METHODS,
        "system.methodHelp": lambda params: f"help for {params[0]}",
        "cfg.list": CFG_LIST,
        "test.nothing": {},
        "test.null": None,
    }


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory with a short path (UNIX socket paths are limited to 108 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="kc", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def recorder(short_dir: Path) -> Iterator[RecordingServer]:
    server = RecordingServer(short_dir / "rpc.sock", default_table()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A private HOME (history, completion cache) for kamcmd subprocesses."""
    path = tmp_path / "home"
    path.mkdir()
    return path
