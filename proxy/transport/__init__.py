"""Bytes in and out (layer 2): UDP and TCP listeners, TCP framing, connection reuse.

Public API (the core and the layers above import from here):

- :class:`Transports`: every listener; ``start()``, ``close()``, ``send(data, dest)``
  (non-blocking), ``send_wait(data, dest)`` (raises SendError), ``pick_socket(proto,
  host)``, ``sockets``, ``table`` (TCP connections), ``counters`` (tcp statistics),
  ``on_packet`` (the receiver of every message: ``(data, ReceiveInfo) -> None``);
- addresses: :class:`SocketInfo`, :class:`ReceiveInfo`, :class:`Destination`,
  :func:`hostport`, :func:`uri_host`, :func:`bare_host`, :func:`ip_family`,
  :func:`normalize_ip`, :func:`is_wildcard`, :func:`is_loopback`, :func:`source_address`;
- listen addresses: :class:`ListenSpec`, :func:`parse_listen`, :func:`parse_listen_list`,
  :data:`DEFAULT_LISTEN`, :class:`ListenError`;
- errors: :class:`TransportError`, :class:`BindError`, :class:`SendError`.

See docs/sip-internals.md.
"""

from proxy.transport.address import (
    DEFAULT_SIP_PORT,
    PROTOS,
    STREAM_PROTOS,
    Destination,
    ReceiveInfo,
    SocketInfo,
    bare_host,
    hostport,
    ip_family,
    is_loopback,
    is_wildcard,
    normalize_ip,
    source_address,
    uri_host,
)
from proxy.transport.connections import ConnectionTable, TcpCounters
from proxy.transport.errors import BindError, SendError, TransportError
from proxy.transport.listen import (
    DEFAULT_LISTEN,
    ListenError,
    ListenSpec,
    parse_listen,
    parse_listen_list,
    split_host_port,
)
from proxy.transport.tcp import TcpConnection
from proxy.transport.transports import PacketHandler, Transports

__all__ = [
    "DEFAULT_LISTEN",
    "DEFAULT_SIP_PORT",
    "PROTOS",
    "STREAM_PROTOS",
    "BindError",
    "ConnectionTable",
    "Destination",
    "ListenError",
    "ListenSpec",
    "PacketHandler",
    "ReceiveInfo",
    "SendError",
    "SocketInfo",
    "TcpConnection",
    "TcpCounters",
    "TransportError",
    "Transports",
    "bare_host",
    "hostport",
    "ip_family",
    "is_loopback",
    "is_wildcard",
    "normalize_ip",
    "parse_listen",
    "parse_listen_list",
    "source_address",
    "split_host_port",
    "uri_host",
]
