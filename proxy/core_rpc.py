"""The ``core.*`` RPC methods, with the result shapes of Kamailio 5.6.

kamproxy is one process; ``core.ps`` and ``core.psx`` list its tasks (RPC servers,
SIP listeners, timers) under that one pid, so Kamailio's ``kamctl ps`` still reads
them as a process table.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from proxy import version
from rpc.errors import RpcFault
from rpc.registry import Registry


def _ctime(stamp: float) -> str:
    return time.ctime(stamp)


class CoreMethods:
    """State the core methods read: start time, task names, how to stop."""

    def __init__(
        self,
        started: float,
        tasks: Callable[[], list[str]],
        modules: Callable[[], list[str]],
    ) -> None:
        self.started = started
        self.tasks = tasks
        self.modules = modules

    def register(self, registry: Registry) -> None:
        r = registry.register
        r("core.version", self.version, "Returns the version string of the server.")
        r("core.info", self.info, "Verbose info, including version number, compiler and flags.")
        r("core.uptime", self.uptime, "Returns uptime of SIP server.")
        r("core.runinfo", self.runinfo, "Returns runtime info: version, start time, uptime.")
        r("core.ps", self.ps, "Returns the description of running processes (tasks).")
        r("core.psx", self.psx, "Returns the detailed description of running processes (tasks).")
        r("core.echo", self.echo, "Returns back its parameters, as strings.")
        r("core.kill", self.kill, "Sends the given signal (default 15, SIGTERM) to the server.")
        r("core.pwd", self.pwd, "Returns the working directory of the server.")
        r("core.arg", self.arg, "Returns the command line of the server.")
        r("core.modules", self.loaded_modules, "Returns the names of the loaded modules.")

    def version(self) -> str:
        return version.version_line()

    def info(self) -> dict[str, Any]:
        return {
            "version": f"{version.NAME} {version.VERSION}",
            "id": "python",
            "compiler": version.compiler(),
            "compiled": "n/a",
            "flags": "USE_TCP, USE_IPV6, JSONRPC_FIFO, JSONRPC_DGRAM, JSONRPC_HTTP",
        }

    def uptime(self) -> dict[str, Any]:
        now = time.time()
        return {
            "now": _ctime(now),
            "up_since": _ctime(self.started),
            "uptime": int(now - self.started),
        }

    def runinfo(self) -> dict[str, Any]:
        now = time.time()
        up = int(now - self.started)
        days, rest = divmod(up, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        return {
            "name": version.NAME,
            "version": version.VERSION,
            "sourceid": "python",
            "compiler": version.compiler(),
            "compiled": "n/a",
            "time_now": _ctime(now),
            "time_started": _ctime(self.started),
            "uptime_secs": up,
            "utime_days": f"{days}d {hours}h {minutes}m {seconds}s",
        }

    def ps(self) -> list[Any]:
        pid = os.getpid()
        flat: list[Any] = []
        for description in self.tasks():
            flat += [pid, description]
        return flat

    def psx(self) -> list[dict[str, Any]]:
        pid = os.getpid()
        return [{"IDX": i, "PID": pid, "DSC": d} for i, d in enumerate(self.tasks())]

    def echo(self, *values: Any) -> list[str]:
        echoed = []
        for index, value in enumerate(values, 1):
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise RpcFault(
                    -32602, f"Invalid params: parameter {index} must be a string or a number"
                )
            echoed.append(value if isinstance(value, str) else str(value))
        return echoed

    def kill(self, signo: int = signal.SIGTERM) -> None:
        valid = {int(s) for s in signal.valid_signals()}
        if signo not in valid or signo == 0:
            raise RpcFault(400, f"invalid signal number {signo}")
        # reply first, then signal: the caller gets its answer before we go down
        asyncio.get_running_loop().call_later(0.1, os.kill, os.getpid(), signo)

    def pwd(self) -> list[str]:
        return [os.getcwd()]

    def arg(self) -> list[str]:
        return list(sys.argv)

    def loaded_modules(self) -> list[str]:
        return self.modules()
