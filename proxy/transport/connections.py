"""Every open TCP connection: lookup for reuse, limits, idle closing, counters.

Connection reuse (RFC 3261 18): a reply goes back on the connection its request came
in on (by connection id); a request to an address reuses any open connection to that
address, ours or the peer's, before a new one is opened. Connections being opened are
shared, so messages sent meanwhile wait for the same connection, in order.

Limits are read live from the ``tcp`` runtime group: ``max_connections`` when a
connection is accepted or opened, ``connection_lifetime`` (idle time) and
``wait_data_ms`` (silence after accept) by the sweeper twice a second,
``no_connect`` before opening one.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, fields

from proxy.cfg.params import Snapshot
from proxy.log import get_logger
from proxy.transport.address import ReceiveInfo, SocketInfo, hostport, is_wildcard, normalize_ip
from proxy.transport.connect import ConnectTimeout, connect_tcp
from proxy.transport.errors import SendError
from proxy.transport.tcp import TcpConnection

log = get_logger("transport")

SWEEP_INTERVAL = 0.5


@dataclass
class TcpCounters:
    """Kamailio's ``tcp:`` statistics (the two ``current_*`` ones are computed)."""

    con_reset: int = 0
    con_timeout: int = 0
    connect_failed: int = 0
    connect_success: int = 0
    established: int = 0
    local_reject: int = 0
    passive_open: int = 0
    send_timeout: int = 0
    sendq_full: int = 0

    def reset(self) -> None:
        for item in fields(self):
            setattr(self, item.name, 0)


class ConnectionTable:
    """The open connections, by id and by remote address."""

    def __init__(self, params: Snapshot, on_packet: Callable[[bytes, ReceiveInfo], None]) -> None:
        self.params = params
        self.on_packet = on_packet
        self.counters = TcpCounters()
        self._next_id = 0
        self._by_id: dict[int, TcpConnection] = {}
        self._by_addr: dict[tuple[str, int], TcpConnection] = {}
        self._pending: dict[tuple[str, int], asyncio.Future[TcpConnection]] = {}
        self._sweeper: asyncio.TimerHandle | None = None

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def corelog(self) -> int:
        """The level for problems with single connections (``core.corelog``)."""
        return self.params.get_int("core", "corelog")

    # -- bookkeeping -----------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_id)

    def connections(self) -> list[TcpConnection]:
        return list(self._by_id.values())

    def admit(self, conn: TcpConnection) -> bool:
        """May an accepted connection stay? (``tcp.max_connections``)"""
        limit = self.params.get_int("tcp", "max_connections")
        if len(self._by_id) >= limit:
            self.counters.local_reject += 1
            log.log(self.corelog(), "tcp: refusing connection from %s: tcp.max_connections "
                    "(%d) reached", conn.peer, limit)
            return False
        self.counters.passive_open += 1
        return True

    def add(self, conn: TcpConnection) -> None:
        self.counters.established += 1
        self._by_id[conn.id] = conn
        self._by_addr[(normalize_ip(conn.remote[0]), conn.remote[1])] = conn
        log.dbg("tcp conn %d %s %s (local %s)", conn.id, "to" if conn.outgoing else "from",
                conn.peer, hostport(*conn.local))

    def remove(self, conn: TcpConnection, exc: Exception | None) -> None:
        if self._by_id.pop(conn.id, None) is None:
            return
        key = (normalize_ip(conn.remote[0]), conn.remote[1])
        if self._by_addr.get(key) is conn:
            del self._by_addr[key]
        if isinstance(exc, ConnectionResetError):
            self.counters.con_reset += 1
        log.dbg("tcp conn %d with %s closed%s", conn.id, conn.peer, f" ({exc})" if exc else "")

    def get(self, conn_id: int) -> TcpConnection | None:
        conn = self._by_id.get(conn_id)
        return conn if conn is not None and conn.is_open else None

    def find(self, host: str, port: int) -> TcpConnection | None:
        """An open connection whose remote end is host:port."""
        conn = self._by_addr.get((host, port))
        if conn is None:
            conn = self._by_addr.get((normalize_ip(host), port))
        return conn if conn is not None and conn.is_open else None

    def write_queued(self) -> int:
        return sum(conn.queued for conn in self._by_id.values())

    # -- opening ----------------------------------------------------------------

    async def connection_to(self, host: str, port: int, sock: SocketInfo) -> TcpConnection:
        """An open connection to host:port: reused, being opened, or opened now."""
        conn = self.find(host, port)
        if conn is not None:
            return conn
        key = (normalize_ip(host), port)
        pending = self._pending.get(key)
        if pending is None:
            # a task of its own: a cancelled waiter does not cancel it for the others
            pending = asyncio.ensure_future(self._open(host, port, sock))
            self._pending[key] = pending
            pending.add_done_callback(lambda done: self._opened(key, done))
        return await asyncio.shield(pending)

    def _opened(self, key: tuple[str, int], done: asyncio.Future[TcpConnection]) -> None:
        if self._pending.get(key) is done:
            del self._pending[key]
        if not done.cancelled():
            done.exception()  # mark it retrieved; the waiters got it

    async def _open(self, host: str, port: int, sock: SocketInfo) -> TcpConnection:
        where = f"tcp:{hostport(host, port)}"
        if self.params.get_int("tcp", "no_connect"):
            raise SendError(f"no open connection to {where} and tcp.no_connect is set")
        limit = self.params.get_int("tcp", "max_connections")
        if len(self._by_id) >= limit:
            self.counters.local_reject += 1
            raise SendError(f"cannot connect to {where}: tcp.max_connections ({limit}) reached")
        local = None if is_wildcard(sock.host) else sock.host
        try:
            _transport, protocol = await connect_tcp(
                host, port, self.params,
                lambda: TcpConnection(self, sock, outgoing=True), local_host=local,
            )
        except ConnectTimeout as exc:
            self.counters.connect_failed += 1
            raise SendError(str(exc)) from None
        except OSError as exc:
            self.counters.connect_failed += 1
            raise SendError(f"cannot connect to {where}: {exc.strerror or exc}") from None
        assert isinstance(protocol, TcpConnection)
        self.counters.connect_success += 1
        return protocol

    # -- idle connections ----------------------------------------------------------

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._sweeper = loop.call_later(SWEEP_INTERVAL, self._sweep)

    def _sweep(self) -> None:
        now = time.monotonic()
        wait_data = self.params.get_int("tcp", "wait_data_ms") / 1000
        for conn in list(self._by_id.values()):
            if now - conn.last_activity > conn.lifetime and not conn.queued:
                self.counters.con_timeout += 1
                log.dbg("tcp conn %d with %s idle for %d s (tcp.connection_lifetime): closing",
                        conn.id, conn.peer, conn.lifetime)
                conn.close()
            elif (wait_data and not conn.outgoing and not conn.got_data
                  and now - conn.created > wait_data):
                log.dbg("tcp conn %d from %s sent nothing for %.1f s (tcp.wait_data_ms): "
                        "closing", conn.id, conn.peer, wait_data)
                conn.close()
        self._sweeper = asyncio.get_running_loop().call_later(SWEEP_INTERVAL, self._sweep)

    def close_all(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for pending in self._pending.values():
            if not pending.done():
                pending.cancel()
        for conn in list(self._by_id.values()):
            with contextlib.suppress(Exception):
                conn.abort()
