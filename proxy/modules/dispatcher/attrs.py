"""A destination's ``attrs`` column: ``name=value`` pairs separated by ``;``.

Known names (case-insensitive), as in Kamailio's dispatcher: ``duid`` (destination's
unique id), ``weight`` (0..100, algorithm 9), ``rweight`` (0..100), ``maxload``
(calls, algorithm 10), ``socket`` (``proto:host[:port]`` to send from), ``sockname``
(a listener's name), ``obproxy`` (an outbound proxy URI) and ``ping_from`` (the From
URI of pings to this destination). Other names are kept in the text only. Values are
checked; :func:`parse_attrs` raises ValueError naming the bad item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_PROTOS = ("udp", "tcp", "tls", "sctp", "ws", "wss")
_SOCKET = re.compile(
    r"^(?P<proto>[a-z]+):(?P<host>\[[0-9a-fA-F:.]+\]|[^:\[\]]+)(?::(?P<port>\d+))?$"
)


@dataclass(frozen=True)
class DestAttrs:
    body: str = ""  #: the column as written
    duid: str | None = None
    maxload: int = 0
    weight: int = 0
    rweight: int = 0
    socket: str | None = None
    sockname: str | None = None
    obproxy: str | None = None
    ping_from: str | None = None

    def shape(self) -> dict[str, Any]:
        """The ``ATTRS`` object of ``dispatcher.list`` (absent strings are null)."""
        return {
            "BODY": self.body,
            "DUID": self.duid,
            "MAXLOAD": self.maxload,
            "WEIGHT": self.weight,
            "RWEIGHT": self.rweight,
            "SOCKET": self.socket,
            "SOCKNAME": self.sockname,
            "OBPROXY": self.obproxy,
        }


def parse_attrs(text: str) -> DestAttrs:
    """The attributes of ``text``; ValueError with the reason for a bad one."""
    values: dict[str, Any] = {}
    for item in text.split(";"):
        item = item.strip()
        if not item:
            continue
        name, eq, value = item.partition("=")
        name = name.strip().lower()
        value = value.strip()
        if not name or not eq:
            raise ValueError(f"{item!r} is not name=value")
        if name in ("weight", "rweight"):
            values[name] = _number(name, value, 0, 100)
        elif name == "maxload":
            values[name] = _number(name, value, 0, 2**31 - 1)
        elif name == "socket":
            values[name] = check_socket(value)
        elif name in ("obproxy", "ping_from"):
            values[name] = _sip_uri(name, value)
        elif name in ("duid", "sockname"):
            if not value:
                raise ValueError(f"{name} is empty")
            values[name] = value
    return DestAttrs(body=text, **values)


def _number(name: str, value: str, low: int, high: int) -> int:
    if not value.isdigit() or not low <= int(value) <= high:
        raise ValueError(f"{name}={value!r} must be a whole number {low}..{high}")
    return int(value)


def check_socket(value: str) -> str:
    """``proto:host[:port]`` (kamproxy's listen syntax); ValueError otherwise."""
    match = _SOCKET.match(value)
    if match is None or match["proto"] not in _PROTOS:
        raise ValueError(
            f"socket={value!r} must be proto:host[:port] with proto one of {', '.join(_PROTOS)}"
        )
    port = match["port"]
    if port is not None and not 0 < int(port) < 65536:
        raise ValueError(f"socket={value!r}: port must be 1..65535")
    return value


def _sip_uri(name: str, value: str) -> str:
    from proxy.sip.errors import SipParseError
    from proxy.sip.uri import parse_uri

    try:
        uri = parse_uri(value)
    except SipParseError as exc:
        raise ValueError(f"{name}={value!r} is not a SIP URI ({exc})") from None
    if uri.is_tel:
        raise ValueError(f"{name}={value!r} must be a sip: or sips: URI")
    return value
