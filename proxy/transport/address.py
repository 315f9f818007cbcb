"""Addresses the transport layer speaks in: sockets we listen on, where a message came
from, where one goes.

* :class:`SocketInfo` describes one listening socket once it is bound (Kamailio's
  ``socket_info``): protocol, bound address and port, and the advertised address that
  goes into Via and Record-Route instead of the bound one (NAT).
* :class:`ReceiveInfo` comes with every received message: source address, the socket
  it arrived on and, for TCP, the connection id (replies go back on that connection).
* :class:`Destination` says where to send: protocol, IP address (never a name: names
  are resolved by the core before), port, and optionally the connection or the socket
  to use.

Hosts are kept *bare* here (``::1``, not ``[::1]``); :func:`hostport` adds brackets.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

#: the protocols kamproxy listens on and sends with
PROTOS: Final = ("udp", "tcp")
#: protocols whose messages travel on connections (framed streams)
STREAM_PROTOS: Final = frozenset({"tcp"})
DEFAULT_SIP_PORT: Final = 5060
#: the address helpers below are pure and called for every message: their results are
#: cached (peers and sockets are few compared with messages)
_CACHE = 4096


def bare_host(host: str) -> str:
    """``[::1]`` -> ``::1``; other hosts unchanged."""
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


@lru_cache(maxsize=_CACHE)
def ip_family(host: str) -> int | None:
    """AF_INET or AF_INET6 for an IP literal (brackets allowed), None for a name."""
    try:
        address = ipaddress.ip_address(bare_host(host))
    except ValueError:
        return None
    return socket.AF_INET6 if address.version == 6 else socket.AF_INET


@lru_cache(maxsize=_CACHE)
def normalize_ip(host: str) -> str:
    """The canonical text of an IP literal (``0:0::1`` -> ``::1``); a name in lower case."""
    try:
        return str(ipaddress.ip_address(bare_host(host)))
    except ValueError:
        return host.lower()


@lru_cache(maxsize=_CACHE)
def is_wildcard(host: str) -> bool:
    """True for the any-address (``0.0.0.0``, ``::``)."""
    try:
        return ipaddress.ip_address(bare_host(host)).is_unspecified
    except ValueError:
        return False


@lru_cache(maxsize=_CACHE)
def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(bare_host(host)).is_loopback
    except ValueError:
        return host.lower() == "localhost"


@lru_cache(maxsize=_CACHE)
def source_address(family: int, dest_host: str) -> str:
    """The local address the kernel sends from to reach ``dest_host`` (no packet is sent).

    A socket bound to the wildcard needs it for the sent-by of its Via.
    """
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((bare_host(dest_host), 9))
            return str(probe.getsockname()[0])
        except OSError:
            return "::1" if family == socket.AF_INET6 else "127.0.0.1"


def uri_host(host: str) -> str:
    """A host as written in URIs and Via: IPv6 literals in brackets."""
    host = bare_host(host)
    return f"[{host}]" if ":" in host else host


def hostport(host: str, port: int | None) -> str:
    """``127.0.0.1:5060``, ``[::1]:5060``, or the host alone when port is None."""
    text = uri_host(host)
    return text if port is None else f"{text}:{port}"


@dataclass(frozen=True, slots=True)
class SocketInfo:
    """A bound listening socket.

    Attributes:
        proto: ``udp`` or ``tcp``.
        host: the bound IP address (bare; may be the wildcard ``0.0.0.0`` or ``::``).
        port: the bound port (the real one when 0 was asked for).
        family: AF_INET or AF_INET6.
        name: the host as configured (a name such as ``localhost``, or the IP).
        advertise_host: the host written into Via/Record-Route instead of ``host``, or None.
        advertise_port: the port advertised with it, or None (then ``port``).
    """

    proto: str
    host: str
    port: int
    family: int
    name: str
    advertise_host: str | None = None
    advertise_port: int | None = None

    def __str__(self) -> str:
        return f"{self.proto}:{hostport(self.host, self.port)}"

    @property
    def address(self) -> str:
        """``127.0.0.1:5060`` / ``[::1]:5060``."""
        return hostport(self.host, self.port)

    @property
    def via_host(self) -> str:
        """The host of our Via sent-by (advertised if set), IPv6 in brackets."""
        return uri_host(self.advertise_host or self.host)

    @property
    def via_port(self) -> int:
        """The port of our Via sent-by (advertised if set)."""
        if self.advertise_host is not None and self.advertise_port is not None:
            return self.advertise_port
        return self.port

    @property
    def sent_by(self) -> str:
        return f"{self.via_host}:{self.via_port}"

    def sent_by_for(self, dest_host: str) -> tuple[str, int]:
        """(host, port) of our Via on a message to ``dest_host``: the advertised address,
        else the bound one, else (wildcard socket) the local address that reaches it."""
        if self.advertise_host is None and is_wildcard(self.host):
            return uri_host(source_address(self.family, dest_host)), self.port
        return self.via_host, self.via_port

    @property
    def advertise(self) -> str | None:
        """``host:port`` advertised, or None."""
        if self.advertise_host is None:
            return None
        return hostport(self.advertise_host, self.advertise_port or self.port)

    @property
    def is_stream(self) -> bool:
        return self.proto in STREAM_PROTOS


@dataclass(frozen=True, slots=True)
class ReceiveInfo:
    """Where a received message came from and how (Kamailio's ``receive_info``).

    Attributes:
        proto: ``udp`` or ``tcp``.
        src_host: the source IP address (bare).
        src_port: the source port.
        socket: the listening socket it arrived on (for TCP: the one that accepted, or
            whose address an outgoing connection used).
        conn_id: the TCP connection id, None for UDP.
    """

    proto: str
    src_host: str
    src_port: int
    socket: SocketInfo
    conn_id: int | None = None

    @property
    def is_stream(self) -> bool:
        return self.proto in STREAM_PROTOS

    @property
    def source(self) -> str:
        """``udp:127.0.0.1:5098`` for log lines."""
        return f"{self.proto}:{hostport(self.src_host, self.src_port)}"

    def reply_destination(self) -> Destination:
        """Straight back to the source: same connection, or from the same socket."""
        return Destination(self.proto, self.src_host, self.src_port, self.conn_id, self.socket)


@dataclass(frozen=True, slots=True)
class Destination:
    """Where to send a message.

    Attributes:
        proto: ``udp`` or ``tcp``.
        host: an IP address (bare); names are resolved before a Destination is made.
        port: the port.
        conn_id: send on this TCP connection when it is still open (replies); when it is
            gone, a connection to host:port is used or opened.
        socket: send from this socket (UDP: the source address of the datagram; TCP: the
            local address of a new connection); None lets the transport choose by
            protocol and address family.
    """

    proto: str
    host: str
    port: int
    conn_id: int | None = None
    socket: SocketInfo | None = None

    def __str__(self) -> str:
        return f"{self.proto}:{hostport(self.host, self.port)}"

    @property
    def family(self) -> int | None:
        return ip_family(self.host)

    @property
    def is_stream(self) -> bool:
        return self.proto in STREAM_PROTOS
