"""The ``address`` table as data: single addresses, subnets and host names, and matching.

As in Kamailio, a row whose mask is the whole address (32 for IPv4, 128 for IPv6) is a
single address (``permissions.addressDump``), any other mask makes a subnet
(``permissions.subnetDump``; note that an IPv6 row left at the column's default mask
32 is the subnet ``/32``), and a row whose ``ip_addr`` is a host name goes to a list of
names (``permissions.domainDump``). Names are never matched against a source address
(Kamailio compares the address text with the name, which never matches either).

Matching a source (group, ip, port): an entry matches when its group is the one asked
for, its port is 0 (any) or the source port, and its address is the source address
(or its subnet contains it). Single addresses win over subnets; among subnets the
longest prefix wins; an entry for the exact port wins over a port-0 entry. An IPv4
address written as IPv6 (``::ffff:192.0.2.1``) is matched as IPv4.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from proxy.modules.base import BadRow, int_column

TABLE = "address"
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class AddressEntry:
    """One IP row: a single address or a subnet."""

    row_id: int
    group: int
    address: IpAddress  #: the address as written in the row (host bits kept)
    network: IpNetwork  #: address/mask with the host bits cleared
    port: int  #: 0 = any port
    tag: str | None

    @property
    def mask(self) -> int:
        return self.network.prefixlen

    @property
    def single(self) -> bool:
        return self.network.prefixlen == self.network.max_prefixlen


@dataclass(frozen=True)
class NameEntry:
    """A row whose ``ip_addr`` is a host name (listed, never matched)."""

    row_id: int
    group: int
    name: str
    port: int
    tag: str | None


@dataclass(frozen=True)
class AddressTable:
    singles: tuple[AddressEntry, ...] = ()  #: row order
    subnets: tuple[AddressEntry, ...] = ()  #: by group, then row order (Kamailio's order)
    names: tuple[NameEntry, ...] = ()
    #: (group, address) -> single entries, exact ports first
    _exact: Mapping[tuple[int, IpAddress], tuple[AddressEntry, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: group -> subnets, longest prefix first, exact ports before port 0
    _nets: Mapping[int, tuple[AddressEntry, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    @property
    def groups(self) -> list[int]:
        return sorted({e.group for e in self.singles} | set(self._nets))

    def match(self, group: int, ip: str, port: int = 0) -> AddressEntry | None:
        """The entry of ``group`` that allows source ``ip``:``port``, or None."""
        address = source_address(ip)
        if address is None:
            return None
        for entry in self._exact.get((group, address), ()):
            if entry.port in (0, port):
                return entry
        for entry in self._nets.get(group, ()):
            if entry.port in (0, port) and address in entry.network:
                return entry
        return None

    def match_any_group(self, ip: str, port: int = 0) -> AddressEntry | None:
        """The first matching entry of any group (lowest group number first)."""
        for group in self.groups:
            entry = self.match(group, ip, port)
            if entry is not None:
                return entry
        return None

    # -- RPC shapes -------------------------------------------------------------------

    def address_dump(self) -> list[dict[str, Any]]:
        """``permissions.addressDump``: a NULL tag is the string "NULL", as in Kamailio.

        ``table`` is the entry's position here (Kamailio: its hash bucket).
        """
        return [
            {
                "table": index,
                "group": e.group,
                "item": {"ip": str(e.address), "port": e.port, "tag": _tag(e.tag, "NULL")},
            }
            for index, e in enumerate(self.singles)
        ]

    def subnet_dump(self) -> list[dict[str, Any]]:
        """``permissions.subnetDump``: a NULL tag is "" here, as in Kamailio."""
        return [
            {
                "id": index,
                "group": e.group,
                "item": {
                    "ip": str(e.address),
                    "mask": e.mask,
                    "port": e.port,
                    "tag": _tag(e.tag, ""),
                },
            }
            for index, e in enumerate(self.subnets)
        ]

    def name_dump(self) -> list[dict[str, Any]]:
        """``permissions.domainDump`` (always a list; see docs/modules.md)."""
        return [
            {
                "table": index,
                "group": e.group,
                "item": {"domain_name": e.name, "port": e.port, "tag": _tag(e.tag, "NULL")},
            }
            for index, e in enumerate(self.names)
        ]


def _tag(tag: str | None, null: str) -> str:
    return null if tag is None else tag


def source_address(ip: str) -> IpAddress | None:
    """``ip`` as an address (IPv4-mapped IPv6 as IPv4, brackets allowed), None if not one."""
    text = ip.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def build(rows: Iterable[Mapping[str, Any]]) -> AddressTable:
    """Check every row and build the table; BadRow for the first row that is wrong."""
    singles: list[AddressEntry] = []
    subnets: list[AddressEntry] = []
    names: list[NameEntry] = []
    for row in rows:
        entry = parse_row(row)
        if isinstance(entry, NameEntry):
            names.append(entry)
        elif entry.single:
            singles.append(entry)
        else:
            subnets.append(entry)
    subnets.sort(key=lambda e: e.group)  # stable: row order within a group
    exact: dict[tuple[int, IpAddress], list[AddressEntry]] = {}
    for e in singles:
        exact.setdefault((e.group, e.network.network_address), []).append(e)
    nets: dict[int, list[AddressEntry]] = {}
    for e in subnets:
        nets.setdefault(e.group, []).append(e)
    return AddressTable(
        tuple(singles),
        tuple(subnets),
        tuple(names),
        MappingProxyType({k: tuple(sorted(v, key=_port_first)) for k, v in exact.items()}),
        MappingProxyType(
            {g: tuple(sorted(v, key=lambda e: (-e.mask, _port_first(e)))) for g, v in nets.items()}
        ),
    )


def _port_first(entry: AddressEntry) -> int:
    return 1 if entry.port == 0 else 0


def parse_row(row: Mapping[str, Any]) -> AddressEntry | NameEntry:
    """One ``address`` row checked (kamctl uses the same rules before it inserts)."""
    row_id = row.get("id")
    group = int_column(TABLE, row, "grp", 0, 2**31 - 1)
    port = int_column(TABLE, row, "port", 0, 65535)
    tag = row.get("tag")
    if tag is not None and not isinstance(tag, str):
        raise BadRow(TABLE, row_id, "tag", tag, "is not text")
    text = row.get("ip_addr")
    if not isinstance(text, str) or not text.strip():
        raise BadRow(TABLE, row_id, "ip_addr", text, "is not an IP address")
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return NameEntry(int(row_id or 0), group, _host_name(row_id, text), port, tag)
    mask = int_column(TABLE, row, "mask", 0, address.max_prefixlen)
    network = ipaddress.ip_network(f"{address}/{mask}", strict=False)
    return AddressEntry(int(row_id or 0), group, address, network, port, tag)


def _host_name(row_id: Any, text: str) -> str:
    from proxy.storage.accounts import AccountError, check_domain

    if text.strip().startswith("["):
        raise BadRow(TABLE, row_id, "ip_addr", text, "must be written without brackets")
    try:
        return check_domain(text.strip())
    except AccountError:
        raise BadRow(
            TABLE, row_id, "ip_addr", text, "is neither an IP address nor a host name"
        ) from None
