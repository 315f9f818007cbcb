"""The runtime dir and the pid-file lock (real files: flock needs a real kernel)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from proxy.runtime import AlreadyRunning, PidFile, RuntimeDirError, ensure_runtime_dir, read_pid


def test_pid_file_lock_refuses_a_second_owner(tmp_path: Path) -> None:
    first = PidFile(tmp_path / "kamproxy.pid")
    first.acquire()
    try:
        assert read_pid(tmp_path / "kamproxy.pid") == os.getpid()
        with pytest.raises(AlreadyRunning, match=f"pid {os.getpid()}"):
            PidFile(tmp_path / "kamproxy.pid").acquire()
    finally:
        first.release()
    assert not (tmp_path / "kamproxy.pid").exists()


def test_stale_pid_file_is_taken_over(tmp_path: Path) -> None:
    (tmp_path / "kamproxy.pid").write_text("999999\n")
    assert read_pid(tmp_path / "kamproxy.pid") is None
    pidfile = PidFile(tmp_path / "kamproxy.pid")
    pidfile.acquire()
    assert (tmp_path / "kamproxy.pid").read_text() == f"{os.getpid()}\n"
    pidfile.release()


def test_lock_held_by_another_process(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from proxy.runtime import PidFile;"
            f"p=PidFile(Path({str(tmp_path)!r})/'kamproxy.pid'); p.acquire();"
            "print('ok', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        assert read_pid(tmp_path / "kamproxy.pid") == holder.pid
        with pytest.raises(AlreadyRunning, match=f"pid {holder.pid}"):
            PidFile(tmp_path / "kamproxy.pid").acquire()
    finally:
        holder.communicate("", timeout=10)


def test_runtime_dir_created(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    ensure_runtime_dir(target)
    assert target.is_dir()


def test_runtime_dir_must_be_a_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(RuntimeDirError):
        ensure_runtime_dir(tmp_path / "file")
