"""All SIP listeners behind one object: the core receives and sends through it.

::

    transports = Transports(parse_listen_list(["udp:127.0.0.1:5060", "tcp:[::1]:5060"]),
                            params, on_packet=core.receive)
    await transports.start()
    transports.send(data, Destination("tcp", "::1", 5070))   # picks the tcp/IPv6 socket

``on_packet(data, info)`` gets every received message (one datagram or one framed
stream message; keep-alives are handled here) with a
:class:`~proxy.transport.address.ReceiveInfo`.

:meth:`Transports.send` never blocks: UDP goes out at once; TCP is written to an open
connection (the one named by ``Destination.conn_id`` first, then any open one to the
address) or queued behind a connection being opened in the background. Problems are
logged (at ``core.corelog``) and counted, and ``send`` returns False when it knows at
once. :meth:`Transports.send_wait` does the same but waits for a new connection and
raises :class:`~proxy.transport.errors.SendError`, for callers that must know
(transactions trying the next branch).

The socket a message leaves from is chosen by protocol and address family (IPv4 or
IPv6), so a request may arrive over UDP/IPv4 and leave over TCP/IPv6; with several
candidates a loopback destination prefers a loopback socket and others a non-loopback
one. ``Destination.socket`` forces one.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from proxy.cfg.params import Snapshot
from proxy.log import get_logger
from proxy.transport.address import (
    Destination,
    ReceiveInfo,
    SocketInfo,
    hostport,
    ip_family,
    is_loopback,
    is_wildcard,
)
from proxy.transport.connections import ConnectionTable, TcpCounters
from proxy.transport.errors import BindError, SendError, TransportError
from proxy.transport.listen import ListenSpec
from proxy.transport.tcp import TcpConnection, TcpListener
from proxy.transport.udp import UdpListener

log = get_logger("transport")

PacketHandler = Callable[[bytes, ReceiveInfo], None]


def _no_handler(data: bytes, info: ReceiveInfo) -> None:
    log.dbg("no handler for a message from %s; dropped", info.source)


class Transports:
    """The listening sockets, the TCP connections, and sending."""

    def __init__(
        self,
        specs: Sequence[ListenSpec],
        params: Snapshot,
        on_packet: PacketHandler | None = None,
    ) -> None:
        self.params = params
        self._specs = list(specs)
        self._on_packet: PacketHandler = on_packet or _no_handler
        self.table = ConnectionTable(params, self._on_packet)
        self.udp: list[UdpListener] = []
        self.tcp: list[TcpListener] = []
        #: host names used in listen addresses (aliases of ours)
        self.names: list[str] = []
        self._sockets: list[SocketInfo] = []
        self._udp_by_socket: dict[SocketInfo, UdpListener] = {}
        self._choice: dict[tuple[str, int | None], list[SocketInfo]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- receiving ---------------------------------------------------------------

    @property
    def on_packet(self) -> PacketHandler:
        return self._on_packet

    @on_packet.setter
    def on_packet(self, handler: PacketHandler) -> None:
        """Install the receiver of every message (the core)."""
        self._on_packet = handler
        self.table.on_packet = handler
        for listener in self.udp:
            listener.on_packet = handler

    # -- life cycle ----------------------------------------------------------------

    @property
    def sockets(self) -> list[SocketInfo]:
        """Every bound socket, in configuration order."""
        return list(self._sockets)

    async def start(self) -> None:
        """Bind every listen address; BindError (nothing left open) when one fails."""
        try:
            for spec in self._specs:
                await self._start_one(spec)
        except BaseException:
            await self.close()
            raise
        for sock in self.sockets:
            self._choice.setdefault((sock.proto, sock.family), []).append(sock)
        self.table.start()

    async def _start_one(self, spec: ListenSpec) -> None:
        host, family = await self._bind_address(spec)
        advertise = (spec.advertise_host, spec.advertise_port)
        if spec.proto == "udp":
            udp = UdpListener(host, spec.port, family, spec.host, self._on_packet, advertise)
            await udp.start()
            assert udp.socket is not None
            self.udp.append(udp)
            self._udp_by_socket[udp.socket] = udp
            self._sockets.append(udp.socket)
        else:
            tcp = TcpListener(host, spec.port, family, spec.host, self.table, advertise)
            await tcp.start()
            assert tcp.socket is not None
            self.tcp.append(tcp)
            self._sockets.append(tcp.socket)

    async def _bind_address(self, spec: ListenSpec) -> tuple[str, int]:
        family = ip_family(spec.host)
        if family is not None:
            return spec.host, family
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(spec.host, spec.port, type=socket.SOCK_DGRAM)
        except OSError as exc:
            raise BindError(f"cannot listen on {spec}: cannot resolve {spec.host!r}: "
                            f"{exc.strerror or exc}") from None
        if not infos:
            raise BindError(f"cannot listen on {spec}: {spec.host!r} has no address")
        if spec.host.lower() not in self.names:
            self.names.append(spec.host.lower())
        fam, _type, _proto, _name, addr = infos[0]
        return str(addr[0]), int(fam)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self.table.close_all()
        listeners: list[UdpListener | TcpListener] = [*self.udp, *self.tcp]
        for listener in listeners:
            try:
                await listener.close()
            except Exception:  # keep closing the others
                log.err("closing %s failed", listener.name, exc_info=True)
        self.udp.clear()
        self.tcp.clear()
        self._udp_by_socket.clear()
        self._sockets.clear()
        self._choice.clear()

    def tasks(self) -> list[str]:
        """Task names for core.ps/psx, in Kamailio's words."""
        names = [udp.name for udp in self.udp]
        if self.tcp:
            names += ["tcp receiver (generic) child=0", "tcp main process"]
        return names

    # -- choosing a socket -------------------------------------------------------------

    def pick_socket(self, proto: str, host: str) -> SocketInfo | None:
        """The socket a message to ``host`` over ``proto`` leaves from, or None."""
        candidates = self._choice.get((proto, ip_family(host)))
        if not candidates:
            return None
        if len(candidates) > 1:
            loopback = is_loopback(host)
            for sock in candidates:
                if is_wildcard(sock.host) or is_loopback(sock.host) == loopback:
                    return sock
        return candidates[0]

    def _socket_for(self, dest: Destination) -> SocketInfo:
        sock = dest.socket
        if sock is not None and sock.proto == dest.proto and sock.family == dest.family:
            return sock
        sock = self.pick_socket(dest.proto, dest.host)
        if sock is None:
            family = {int(socket.AF_INET): "IPv4", int(socket.AF_INET6): "IPv6"}.get(
                dest.family or 0, "this address family")
            raise SendError(f"no {dest.proto} socket for {family} to send to {dest}")
        return sock

    # -- sending ------------------------------------------------------------------------

    def send(self, data: bytes, dest: Destination,
             on_error: Callable[[SendError], None] | None = None) -> bool:
        """Send without waiting; False when it failed at once (the reason is logged).

        When a TCP connection has to be opened first, True is returned and the message
        waits for it; if that fails later, ``on_error`` (if given) is called with the
        SendError, after it is logged.
        """
        try:
            if self._send_now(data, dest):
                return True
            sock = self._socket_for(dest)
        except SendError as exc:
            self._failed(dest, exc)
            return False
        self._spawn(self._send_connecting(data, dest, sock, on_error))
        return True

    async def send_wait(self, data: bytes, dest: Destination) -> None:
        """Send, opening a TCP connection if needed; raise SendError on failure."""
        if not self._send_now(data, dest):
            sock = self._socket_for(dest)
            conn = await self.table.connection_to(dest.host, dest.port, sock)
            conn.write(data)

    def _send_now(self, data: bytes, dest: Destination) -> bool:
        """Sent (True), or a TCP connection must be opened first (False)."""
        if dest.proto == "udp":
            sock = self._socket_for(dest)
            try:
                self._udp_by_socket[sock].sendto(data, dest.host, dest.port)
            except OSError as exc:
                raise SendError(f"cannot send to {dest}: {exc.strerror or exc}") from None
            return True
        if dest.proto == "tcp":
            conn = self.connection_for(dest)
            if conn is None:
                return False
            conn.write(data)
            return True
        raise SendError(f"cannot send to {dest}: protocol {dest.proto} is not supported")

    def connection_for(self, dest: Destination) -> TcpConnection | None:
        """The open connection a message to ``dest`` would use now, if any."""
        table = self.table
        if dest.conn_id is not None:
            conn = table.get(dest.conn_id)
            if conn is not None:
                return conn
        return table.find(dest.host, dest.port)

    async def _send_connecting(self, data: bytes, dest: Destination, sock: SocketInfo,
                               on_error: Callable[[SendError], None] | None) -> None:
        try:
            conn = await self.table.connection_to(dest.host, dest.port, sock)
            conn.write(data)
        except SendError as exc:
            self._failed(dest, exc)
            if on_error is not None:
                try:
                    on_error(exc)
                except Exception:
                    log.err("error callback for %s failed", dest, exc_info=True)

    def _failed(self, dest: Destination, exc: TransportError) -> None:
        log.log(self.params.get_int("core", "corelog"), "send to %s failed: %s", dest, exc)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- views for RPC and statistics ----------------------------------------------------

    @property
    def counters(self) -> TcpCounters:
        return self.table.counters

    def describe(self) -> list[str]:
        """One line per socket for the start-up log."""
        lines = []
        for sock in self.sockets:
            line = f"sip {sock.proto}:{hostport(sock.host, sock.port)}"
            if sock.advertise:
                line += f" advertise {sock.advertise}"
            lines.append(line)
        return lines
