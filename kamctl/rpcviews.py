"""Kamailio-shaped RPC results turned into flat rows, for listings, the monitor and doctor.

The same shapes come from kamproxy and from Kamailio 5.6 (kamailio-interfaces.md 4.1-4.3):

* ``stats.get_statistics``: ``["core:rcv_requests = 10", ...]``;
* ``corex.list_sockets``: ``[{"PROTO", "NAME", "ADDRLIST": {"ADDR"}, "PORT", ...}]``;
* ``corex.list_aliases``: ``[{"PROTO", "ADDR", "PORT"}]``;
* ``core.sockets_list`` / ``core.aliases_list``: the older ``{"socket": {...}}`` forms.

Nothing here talks to a server; the functions take results and give rows.
"""

from __future__ import annotations

import re
from typing import Any

#: ``group:name = value`` (the value is the rest of the line)
_STAT_LINE = re.compile(r"^\s*([^:\s]+):(\S+)\s*=\s*(.*?)\s*$")
_INT = re.compile(r"^[+-]?\d+$")
#: Addresses that mean "every interface".
WILDCARDS = ("0.0.0.0", "::", "[::]", "*")


def is_unknown_method(exc: Any) -> bool:
    """Whether a RemoteError says the method does not exist (kamproxy -32601, Kamailio 500)."""
    message = str(getattr(exc, "message", "")).lower()
    return bool(getattr(exc, "code", None) == -32601 or "method not found" in message)


def number(text: Any) -> Any:
    """``"10"`` -> 10; anything else unchanged."""
    if isinstance(text, str) and _INT.match(text.strip()):
        return int(text)
    return text


def parse_stat(line: Any) -> tuple[str, str, Any] | None:
    """``"core:rcv_requests = 10"`` -> ``("core", "rcv_requests", 10)``; None if not one."""
    if not isinstance(line, str):
        return None
    match = _STAT_LINE.match(line)
    if match is None:
        return None
    return match.group(1), match.group(2), number(match.group(3))


def stat_rows(result: Any) -> list[dict[str, Any]]:
    """Rows ``{"group", "name", "value"}`` from a ``stats.get_statistics`` result."""
    rows = []
    for line in result if isinstance(result, list) else []:
        parsed = parse_stat(line)
        if parsed is not None:
            rows.append({"group": parsed[0], "name": parsed[1], "value": parsed[2]})
    return rows


def stat_values(result: Any) -> dict[str, Any]:
    """``{"core:rcv_requests": 10, ...}`` from a ``stats.get_statistics`` result."""
    return {f"{r['group']}:{r['name']}": r["value"] for r in stat_rows(result)}


def stat_groups(result: Any) -> list[str]:
    """The group names in a ``stats.get_statistics`` result, sorted."""
    return sorted({r["group"] for r in stat_rows(result)})


def _port(value: Any) -> Any:
    return number(value) if isinstance(value, str) else value


def socket_rows(result: Any) -> list[dict[str, Any]]:
    """Rows ``{"proto", "name", "address", "port", "advertise", "mcast", "mhomed",
    "virtual", "sockname"}`` from ``corex.list_sockets`` or ``core.sockets_list``."""
    rows: list[dict[str, Any]] = []
    for item in result if isinstance(result, list) else []:
        if not isinstance(item, dict):
            continue
        if "socket" in item and isinstance(item["socket"], dict):  # core.sockets_list
            sock = item["socket"]
            rows.append(
                {
                    "proto": sock.get("proto"),
                    "name": sock.get("address"),
                    "address": sock.get("ipaddress", sock.get("address")),
                    "port": _port(sock.get("port")),
                    "advertise": sock.get("advertise"),
                    "mcast": sock.get("mcast"),
                    "mhomed": sock.get("mhomed"),
                    "virtual": sock.get("virtual"),
                    "sockname": None,
                }
            )
            continue
        addrs = item.get("ADDRLIST")
        address = addrs.get("ADDR") if isinstance(addrs, dict) else None
        advertise = item.get("ADVERTISE")
        sockname = item.get("SOCKNAME")
        rows.append(
            {
                "proto": item.get("PROTO"),
                "name": item.get("NAME"),
                "address": address if address is not None else item.get("NAME"),
                "port": _port(item.get("PORT")),
                "advertise": None if advertise in (None, "", "-") else advertise,
                "mcast": item.get("MCAST"),
                "mhomed": item.get("MHOMED"),
                "virtual": item.get("VIRTUAL"),
                "sockname": None if sockname in (None, "", "-") else sockname,
            }
        )
    return rows


def alias_rows(result: Any) -> list[dict[str, Any]]:
    """Rows ``{"proto", "address", "port"}`` from ``corex.list_aliases`` or
    ``core.aliases_list``; port 0 or ``"*"`` means any port."""
    items: list[Any]
    if isinstance(result, dict):  # core.aliases_list
        items = [
            a.get("alias") for a in result.get("aliases") or [] if isinstance(a, dict)
        ]
        return [
            {"proto": i.get("proto"), "address": i.get("address"), "port": _port(i.get("port"))}
            for i in items
            if isinstance(i, dict)
        ]
    items = result if isinstance(result, list) else []
    return [
        {"proto": i.get("PROTO"), "address": i.get("ADDR"), "port": _port(i.get("PORT"))}
        for i in items
        if isinstance(i, dict)
    ]


def is_wildcard(address: Any) -> bool:
    return isinstance(address, str) and address.strip() in WILDCARDS


def is_loopback(address: Any) -> bool:
    if not isinstance(address, str):
        return False
    text = address.strip().strip("[]")
    return text == "localhost" or text.startswith("127.") or text == "::1"
