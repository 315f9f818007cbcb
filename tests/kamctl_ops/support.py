"""Running kamctl as a subprocess (its console-script code) with a private HOME."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.kamcmd.support import run_kamctl
from tests.support.proxy import free_port, free_sip_port

#: What the Kamailio-style "method not found" fault looks like from kamproxy.
NO_METHOD = (-32601, "Method not found")


class Kamctl:
    """``kamctl(*args)`` -> CompletedProcess (text), with a private HOME and caches."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def __call__(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        timeout: float = 60.0,
        stdin_text: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return run_kamctl(list(args), self.home, env=env, timeout=timeout, stdin=stdin_text)

    def json(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, Any]:
        """Run with ``-F json`` appended; (exit status, parsed stdout)."""
        done = self(*args, "-F", "json", env=env)
        assert done.stdout, done.stderr
        return done.returncode, json.loads(done.stdout)


def proxy_args(db: Path) -> list[str]:
    """kamproxy arguments for ``kamctl start -- ...``: free loopback ports, a private DB."""
    port = free_sip_port()
    return [
        "--rpc-http",
        f"127.0.0.1:{free_port()}",
        "-l",
        f"udp:127.0.0.1:{port}",
        "-l",
        f"tcp:127.0.0.1:{port}",
        "--db",
        f"sqlite:///{db}",
    ]
