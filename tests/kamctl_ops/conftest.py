"""Fixtures for the operator commands: a private HOME, a kamctl runner, a recording
RPC server, and cleanup of any kamproxy a test started with ``kamctl start``."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from proxy.runtime import read_pid
from rpc.address import PID_NAME
from tests.kamcmd.support import RecordingServer
from tests.kamctl_ops.support import Kamctl


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def kamctl(home: Path) -> Kamctl:
    return Kamctl(home)


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory with a short path (UNIX socket paths are limited to 108 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="ko", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def recorder(short_dir: Path) -> Iterator[RecordingServer]:
    """A JSON-RPC datagram server answering from a table the test fills."""
    server = RecordingServer(short_dir / "rpc.sock", {}).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def runtime_dirs() -> Iterator[list[Path]]:
    """Runtime dirs for ``kamctl start``; whatever still runs there is killed at the end."""
    dirs: list[Path] = []
    try:
        yield dirs
    finally:
        for directory in dirs:
            pid = read_pid(directory / PID_NAME)
            if pid is not None:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def runtime_dir(runtime_dirs: list[Path]) -> Path:
    """One short private directory for a kamproxy started by kamctl (not yet created)."""
    parent = Path(tempfile.mkdtemp(prefix="kr", dir="/tmp"))
    runtime_dirs.append(parent)
    return parent / "run"
