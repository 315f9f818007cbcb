"""Starting, stopping and asking about the managed kamproxy (kamctl/managed.py), for
``kamctl start|stop|restart|status`` (kamctl/commands/lifecycle.py).

Every failure raises CommandFailed with the real cause: the configuration check's
message, the address already in use, the runtime directory another kamproxy owns, the
process that will not stop.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import click

from kamctl import exitcodes
from kamctl.dbaccess import CommandFailed
from kamctl.managed import KAMPROXY, LOG_NAME, Managed, endpoints, probe, process_gone

FAILED = exitcodes.REMOTE_FAULT  #: 1
#: Seconds between two looks at a starting or stopping kamproxy.
POLL = 0.1


# -- start --------------------------------------------------------------------------------


def check_config(args: list[str]) -> str | None:
    """Run ``kamproxy -c`` with ``args``: None when fine, else what it said."""
    try:
        done = subprocess.run(
            [*KAMPROXY, "-c", *args],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run the configuration check: {exc}"
    if done.returncode == 0:
        return None
    return _cause(done.stderr + done.stdout) or f"the check failed (status {done.returncode})"


def _cause(text: str) -> str:
    """kamproxy's own error lines (``kamproxy: ...``), else its last lines."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    own = [line.split(":", 1)[1].strip() for line in lines if line.startswith("kamproxy:")]
    own = [line.removeprefix("configuration error:").strip() for line in own]
    own = [line.removeprefix("cannot start:").strip() for line in own]
    if own:
        return "; ".join(own)
    usage = [line for line in lines if line.startswith("usage:") or "error:" in line]
    return "; ".join(usage[-2:] if usage else lines[-5:])


def _prepare_log(managed: Managed, log_file: str | None) -> Path:
    """The log path (its directory made, the runtime dir as kamproxy would make it)."""
    from proxy.runtime import RuntimeDirError, ensure_runtime_dir

    try:
        ensure_runtime_dir(managed.runtime_dir)
    except RuntimeDirError as exc:
        raise CommandFailed(f"kamproxy cannot start: {exc.strerror or exc}", FAILED) from None
    log = Path(os.path.abspath(log_file)) if log_file else managed.runtime_dir / LOG_NAME
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandFailed(
            f"cannot create the log directory {log.parent}: {exc}", FAILED
        ) from None
    return log


