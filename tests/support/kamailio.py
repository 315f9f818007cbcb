"""Debian's Kamailio 5.6 as a real peer: started on free loopback ports, own files.

Everything lives in a short private directory (UNIX socket paths are limited to
108 bytes): the jsonrpcs FIFO and datagram socket, the FIFO reply dir ``tmp/``,
the binrpc socket ``kamailio_ctl`` for the C kamcmd, the pid file, the log, and the
SQLite database ``kamailio.sqlite`` of the domain, permissions and dispatcher modules
(created empty, with kamctl's schema, before Kamailio starts).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.proxy import free_port

KAMAILIO = "/usr/sbin/kamailio"
CONFIG = Path(__file__).resolve().parents[1] / "peers" / "kamailio.cfg"


class KamailioPeer:
    def __init__(self, defines: list[str] | None = None) -> None:
        #: extra ``-A NAME`` defines (WITH_REGISTRAR: usrloc, registrar, auth, auth_db)
        self.defines = list(defines or [])
        self.dir = Path(tempfile.mkdtemp(prefix="kam", dir="/tmp"))
        self.reply_dir = self.dir / "tmp"
        self.reply_dir.mkdir()
        self.sip_port = free_port()
        self.http_port = free_port()
        self.log_path = self.dir / "kamailio.log"
        self.pid_path = self.dir / "kamailio.pid"
        self.db_path = self.dir / "kamailio.sqlite"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db_path}"

    @property
    def fifo(self) -> Path:
        return self.dir / "kamailio_rpc.fifo"

    @property
    def sock(self) -> Path:
        return self.dir / "kamailio_rpc.sock"

    @property
    def ctl(self) -> Path:
        return self.dir / "kamailio_ctl"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/RPC"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self, wait: float = 20.0) -> KamailioPeer:
        from proxy.storage.admin import create
        from proxy.storage.url import parse_url

        if not self.db_path.exists():
            create(parse_url(self.db_url))
        env = dict(os.environ, KAMCTL_PEER_DIR=str(self.dir))
        args = [
            KAMAILIO,
            "-f",
            str(CONFIG),
            "-P",
            str(self.pid_path),
            "-Y",
            str(self.dir),
            "-w",
            str(self.dir),
            "-E",
            "-A",
            f"SIP_PORT={self.sip_port}",
            "-A",
            f"HTTP_PORT={self.http_port}",
        ]
        for define in self.defines:
            args += ["-A", define]
        with open(self.log_path, "ab") as log:
            rc = subprocess.call(
                args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(self.dir), timeout=wait
            )
        if rc != 0:
            raise RuntimeError(f"kamailio failed to start ({rc}):\n{self.log()}")
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.fifo.exists() and self.sock.exists() and self.ctl.exists() and self._http_up():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"kamailio did not come up within {wait} s:\n{self.log()}")

    def _http_up(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.http_port), timeout=0.2):
                return True
        except OSError:
            return False

    def pid(self) -> int | None:
        try:
            return int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self, wait: float = 10.0) -> None:
        pid = self.pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pid = None
        deadline = time.monotonic() + wait
        while pid is not None and time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        shutil.rmtree(self.dir, ignore_errors=True)
