"""TCP: one connection (framing, keep-alives, write limits) and one listening socket.

A :class:`TcpConnection` cuts its byte stream into SIP messages with
:class:`~proxy.sip.StreamFramer` (partial reads, several messages in one segment),
answers a CRLFCRLF ping with CRLF (``tcp.crlf_ping``), and hands every message up
with its connection id. The largest message it accepts is ``tcp.rd_buf_size`` (read
when the connection opens); a stream that cannot be framed is closed. Writes are
refused beyond ``tcp.conn_wq_max`` queued bytes, and a connection whose queued data
waits longer than ``tcp.send_timeout`` is closed. Idle connections are closed by the
:class:`~proxy.transport.connections.ConnectionTable` sweeper after
``tcp.connection_lifetime``.
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import TYPE_CHECKING, cast

from proxy.log import get_logger
from proxy.sip import PING, PONG, SipFramingError, StreamFramer
from proxy.transport import trace
from proxy.transport.address import ReceiveInfo, SocketInfo, bare_host, hostport
from proxy.transport.errors import SendError, bind_error

if TYPE_CHECKING:
    from proxy.transport.connections import ConnectionTable

log = get_logger("transport")

#: Kamailio's connection states, as core.tcp_list shows them
CONNECTING, ACCEPTED, OK, CLOSING = "CONN_CONNECT", "CONN_ACCEPT", "CONN_OK", "CONN_EOF"

BACKLOG = 1024


class TcpConnection(asyncio.Protocol):
    """One TCP connection, accepted or opened by us."""

    def __init__(self, table: ConnectionTable, sock: SocketInfo, outgoing: bool) -> None:
        self.table = table
        self.socket = sock
        self.outgoing = outgoing
        self.id = table.next_id()
        self.state = CONNECTING if outgoing else ACCEPTED
        self.remote: tuple[str, int] = ("", 0)
        self.local: tuple[str, int] = ("", 0)
        self.created = self.last_activity = time.monotonic()
        self.lifetime = table.params.get_int("tcp", "connection_lifetime")
        limit = table.params.get_int("tcp", "rd_buf_size")
        self.framer = StreamFramer(max_header_bytes=limit, max_body_bytes=limit)
        self.got_data = False
        self.transport: asyncio.Transport | None = None
        self._send_timer: asyncio.TimerHandle | None = None

    def __repr__(self) -> str:
        return f"<TcpConnection {self.id} {self.peer}>"

    @property
    def peer(self) -> str:
        return hostport(*self.remote)

    @property
    def is_open(self) -> bool:
        return self.transport is not None and not self.transport.is_closing()

    @property
    def queued(self) -> int:
        """Bytes waiting to be written."""
        return self.transport.get_write_buffer_size() if self.transport is not None else 0

    def touch(self) -> None:
        """Traffic: the idle time starts again, with the current connection_lifetime."""
        self.last_activity = time.monotonic()
        self.lifetime = self.table.params.get_int("tcp", "connection_lifetime")

    # -- asyncio protocol ------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        self.remote = (peer[0], int(peer[1])) if peer else ("", 0)
        self.local = (local[0], int(local[1])) if local else ("", 0)
        if not self.outgoing and not self.table.admit(self):
            transport.abort()
            return
        self._set_options(transport.get_extra_info("socket"))
        transport.set_write_buffer_limits(high=0)  # pause_writing = data is waiting
        self.state = OK
        self.table.add(self)

    def _set_options(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        params = self.table.params
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            keepalive = params.get_int("tcp", "keepalive")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, keepalive)
            if keepalive:
                for var, opt in (("keepidle", "TCP_KEEPIDLE"), ("keepintvl", "TCP_KEEPINTVL"),
                                 ("keepcnt", "TCP_KEEPCNT")):
                    value = params.get_int("tcp", var)
                    if value and hasattr(socket, opt):
                        sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, opt), value)
        except OSError as exc:
            log.dbg("tcp conn %d: socket options: %s", self.id, exc)

    def data_received(self, data: bytes) -> None:
        self.touch()
        self.got_data = True
        try:
            frames = self.framer.feed(data)
        except SipFramingError as exc:
            log.log(self.table.corelog(), "tcp conn %d from %s: %s; closing the connection",
                    self.id, self.peer, exc)
            self.abort()
            return
        for frame in frames:
            if frame == PING:
                if self.table.params.get_int("tcp", "crlf_ping") and self.transport:
                    self.transport.write(PONG)
                continue
            if frame == PONG:
                continue
            self._deliver(frame)

    def _deliver(self, frame: bytes) -> None:
        if trace.enabled():
            trace.received("tcp", self.remote, hostport(*self.local), frame, self.id)
        info = ReceiveInfo("tcp", self.remote[0], self.remote[1], self.socket, self.id)
        try:
            self.table.on_packet(frame, info)
        except Exception:  # a bug in an upper layer must not kill the connection
            log.err("tcp conn %d: error handling a message from %s", self.id, self.peer,
                    exc_info=True)

    def eof_received(self) -> bool:
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.state = CLOSING
        self._cancel_send_timer()
        self.table.remove(self, exc)

    def pause_writing(self) -> None:
        if self._send_timer is None:
            timeout = self.table.params.get_int("tcp", "send_timeout")
            loop = asyncio.get_running_loop()
            self._send_timer = loop.call_later(timeout, self._send_timed_out, timeout)

    def resume_writing(self) -> None:
        self._cancel_send_timer()

    def _cancel_send_timer(self) -> None:
        if self._send_timer is not None:
            self._send_timer.cancel()
            self._send_timer = None

    def _send_timed_out(self, timeout: int) -> None:
        self._send_timer = None
        if self.queued:
            self.table.counters.send_timeout += 1
            log.log(self.table.corelog(), "tcp conn %d to %s: %d bytes not written within "
                    "%d s (tcp.send_timeout); closing", self.id, self.peer, self.queued, timeout)
            self.abort()

    # -- sending and closing ------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Queue ``data``; SendError when the connection is closed or its queue is full."""
        transport = self.transport
        if transport is None or transport.is_closing():
            raise SendError(f"tcp connection {self.id} to {self.peer} is closed")
        limit = self.table.params.get_int("tcp", "conn_wq_max")
        if limit and transport.get_write_buffer_size() + len(data) > limit:
            self.table.counters.sendq_full += 1
            self.abort()
            raise SendError(f"tcp connection {self.id} to {self.peer}: write queue full "
                            f"(tcp.conn_wq_max {limit} bytes); connection closed")
        if trace.enabled():  # before sending: the line is out before any answer comes
            trace.sent("tcp", hostport(*self.local), self.remote, data, self.id)
        transport.write(data)
        self.touch()

    def close(self) -> None:
        """Close after the queued data is written."""
        if self.transport is not None:
            self.state = CLOSING
            self.transport.close()

    def abort(self) -> None:
        """Close now, dropping queued data."""
        if self.transport is not None:
            self.state = CLOSING
            self.transport.abort()