def _launch(managed: Managed, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start kamproxy in a session of its own, output to ``log``; (process, log offset)."""
    try:
        out = open(log, "ab")  # noqa: SIM115 - handed to the child, closed below
    except OSError as exc:
        raise CommandFailed(f"cannot open the log file {log}: {exc.strerror}", FAILED) from None
    with out:
        offset = out.seek(0, os.SEEK_END)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        out.write(f"--- {stamp} kamctl start: kamproxy {' '.join(managed.args)}\n".encode())
        out.flush()
        try:
            proc = subprocess.Popen(
                [*KAMPROXY, *managed.args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            raise CommandFailed(f"cannot run kamproxy: {exc}", FAILED) from None
    return proc, offset


def _new_log(log: Path, offset: int) -> str:
    try:
        with open(log, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _wait_ready(
    managed: Managed, proc: subprocess.Popen[bytes], log: Path, offset: int, wait: float
) -> list[str]:
    """Wait until every RPC address answers; the addresses. Raises CommandFailed with the
    cause when kamproxy exits or does not answer in time."""
    points = endpoints(managed)
    deadline = time.monotonic() + wait
    last: list[str] = []
    while True:
        code = proc.poll()
        if code is not None:
            cause = _cause(_new_log(log, offset)) or f"it exited with status {code}"
            raise CommandFailed(f"kamproxy did not start: {cause} (log: {log})", FAILED)
        if managed.pid() == proc.pid:
            probes = [probe(p, "core.version", timeout=0.5) for p in points]
            if all(p.ok for p in probes):
                return [str(p.endpoint) for p in probes]
            last = [f"{p.endpoint}: {p.error}" for p in probes if not p.ok]
        if time.monotonic() >= deadline:
            waiting = "; ".join(last) or "its pid file is not locked yet"
            raise CommandFailed(
                f"kamproxy (pid {proc.pid}) did not answer RPC within {wait:g} s ({waiting}); "
                f"it is still running: see {log}, stop it with `kamctl stop`",
                FAILED,
            )
        time.sleep(POLL)


def start_proxy(managed: Managed, log_file: str | None, wait: float) -> None:
    """Check, start and wait (each failure raises CommandFailed with its cause)."""
    problem = check_config(managed.args)
    if problem is not None:
        raise CommandFailed(f"kamproxy configuration check failed: {problem}", FAILED)
    pid = managed.pid()
    if pid is not None:
        raise CommandFailed(
            f"kamproxy is already running: pid {pid} owns runtime dir {managed.runtime_dir} "
            "(stop it with `kamctl stop`, or start another with -Y DIR)",
            FAILED,
        )
    log = _prepare_log(managed, log_file)
    proc, offset = _launch(managed, log)
    began = time.monotonic()
    answered = _wait_ready(managed, proc, log, offset, wait)
    managed.write_record(log, proc.pid)
    took = time.monotonic() - began
    click.echo(f"kamproxy started: pid {proc.pid}, runtime dir {managed.runtime_dir}")
    click.echo(f"log: {log}")
    for address in answered:
        click.echo(f"rpc: {address} answers")
    if not answered:
        click.echo("rpc: none configured (cannot check that it answers)")
    click.echo(f"ready after {took:.1f} s")
    # the child belongs to init once we exit; do not let Popen's finaliser warn about it
    proc.returncode = 0


# -- stop ---------------------------------------------------------------------------------


def not_running(managed: Managed) -> str:
    stale = managed.stale_pid()
    if stale is not None:
        log = managed.log_file()
        where = f"; see its log {log}" if log else ""
        return (
            f"kamproxy is not running: pid file {managed.pid_file} was left by pid {stale}, "
            f"which ended without removing it{where}"
        )
    return (
        f"kamproxy is not running (no pid file {managed.pid_file}; "
        f"runtime dir from {managed.source})"
    )


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not process_gone(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL / 2)
    return True


def stop_proxy(managed: Managed, wait: float, force: bool) -> bool:
    """Stop the managed kamproxy; False when it was not running (message printed)."""
    pid = managed.pid()
    if pid is None:
        click.echo(f"kamctl: {not_running(managed)}", err=True)
        return False
    began = time.monotonic()
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass  # ended in between
    except PermissionError:
        raise CommandFailed(
            f"not allowed to stop kamproxy pid {pid} (another user's process; run as that user)",
            FAILED,
        ) from None
    if _wait_gone(pid, wait):
        click.echo(f"kamproxy stopped (pid {pid}, after {time.monotonic() - began:.1f} s)")
        return True
    if not force:
        raise CommandFailed(
            f"kamproxy (pid {pid}) is still running {wait:g} s after SIGTERM; "
            "wait longer (--wait) or kill it (--force)",
            FAILED,
        )
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if not _wait_gone(pid, 5.0):
        raise CommandFailed(f"kamproxy (pid {pid}) survived SIGKILL", FAILED)
    click.echo(f"kamproxy killed (pid {pid}: SIGKILL after {wait:g} s without stopping)")
    return True


# -- status -------------------------------------------------------------------------------


def status_data(managed: Managed) -> dict[str, Any]:
    """Everything ``status`` reports, JSON-ready."""
    pid = managed.pid()
    data: dict[str, Any] = {
        "running": pid is not None,
        "pid": pid,
        "runtime_dir": str(managed.runtime_dir),
        "runtime_dir_source": managed.source,
        "pid_file": str(managed.pid_file),
        "stale_pid": managed.stale_pid(),
        "log": str(managed.log_file() or "") or None,
        "uptime": None,
        "up_since": None,
        "rpc": [],
        "answered": None,
    }
    if pid is None:
        return data
    probes = [probe(p) for p in endpoints(managed)]
    data["rpc"] = [p.as_dict() for p in probes]
    for p in probes:
        if p.ok:
            data["answered"] = str(p.endpoint)
            if isinstance(p.result, dict):
                data["uptime"] = p.result.get("uptime")
                data["up_since"] = p.result.get("up_since")
            break
    return data


def status_text(data: dict[str, Any], managed: Managed) -> None:
    from kamctl.commands.core import duration

    if not data["running"]:
        click.echo(not_running(managed))
        return
    click.echo(f"kamproxy is running: pid {data['pid']}")
    click.echo(f"runtime dir: {data['runtime_dir']} ({data['runtime_dir_source']})")
    if data["uptime"] is not None:
        click.echo(f"uptime: {duration(data['uptime'])} (since {data['up_since']})")
    for item in data["rpc"]:
        state = "answers" if item["ok"] else f"does not answer: {item['error']}"
        click.echo(f"rpc: {item['address']} {state}")
    if data["log"]:
        click.echo(f"log: {data['log']}")
