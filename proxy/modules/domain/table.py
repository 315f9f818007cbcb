"""The local domains as data: built from the ``domain`` and ``domain_attrs`` rows, checked.

A domain row with no ``did`` belongs to the domain id equal to its own name (as in
Kamailio). Lookups ignore case, and an IPv6 address matches with or without brackets
and in any spelling (``[::1]`` = ``::1`` = ``[0::1]``). Attributes are ``(name, type,
value)`` with Kamailio's types: 0 integer, 2 string.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from proxy.modules.base import BadRow

INT_ATTR, STR_ATTR = 0, 2


@dataclass(frozen=True)
class Attribute:
    name: str
    type: int  #: 0 integer, 2 string
    value: int | str


@dataclass(frozen=True)
class DomainTable:
    """The local domains and their attributes (never changed once built)."""

    #: (domain as stored, did) in row order
    domains: tuple[tuple[str, str], ...] = ()
    #: lookup key (see :func:`host_key`) -> did
    by_key: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: did -> attributes in row order (every did that has one)
    attrs: Mapping[str, tuple[Attribute, ...]] = field(default_factory=lambda: MappingProxyType({}))

    def did_of(self, host: str) -> str | None:
        """The domain id of ``host`` when it is a local domain, else None."""
        return self.by_key.get(host_key(host))

    def is_local(self, host: str) -> bool:
        return host_key(host) in self.by_key

    def attributes(self, did: str) -> tuple[Attribute, ...]:
        return self.attrs.get(did, ())

    def dump(self) -> dict[str, Any]:
        """``domain.dump``'s result: Kamailio's shape (attrs lists the attribute names)."""
        return {
            "domains": [{"domain": name, "did": did} for name, did in self.domains],
            "attributes": [
                {"did": did, "attrs": [a.name for a in attrs]} for did, attrs in self.attrs.items()
            ],
        }


def host_key(host: str) -> str:
    """The form a host is compared in: lower case, IPv6 without brackets, compressed."""
    text = host.strip().lower()
    bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    if ":" in bare:
        try:
            return ipaddress.IPv6Address(bare).compressed
        except ValueError:
            return text
    return text


def build(
    domain_rows: Iterable[Mapping[str, Any]], attr_rows: Iterable[Mapping[str, Any]]
) -> DomainTable:
    """Check every row and build the table; BadRow for the first row that is wrong."""
    from proxy.storage.accounts import AccountError, check_domain

    domains: list[tuple[str, str]] = []
    by_key: dict[str, str] = {}
    for row in domain_rows:
        name = row.get("domain")
        if not isinstance(name, str):
            raise BadRow("domain", row.get("id"), "domain", name, "is not a domain name")
        try:
            check_domain(name)
        except AccountError as exc:
            raise BadRow("domain", row.get("id"), "domain", name, f"is not usable: {exc}") from None
        did = row.get("did")
        if did is None or did == "":
            did = name
        elif not isinstance(did, str):
            raise BadRow("domain", row.get("id"), "did", did, "is not a string")
        domains.append((name, did))
        by_key.setdefault(host_key(name), did)
    attrs: dict[str, list[Attribute]] = {}
    for row in attr_rows:
        attribute = _attribute(row)
        attrs.setdefault(str(row["did"]), []).append(attribute)
    return DomainTable(
        tuple(domains),
        MappingProxyType(by_key),
        MappingProxyType({did: tuple(items) for did, items in attrs.items()}),
    )


def _attribute(row: Mapping[str, Any]) -> Attribute:
    row_id = row.get("id")
    did, name, kind, value = row.get("did"), row.get("name"), row.get("type"), row.get("value")
    if not isinstance(did, str) or not did:
        raise BadRow("domain_attrs", row_id, "did", did, "is not a domain id")
    if not isinstance(name, str) or not name:
        raise BadRow("domain_attrs", row_id, "name", name, "is not an attribute name")
    if kind not in (INT_ATTR, STR_ATTR):
        raise BadRow("domain_attrs", row_id, "type", kind, "must be 0 (integer) or 2 (string)")
    text = "" if value is None else str(value)
    if kind == INT_ATTR:
        try:
            return Attribute(name, INT_ATTR, int(text.strip()))
        except ValueError:
            raise BadRow(
                "domain_attrs", row_id, "value", value, "is not an integer (the row's type is 0)"
            ) from None
    return Attribute(name, STR_ATTR, text)
