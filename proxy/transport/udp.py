"""One UDP listening socket: every datagram is one message (RFC 3261 18.3).

Keep-alive datagrams (CRLFs) are dropped here; everything else goes to the packet
handler with a :class:`~proxy.transport.address.ReceiveInfo`. An exception in the
handler is logged and the socket goes on serving: bad input never stops a listener.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
from typing import Any, cast

from proxy.log import get_logger
from proxy.sip import is_keepalive
from proxy.transport import trace
from proxy.transport.address import ReceiveInfo, SocketInfo, bare_host, hostport
from proxy.transport.errors import SendError, bind_error

log = get_logger("transport")

PacketHandler = Callable[[bytes, ReceiveInfo], None]

#: receive buffer asked for: a burst of datagrams must not be dropped by the kernel
RCVBUF = 1 << 20


class UdpListener(asyncio.DatagramProtocol):
    """A bound UDP socket that receives and sends datagrams."""

    def __init__(
        self, host: str, port: int, family: int, name: str, on_packet: PacketHandler,
        advertise: tuple[str | None, int | None] = (None, None),
    ) -> None:
        self._bind = (host, port, family)
        self._name_text = name
        self._advertise = advertise
        self.on_packet = on_packet
        self.socket: SocketInfo | None = None
        self._transport: asyncio.DatagramTransport | None = None

    @property
    def name(self) -> str:
        """The task name core.psx shows (Kamailio's shape)."""
        where = self.socket.address if self.socket else hostport(self._bind[0], self._bind[1])
        return f"udp receiver child=0 sock={where}"

    async def start(self) -> None:
        host, port, family = self._bind
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
            sock.bind((host, port))
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise bind_error(f"udp:{hostport(host, port)}", exc) from None
        bound = sock.getsockname()
        self.socket = SocketInfo("udp", bare_host(host), int(bound[1]), family,
                                 self._name_text, *self._advertise)
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, sock=sock)

    async def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    # -- asyncio protocol ------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if len(data) <= 8 and is_keepalive(data):
            return
        sock = self.socket
        assert sock is not None
        if trace.enabled():
            trace.received("udp", (addr[0], addr[1]), sock.address, data, None)
        try:
            self.on_packet(data, ReceiveInfo("udp", addr[0], addr[1], sock))
        except Exception:  # a bug in an upper layer must not stop the socket
            log.err("udp %s: error handling a datagram from %s", sock.address,
                    hostport(addr[0], addr[1]), exc_info=True)

    def error_received(self, exc: Exception) -> None:
        # ICMP errors (port unreachable) for earlier datagrams: nothing to do
        log.dbg("udp %s: %s", self.socket.address if self.socket else "?", exc)

    # -- sending ----------------------------------------------------------------

    def sendto(self, data: bytes, host: str, port: int) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            raise SendError(f"udp socket {self.socket} is closed")
        if trace.enabled():  # before sending: the line is out before any answer comes
            assert self.socket is not None
            trace.sent("udp", self.socket.address, (host, port), data, None)
        transport.sendto(data, (host, port))
