"""kamctl start|stop|restart|status with a real kamproxy, and each failure's real cause."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from proxy.runtime import read_pid
from rpc.address import PID_NAME
from tests.kamctl_ops.support import Kamctl, proxy_args
from tests.support.proxy import ROOT, KamproxyProcess


def _start(kamctl: Kamctl, runtime_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    db = runtime_dir.parent / "k.sqlite"
    return kamctl("start", "-Y", str(runtime_dir), *extra, "--", *proxy_args(db))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rpartition(")")[2].split()[0] != "Z"


def test_start_status_stop(kamctl: Kamctl, runtime_dir: Path) -> None:
    done = _start(kamctl, runtime_dir)
    assert done.returncode == 0, done.stderr
    pid = read_pid(runtime_dir / PID_NAME)
    assert pid is not None and _alive(pid)
    assert done.stdout.startswith(f"kamproxy started: pid {pid}, runtime dir {runtime_dir}\n")
    assert f"rpc: unix:{runtime_dir}/kamailio_rpc.sock answers" in done.stdout
    assert f"rpc: fifo:{runtime_dir}/kamailio_rpc.fifo answers" in done.stdout
    assert "answers\n" in done.stdout.split("rpc: http://")[1]
    log = runtime_dir / "kamproxy.log"
    assert "kamproxy started" in log.read_text()

    code, status = kamctl.json("status", "-Y", str(runtime_dir))
    assert code == 0
    assert status["running"] is True and status["pid"] == pid
    assert status["answered"] == f"unix:{runtime_dir}/kamailio_rpc.sock"
    assert [r["ok"] for r in status["rpc"]] == [True, True, True]
    assert isinstance(status["uptime"], int) and status["log"] == str(log)
    text = kamctl("status", "-Y", str(runtime_dir))
    assert text.returncode == 0 and text.stdout.startswith(f"kamproxy is running: pid {pid}\n")

    stopped = kamctl("stop", "-Y", str(runtime_dir))
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.startswith(f"kamproxy stopped (pid {pid}, after ")
    assert not _alive(pid) and read_pid(runtime_dir / PID_NAME) is None

    code, status = kamctl.json("status", "-Y", str(runtime_dir))
    assert code == 3 and status["running"] is False and status["pid"] is None
    again = kamctl("stop", "-Y", str(runtime_dir))
    assert again.returncode == 3 and again.stdout == ""
    assert again.stderr == (
        f"kamctl: kamproxy is not running (no pid file {runtime_dir}/{PID_NAME}; "
        "runtime dir from -Y flag)\n"
    )


def test_bad_config_reports_the_checks_message(
    kamctl: Kamctl, runtime_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[core]\nlisten_on = 1\n")
    done = _start(kamctl, runtime_dir, "-f", str(bad))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"kamctl: kamproxy configuration check failed: {bad}: ")
    assert "unknown key 'listen_on'" in done.stderr
    assert not (runtime_dir / PID_NAME).exists()


def test_bad_kamproxy_argument_reports_it(kamctl: Kamctl, runtime_dir: Path) -> None:
    done = kamctl("start", "-Y", str(runtime_dir), "--", "--no-such-flag")
    assert done.returncode == 1
    assert "unrecognized arguments: --no-such-flag" in done.stderr


def test_http_port_in_use_reports_the_bind_error(kamctl: Kamctl, runtime_dir: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        db = runtime_dir.parent / "k.sqlite"
        args = [*proxy_args(db), "--rpc-http", f"127.0.0.1:{port}"]
        done = kamctl("start", "-Y", str(runtime_dir), "--", *args)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("kamctl: kamproxy did not start: JSONRPCS HTTP: ")
    assert f"('127.0.0.1', {port}): address already in use" in done.stderr
    assert f"(log: {runtime_dir}/kamproxy.log)" in done.stderr
    assert read_pid(runtime_dir / PID_NAME) is None  # nothing left running


def test_sip_port_in_use_reports_the_bind_error(kamctl: Kamctl, runtime_dir: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        db = runtime_dir.parent / "k.sqlite"
        done = kamctl(
            "start", "-Y", str(runtime_dir), "--", *proxy_args(db), "-l", f"udp:127.0.0.1:{port}"
        )
    assert done.returncode == 1
    assert f"cannot listen on udp:127.0.0.1:{port}: address already in use" in done.stderr


def test_runtime_dir_owned_by_another_instance(
    kamctl: Kamctl, tmp_path_factory: pytest.TempPathFactory
) -> None:
    base = tmp_path_factory.mktemp("kpo")
    other = KamproxyProcess(base, args=["--db", f"sqlite:///{base}/k.sqlite"]).start()
    try:
        assert other.proc is not None
        done = _start(kamctl, other.runtime_dir)
        assert done.returncode == 1
        assert done.stderr == (
            f"kamctl: kamproxy is already running: pid {other.proc.pid} owns runtime dir "
            f"{other.runtime_dir} (stop it with `kamctl stop`, or start another with -Y DIR)\n"
        )
        assert other.alive()
    finally:
        other.stop()


def test_runtime_dir_not_usable(kamctl: Kamctl, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    done = kamctl("start", "-Y", str(blocker / "run"))
    assert done.returncode == 1
    assert done.stderr.startswith("kamctl: kamproxy cannot start: cannot create runtime dir ")


def test_restart_reuses_the_arguments(kamctl: Kamctl, runtime_dir: Path) -> None:
    assert _start(kamctl, runtime_dir).returncode == 0
    first = read_pid(runtime_dir / PID_NAME)
    done = kamctl("restart", "-Y", str(runtime_dir))
    assert done.returncode == 0, done.stderr
    second = read_pid(runtime_dir / PID_NAME)
    assert first is not None and second is not None and first != second
    assert done.stdout.startswith(f"kamproxy stopped (pid {first}")
    assert f"kamproxy started: pid {second}" in done.stdout
    assert "rpc: http://" in done.stdout  # the recorded --rpc-http port, not the default
    assert kamctl("stop", "-Y", str(runtime_dir)).returncode == 0


def test_restart_of_a_stopped_proxy_starts_it(kamctl: Kamctl, runtime_dir: Path) -> None:
    db = runtime_dir.parent / "k.sqlite"
    done = kamctl("restart", "-Y", str(runtime_dir), "--", *proxy_args(db))
    assert done.returncode == 0, done.stderr
    assert "kamproxy is not running" in done.stderr and "starting it" in done.stderr
    assert kamctl("stop", "-Y", str(runtime_dir)).returncode == 0


def test_pid_file_setting_names_the_runtime_dir(kamctl: Kamctl, runtime_dir: Path) -> None:
    assert _start(kamctl, runtime_dir).returncode == 0
    env = {"PID_FILE": str(runtime_dir / PID_NAME)}
    code, status = kamctl.json("status", env=env)
    assert code == 0 and status["running"] is True
    assert status["runtime_dir_source"] == "directory of pid_file (environment PID_FILE)"
    assert kamctl("stop", env=env).returncode == 0


# -- a process that holds the pid file but is not (or no longer) a working kamproxy ---------

HOLDER = r"""
import fcntl, os, signal, sys, time
path = sys.argv[1]
signal.signal(signal.SIGTERM, signal.SIG_IGN)
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, f"{os.getpid()}\n".encode())
print("locked", flush=True)
time.sleep(60)
"""


@pytest.fixture
def holder(runtime_dir: Path) -> Iterator[subprocess.Popen[str]]:
    """A stubborn process that holds runtime_dir's pid file and ignores SIGTERM."""
    runtime_dir.mkdir(parents=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(runtime_dir / PID_NAME)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "locked\n"
        yield proc
    finally:
        proc.kill()
        proc.wait(10)


def test_stop_waits_then_force_kills(
    kamctl: Kamctl, runtime_dir: Path, holder: subprocess.Popen[str]
) -> None:
    done = kamctl("stop", "-Y", str(runtime_dir), "--wait", "0.3")
    assert done.returncode == 1
    assert done.stderr == (
        f"kamctl: kamproxy (pid {holder.pid}) is still running 0.3 s after SIGTERM; "
        "wait longer (--wait) or kill it (--force)\n"
    )
    assert holder.poll() is None
    forced = kamctl("stop", "-Y", str(runtime_dir), "--wait", "0.3", "--force")
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.startswith(f"kamproxy killed (pid {holder.pid}: SIGKILL after 0.3 s")
    assert holder.wait(10) == -signal.SIGKILL


def test_status_of_a_proxy_that_does_not_answer(
    kamctl: Kamctl, runtime_dir: Path, holder: subprocess.Popen[str]
) -> None:
    code, status = kamctl.json("status", "-Y", str(runtime_dir))
    assert code == 1
    assert status["running"] is True and status["pid"] == holder.pid
    assert status["answered"] is None and not any(r["ok"] for r in status["rpc"])
    text = kamctl("status", "-Y", str(runtime_dir))
    assert text.returncode == 1
    assert "kamctl: kamproxy runs but no RPC address answers" in text.stderr


def test_stale_pid_file_is_recognised(kamctl: Kamctl, runtime_dir: Path) -> None:
    runtime_dir.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(10)
    (runtime_dir / PID_NAME).write_text(f"{dead.pid}\n")
    done = kamctl("status", "-Y", str(runtime_dir))
    assert done.returncode == 3
    assert done.stdout == (
        f"kamproxy is not running: pid file {runtime_dir}/{PID_NAME} was left by pid "
        f"{dead.pid}, which ended without removing it\n"
    )
    code, status = kamctl.json("status", "-Y", str(runtime_dir))
    assert code == 3 and status["stale_pid"] == dead.pid


def test_start_does_not_hang_the_caller(kamctl: Kamctl, runtime_dir: Path) -> None:
    """kamproxy's output goes to the log, not to kamctl's pipes: the caller gets EOF."""
    began = time.monotonic()
    done = _start(kamctl, runtime_dir, "--wait", "20")
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - began < 30  # generous: proves it returns while kamproxy runs
    pid = read_pid(runtime_dir / PID_NAME)
    assert pid is not None and os.getsid(pid) == pid  # a session of its own
    assert kamctl("stop", "-Y", str(runtime_dir)).returncode == 0
