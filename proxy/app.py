"""kamproxy's start-up order, its running state and a clean stop.

Start: runtime dir -> pid file lock -> RPC methods -> SIP listeners -> RPC servers.
Stop (SIGTERM, SIGINT or ``core.kill``): servers and listeners closed, FIFO, socket and
pid file removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from pathlib import Path
from typing import Any, Protocol

from proxy import log as kamlog
from proxy.cfg import startup as cfg_startup
from proxy.cfg.rpc import CfgMethods
from proxy.config import ProxyConfig
from proxy.core import SipService, Statistics
from proxy.core_rpc import CoreMethods
from proxy.corex_rpc import CorexMethods
from proxy.modules.loader import ModuleSet
from proxy.routing import setup as routing_setup
from proxy.runtime import PidFile, ensure_runtime_dir
from proxy.storage.url import default_url
from proxy.transport import TransportError
from rpc.address import PID_NAME, default_runtime_dir
from rpc.dispatch import Dispatcher
from rpc.registry import Registry
from rpc.server.endpoint import FileAccess

log = logging.getLogger("core")


class Server(Protocol):
    name: str

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class StartupError(Exception):
    """kamproxy cannot start; the message says why and what to do."""


def _auth_secret(config: ProxyConfig) -> bytes | None:
    """``[auth] secret``: the nonce secret a cluster shares (checked by proxy.config)."""
    from proxy.modules.auth.params import secret_from

    return secret_from(config.sections.get("auth", {}))


class Proxy:
    """One running kamproxy."""

    def __init__(self, config: ProxyConfig, cfg: cfg_startup.CfgSetup | None = None) -> None:
        self.config = config
        #: runtime parameters (cfg framework): read live with self.params.get_int(...)
        self.cfg = cfg if cfg is not None else cfg_startup.load(config)
        self.params = self.cfg.params
        self.runtime_dir: Path = config.runtime_dir or default_runtime_dir()
        self.started = time.time()
        self.registry = Registry()
        self.dispatcher = Dispatcher(self.registry, pretty=config.rpc.pretty)
        self.servers: list[Server] = []
        self.modules: list[str] = ["jsonrpcs", "corex", "kex", "cfg_rpc", "sl"]
        #: statistics registry: modules add their groups (stats.* RPCs read it)
        self.stats = Statistics()
        #: the SIP listeners and the stateless core (tm and routing plug into .core)
        self.sip = SipService(config.listen, config.aliases, self.params, self.stats)
        self.sip.register(self.registry)
        self._pidfile = PidFile(self.runtime_dir / PID_NAME)
        self._stop = asyncio.Event()
        CoreMethods(self.started, self.task_names, lambda: list(self.modules)).register(
            self.registry
        )
        CfgMethods(self.params, overrides=self.cfg.overrides).register(self.registry)
        CorexMethods(self.params).register(self.registry)
        #: domain, permissions, dispatcher (routing reaches them here); see proxy/modules
        self.module_set = ModuleSet(
            config.db_url or default_url(),
            self.params,
            stats=self.stats,
            auth_secret=_auth_secret(config),
        )
        self.module_set.set_replier(self.sip.core.reply)
        self.module_set.register(self.registry)
        self.modules += self.module_set.names()
        #: transactions and the routing script (proxy.routing.setup; empty with --script none)
        self.routing = routing_setup.build(
            config.script, config.sections.get("routing", {}), self.sip.core, self.params,
            self.stats, self.registry, self.module_set,
        )
        self.modules += self.routing.modules

    # -- paths ----------------------------------------------------------------

    def path(self, name: str) -> str:
        """A runtime file: absolute names stay, relative ones live in the runtime dir."""
        return name if name.startswith("/") else str(self.runtime_dir / name)

    @property
    def fifo_path(self) -> str:
        return self.path(self.config.rpc.fifo_name)

    @property
    def socket_path(self) -> str:
        return self.path(self.config.rpc.dgram_socket)

    def task_names(self) -> list[str]:
        names = ["main process - attendant"]
        for server in self.servers:
            tasks = getattr(server, "tasks", None)
            names += tasks() if callable(tasks) else [server.name]
        return names

    # -- life cycle -----------------------------------------------------------

    async def start(self) -> None:
        """Take the runtime dir and start every configured RPC server."""
        try:
            ensure_runtime_dir(self.runtime_dir)
            self._pidfile.acquire()
        except OSError as exc:
            raise StartupError(str(exc.strerror or exc)) from None
        try:
            await self.module_set.start()  # data before traffic; never fails for the DB
            self._start_routing()
            await self._start_server(self.sip)
            for server in self._make_servers():
                await self._start_server(server)
        except BaseException:
            await self.close()
            raise

    def _start_routing(self) -> None:
        from proxy.routing.script import ScriptError

        try:
            self.routing.start()
        except ScriptError as exc:
            raise StartupError(f"routing script {exc}") from None

    async def _start_server(self, server: Any) -> None:
        try:
            await server.start()
        except TransportError as exc:
            raise StartupError(str(exc)) from None
        except OSError as exc:
            raise StartupError(f"{server.name}: {exc.strerror or exc}") from None
        self.servers.append(server)

    def _make_servers(self) -> list[Any]:
        rpc = self.config.rpc
        servers: list[Any] = []
        if rpc.fifo:
            from rpc.server.fifo import FifoServer

            servers.append(
                FifoServer(
                    self.fifo_path,
                    self.dispatcher,
                    reply_dir=rpc.fifo_reply_dir,
                    access=FileAccess(rpc.fifo_mode, rpc.fifo_user or None, rpc.fifo_group or None),
                    max_request=rpc.fifo_max_request,
                    reply_timeout=rpc.fifo_reply_timeout,
                )
            )
        if rpc.dgram:
            from rpc.server.dgram import DatagramServer

            servers.append(
                DatagramServer(
                    self.socket_path,
                    self.dispatcher,
                    access=FileAccess(
                        rpc.dgram_mode, rpc.dgram_user or None, rpc.dgram_group or None
                    ),
                )
            )
        if rpc.http is not None:
            from rpc.server.http import HttpServer

            servers.append(
                HttpServer(
                    rpc.http.host,
                    rpc.http.port,
                    self.dispatcher,
                    token=rpc.http_token or None,
                    basic_users=rpc.http_users or None,
                    max_body=rpc.http_max_body,
                )
            )
        return servers

    async def close(self) -> None:
        """Stop every server and give up the runtime dir."""
        for server in reversed(self.servers):
            try:
                await server.close()
            except Exception:  # keep closing the others
                log.exception("closing %s failed", server.name)
        self.servers.clear()
        await self.routing.close()
        await self.module_set.close()
        self._pidfile.release()

    def stop(self) -> None:
        """Ask :meth:`run` to return (safe from signal handlers)."""
        self._stop.set()

    async def run(self) -> None:
        """Start, serve until stopped by a signal, then close."""
        loop = asyncio.get_running_loop()
        for signo in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signo, self.stop)
        await self.start()
        kamlog.announce(log, "kamproxy started: pid file %s", self._pidfile.path)
        for line in self.describe():
            kamlog.announce(log, "listening: %s", line)
        try:
            await self._stop.wait()
        finally:
            kamlog.announce(log, "kamproxy stopping")
            await self.close()
            for signo in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(Exception):
                    loop.remove_signal_handler(signo)

    def describe(self) -> list[str]:
        """One line per SIP socket and RPC endpoint, for the start-up log."""
        lines = []
        for server in self.servers:
            if isinstance(server, SipService):
                lines += server.describe()
            elif server.name.endswith("FIFO"):
                lines.append(f"rpc fifo:{self.fifo_path}")
            elif server.name.endswith("DATAGRAM"):
                lines.append(f"rpc unix:{self.socket_path}")
            elif server.name.endswith("HTTP"):
                port = getattr(server, "port", None)
                assert self.config.rpc.http is not None
                host = self.config.rpc.http.host
                host = f"[{host}]" if ":" in host else host
                lines.append(f"rpc http://{host}:{port}/RPC")
        return lines
