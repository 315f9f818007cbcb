"""``kamctl address add|rm|show|dump|reload``: allowed source addresses (table ``address``).

As in Kamailio's kamctl, ``show`` reads the table and ``dump`` asks the running proxy
what it has loaded (``permissions.addressDump`` and ``permissions.subnetDump``).
Unlike it, the address is checked (an IPv4 or IPv6 address; ``IP/MASK`` is accepted
too), the default mask is the whole address (32 for IPv4, **128 for IPv6**: Kamailio's
32 would make an IPv6 row a /32 subnet), a duplicate row or removing a missing one is
an error (exit 1), and ``add``/``rm`` ask the proxy to reload (kamctl/modtables.py).
"""

from __future__ import annotations

import ipaddress
from typing import Any

import click

from kamctl.context import Settings
from kamctl.dbaccess import reported
from kamctl.modtables import (
    call_dump,
    emit,
    listing_option,
    missing_row,
    open_table,
    reload_after_change,
    usage,
)

RELOAD = "permissions.addressReload"
WHAT = "address table"
MAX_TAG = 64
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@click.group("address")
def address() -> None:
    """Source addresses allowed per group (table address; permissions module)."""


def parse_ip(text: str, mask: int | None) -> tuple[IpAddress, int]:
    """(address, mask) of ``IP`` or ``IP/MASK`` with ``mask``; UsageError when wrong."""
    ip_text, slash, mask_text = text.strip().partition("/")
    try:
        ip = ipaddress.ip_address(ip_text)
    except ValueError:
        raise usage(
            f"{text!r} is not an IP address (the proxy matches the packet's source "
            "address; give an IPv4 or IPv6 address, or IP/MASK)"
        ) from None
    if slash:
        if not mask_text.isdigit():
            raise usage(f"bad mask in {text!r}: write IP/BITS, e.g. 10.0.0.0/24")
        if mask is not None and mask != int(mask_text):
            raise usage(f"two different masks: {text} and MASK {mask}")
        mask = int(mask_text)
    if mask is None:
        mask = ip.max_prefixlen
    if not 0 <= mask <= ip.max_prefixlen:
        raise usage(f"mask {mask} is out of range for {ip} (0..{ip.max_prefixlen})")
    return ip, mask


@address.command("add")
@click.argument("group", metavar="GRP", type=click.IntRange(0, 2**31 - 1))
@click.argument("ip", metavar="IP[/MASK]")
@click.argument("mask", metavar="[MASK]", required=False, type=int)
@click.argument("port", metavar="[PORT]", required=False, type=click.IntRange(0, 65535))
@click.argument("tag", metavar="[TAG]", required=False)
@click.pass_obj
def add(
    settings: Settings, group: int, ip: str, mask: int | None, port: int | None, tag: str | None
) -> None:
    """Allow source IP (or the subnet IP/MASK) in group GRP, on PORT (0: any, the
    default), with TAG for the routing script; then have the proxy reload."""
    from proxy.modules.base import BadRow
    from proxy.modules.permissions.table import parse_row

    address_ip, bits = parse_ip(ip, mask)
    if tag is not None and len(tag) > MAX_TAG:
        raise usage(f"the tag is too long ({len(tag)} characters; at most {MAX_TAG} fit)")
    row = {"grp": group, "ip_addr": str(address_ip), "mask": bits, "port": port or 0, "tag": tag}
    try:
        parse_row(row)  # the proxy's own check, so that what we store loads
    except BadRow as exc:
        raise usage(exc.about_value()) from None
    with reported(), open_table(settings, "address", create=True) as (db, table):
        key = {k: row[k] for k in ("grp", "ip_addr", "mask", "port")}
        if db.count(table, key):
            raise missing_row(
                f"group {group} already has {address_ip}/{bits} port {row['port']} "
                f"in the {table} table"
            )
        db.insert(table, row)
    shown = str(address_ip) if bits == address_ip.max_prefixlen else f"{address_ip}/{bits}"
    click.echo(f"address {shown} port {row['port']} added to group {group}")
    reload_after_change(settings, RELOAD, WHAT, "address")


@address.command("rm")
@click.argument("group", metavar="GRP", type=click.IntRange(0, 2**31 - 1))
@click.argument("ip", metavar="IP[/MASK]")
@click.pass_obj
def rm(settings: Settings, group: int, ip: str) -> None:
    """Remove the rows of IP (every mask and port; only MASK with IP/MASK) from group GRP,
    then have the proxy reload."""
    with_mask = "/" in ip
    address_ip, bits = parse_ip(ip, None)
    with reported(), open_table(settings, "address") as (db, table):
        rows = [
            r
            for r in db.select(table, {"grp": group})
            if _same_ip(r.get("ip_addr"), address_ip) and (not with_mask or r.get("mask") == bits)
        ]
        if not rows:
            raise missing_row(f"group {group} has no {ip} in the {table} table")
        with db.transaction():
            for r in rows:
                db.delete(table, {"id": r["id"]})
    click.echo(f"removed {len(rows)} row(s) of {ip} from group {group}")
    reload_after_change(settings, RELOAD, WHAT, "address")


def _same_ip(stored: Any, ip: IpAddress) -> bool:
    try:
        return ipaddress.ip_address(str(stored).strip()) == ip
    except ValueError:
        return False


@address.command("show")
@listing_option
@click.pass_obj
def show(settings: Settings, output: str) -> None:
    """The address table as stored in the database."""
    with reported(), open_table(settings, "address", readonly=True) as (db, table):
        rows = db.select(table, order_by=["id"])
    columns = ["id", "grp", "ip_addr", "mask", "port", "tag"]
    emit(rows, output, columns, f"no addresses in the {table} table")


@address.command("dump")
@listing_option
@click.pass_obj
def dump(settings: Settings, output: str) -> None:
    """What the running proxy has loaded: single addresses, then subnets."""
    rows = []
    for entry in call_dump(settings, "permissions.addressDump") or []:
        item = entry.get("item") or {}
        rows.append(_row(entry, item, _full_mask(item.get("ip")), "NULL"))
    for entry in call_dump(settings, "permissions.subnetDump") or []:
        item = entry.get("item") or {}
        rows.append(_row(entry, item, item.get("mask"), ""))
    columns = ["group", "ip", "mask", "port", "tag"]
    emit(rows, output, columns, "the proxy has no allowed addresses")


def _row(entry: dict[str, Any], item: dict[str, Any], mask: Any, no_tag: str) -> dict[str, Any]:
    tag = item.get("tag")
    return {
        "group": entry.get("group"),
        "ip": item.get("ip"),
        "mask": mask,
        "port": item.get("port"),
        "tag": None if tag == no_tag else tag,
    }


def _full_mask(ip: Any) -> int | None:
    try:
        return ipaddress.ip_address(str(ip)).max_prefixlen
    except ValueError:
        return None


@address.command("reload")
@click.pass_obj
def reload(settings: Settings) -> None:
    """Have the running proxy reload the address table (permissions.addressReload)."""
    settings.client().call(RELOAD)
    click.echo(f"the proxy reloaded the address table ({RELOAD})")