class TcpListener:
    """A listening TCP socket; each accepted connection becomes a TcpConnection."""

    def __init__(
        self, host: str, port: int, family: int, name: str, table: ConnectionTable,
        advertise: tuple[str | None, int | None] = (None, None),
    ) -> None:
        self._bind = (host, port, family)
        self._name_text = name
        self._advertise = advertise
        self.table = table
        self.socket: SocketInfo | None = None
        self._server: asyncio.AbstractServer | None = None

    @property
    def name(self) -> str:
        where = self.socket.address if self.socket else hostport(self._bind[0], self._bind[1])
        return f"tcp listener sock={where}"

    async def start(self) -> None:
        host, port, family = self._bind
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if self.table.params.get_int("tcp", "reuse_port") and hasattr(socket, "SO_REUSEPORT"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            defer = self.table.params.get_int("tcp", "defer_accept")
            if defer and hasattr(socket, "TCP_DEFER_ACCEPT"):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, defer)
            sock.bind((host, port))
            sock.listen(BACKLOG)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise bind_error(f"tcp:{hostport(host, port)}", exc) from None
        bound = sock.getsockname()
        info = SocketInfo("tcp", bare_host(host), int(bound[1]), family, self._name_text,
                          *self._advertise)
        self.socket = info
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: TcpConnection(self.table, info, outgoing=False), sock=sock
        )

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
