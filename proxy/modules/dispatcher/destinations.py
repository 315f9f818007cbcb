"""Destination sets as data: the ``dispatcher`` rows checked and grouped by set id.

Within a set, destinations are ordered by ``priority`` (higher first), then by row
id; that is the order of algorithm 8 and of every failover list. The configuration
of a destination never changes once built; its live state (:class:`DestState`) is a
separate object that a reload carries over to the new data when the destination
(same set id and URI) is still there with the same ``flags`` column, so a reload does
not forget that a gateway is down.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from proxy.modules.base import BadRow, int_column
from proxy.modules.dispatcher.attrs import DestAttrs, parse_attrs
from proxy.modules.dispatcher.state import ALL_BITS, DestState

TABLE = "dispatcher"
#: Kamailio's protocol numbers (PROTOID of dispatcher.list full)
_PROTO_IDS = {None: 0, "udp": 1, "tcp": 2, "tls": 3, "sctp": 4, "ws": 5, "wss": 6}


@dataclass(frozen=True)
class Destination:
    """One row of a set (configuration), with its live :attr:`live` state."""

    row_id: int
    setid: int
    uri: str
    flags: int  #: the table's flags column
    priority: int
    attrs: DestAttrs
    description: str
    host: str  #: host of the URI, IPv6 without brackets
    port: int  #: port of the URI or the scheme's default
    transport: str | None  #: the URI's transport parameter (lower case)
    live: DestState = field(compare=False, repr=False, default_factory=DestState)

    @property
    def usable(self) -> bool:
        return self.live.usable

    def entry(self, probe_all: bool, full: bool = False) -> dict[str, Any]:
        """The ``DEST`` object of ``dispatcher.list``."""
        dest: dict[str, Any] = {
            "URI": self.uri,
            "FLAGS": self.live.letters(probe_all),
            "PRIORITY": self.priority,
        }
        if full:
            dest.update(
                {
                    "HOST": self.host,
                    "IPADDR": self.host if _is_ip(self.host) else "",
                    "PORT": self.port,
                    "PROTOID": _PROTO_IDS.get(self.transport, 0),
                    "DNSTIME_SEC": 0,
                    "DNSTIME_USEC": 0,
                }
            )
        if self.attrs.body:
            dest["ATTRS"] = self.attrs.shape()
        return dest


@dataclass(frozen=True)
class DestSet:
    setid: int
    destinations: tuple[Destination, ...]


@dataclass(frozen=True)
class DispatcherData:
    """Every set, by id (ascending)."""

    sets: Mapping[int, DestSet] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, setid: int) -> DestSet | None:
        return self.sets.get(setid)

    def find(self, setid: int, uri: str) -> Destination | None:
        """The destination of ``setid`` whose URI is exactly ``uri``."""
        dest_set = self.sets.get(setid)
        if dest_set is None:
            return None
        return next((d for d in dest_set.destinations if d.uri == uri), None)

    def all(self) -> list[Destination]:
        return [d for s in self.sets.values() for d in s.destinations]

    def listing(self, probe_all: bool, full: bool = False) -> dict[str, Any]:
        """``dispatcher.list``'s result (the caller answers "No Destination Sets" if empty)."""
        return {
            "NRSETS": len(self.sets),
            "RECORDS": [
                {
                    "SET": {
                        "ID": s.setid,
                        "TARGETS": [{"DEST": d.entry(probe_all, full)} for d in s.destinations],
                    }
                }
                for s in self.sets.values()
            ],
        }


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def build(
    rows: Iterable[Mapping[str, Any]], previous: DispatcherData | None = None
) -> DispatcherData:
    """Check every row and group the sets; BadRow for the first row that is wrong.

    Live states of ``previous`` carry over (see the module docstring).
    """
    by_set: dict[int, list[Destination]] = {}
    for row in rows:
        dest = parse_row(row)
        old = previous.find(dest.setid, dest.uri) if previous is not None else None
        live = (
            old.live
            if old is not None and old.flags == dest.flags
            else DestState.from_flags(dest.flags)
        )
        dest = Destination(**{**_fields(dest), "live": live})
        by_set.setdefault(dest.setid, []).append(dest)
    sets = {
        setid: DestSet(setid, tuple(sorted(dests, key=lambda d: (-d.priority, d.row_id))))
        for setid, dests in sorted(by_set.items())
    }
    return DispatcherData(MappingProxyType(sets))


def _fields(dest: Destination) -> dict[str, Any]:
    return {name: getattr(dest, name) for name in Destination.__dataclass_fields__}


def parse_row(row: Mapping[str, Any]) -> Destination:
    """One ``dispatcher`` row checked (kamctl uses the same rules before it inserts)."""
    from proxy.sip.errors import SipParseError
    from proxy.sip.uri import parse_uri

    row_id = row.get("id")
    setid = int_column(TABLE, row, "setid", 0, 2**31 - 1)
    flags = int_column(TABLE, row, "flags", 0, ALL_BITS)
    priority = int_column(TABLE, row, "priority", -(2**31), 2**31 - 1)
    text = row.get("destination")
    if not isinstance(text, str) or not text.strip():
        raise BadRow(TABLE, row_id, "destination", text, "is not a SIP URI")
    try:
        uri = parse_uri(text.strip())
    except SipParseError as exc:
        raise BadRow(TABLE, row_id, "destination", text, f"is not a SIP URI ({exc})") from None
    if uri.is_tel:
        raise BadRow(TABLE, row_id, "destination", text, "must be a sip: or sips: URI")
    body = row.get("attrs") or ""
    if not isinstance(body, str):
        raise BadRow(TABLE, row_id, "attrs", body, "is not text")
    try:
        attrs = parse_attrs(body)
    except ValueError as exc:
        raise BadRow(TABLE, row_id, "attrs", body, f"has a bad attribute: {exc}") from None
    description = row.get("description") or ""
    return Destination(
        row_id=int(row_id or 0),
        setid=setid,
        uri=text.strip(),
        flags=flags,
        priority=priority,
        attrs=attrs,
        description=str(description),
        host=uri.host_bare,
        port=uri.port or uri.default_port or 5060,
        transport=uri.transport,
        live=DestState.from_flags(flags),
    )
