"""A real kamproxy subprocess for tests, on a private runtime dir and free ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from rpc.address import FIFO_NAME, PID_NAME, SOCKET_NAME

ROOT = Path(__file__).resolve().parents[2]


def free_port(kind: int = socket.SOCK_STREAM, host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (loopback)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, kind) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def free_sip_port(host: str = "127.0.0.1") -> int:
    """A port free for both UDP and TCP right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(50):
        port = free_port(socket.SOCK_STREAM, host)
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no port free for both UDP and TCP on {host}")


class KamproxyProcess:
    """``kamproxy`` started with ``-Y DIR`` and its own reply dir; stopped on exit."""

    def __init__(
        self,
        base: Path,
        *,
        config: str = "",
        args: list[str] | None = None,
        http: bool = True,
        ready_log: Path | None = None,
    ) -> None:
        self.base = base
        #: where "kamproxy started" appears when it logs to a file (--log-file)
        self.ready_log = ready_log
        self.runtime_dir = base / "run"
        self.reply_dir = base / "replies"
        self.reply_dir.mkdir(parents=True, exist_ok=True)
        self.http_port = free_port() if http else 0
        self.config_path = base / "kamproxy.toml"
        rpc_section = f'[rpc]\nfifo_reply_dir = "{self.reply_dir}/"\n'
        self.config_path.write_text(rpc_section + config)
        self.log_path = base / "kamproxy.log"
        args = list(args or [])
        #: SIP port of the default listeners (udp and tcp on 127.0.0.1), when we chose them
        self.sip_port = 0
        if not any(a in ("-l", "--listen") or a.startswith("--listen=") for a in args) and \
                "listen" not in config:
            # never the default 5060: tests run in parallel with other kamproxies
            self.sip_port = free_sip_port()
            args += ["-l", f"udp:127.0.0.1:{self.sip_port}", "-l", f"tcp:127.0.0.1:{self.sip_port}"]
        self.args = [
            sys.executable,
            "-m",
            "proxy.main",
            "-f",
            str(self.config_path),
            "-Y",
            str(self.runtime_dir),
            "--rpc-http",
            f"127.0.0.1:{self.http_port}" if http else "off",
        ] + args
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def fifo(self) -> Path:
        return self.runtime_dir / FIFO_NAME

    @property
    def sock(self) -> Path:
        return self.runtime_dir / SOCKET_NAME

    @property
    def pid_file(self) -> Path:
        return self.runtime_dir / PID_NAME

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/RPC"

    def start(self, wait: float = 15.0) -> KamproxyProcess:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        # only lines written by this run count (a restart appends to the same log)
        skip = len(self.log()) + len(self._ready_text())
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.args, stdout=log, stderr=subprocess.STDOUT, cwd=str(self.base), env=env
            )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kamproxy exited with {self.proc.returncode}:\n{self.log()}")
            if "kamproxy started" in (self.log() + self._ready_text())[skip:]:
                return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"kamproxy did not start within {wait} s:\n{self.log()}")

    def _ready_text(self) -> str:
        if self.ready_log is None or not self.ready_log.exists():
            return ""
        return self.ready_log.read_text(errors="replace")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, sig: int = signal.SIGTERM, wait: float = 10.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None
