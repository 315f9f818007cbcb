"""``kamctl dispatcher add|rm|show|dump|reload``: destination sets (table ``dispatcher``).

As in Kamailio's kamctl, ``show`` reads the table and ``dump`` asks the running proxy
what it has loaded, with each destination's state (``dispatcher.list``). Unlike it,
the destination must be a SIP URI, the attributes are checked (``weight=50;duid=gw1;
socket=udp:10.0.0.1:5060``, the rules the proxy loads them with), the same URI twice
in a set or removing a missing row is an error (exit 1), and ``add``/``rm`` ask the
proxy to reload (kamctl/modtables.py).
"""

from __future__ import annotations

from typing import Any

import click

from kamctl.context import Settings
from kamctl.dbaccess import reported
from kamctl.livecomplete import complete_dispatcher_setid
from kamctl.modtables import (
    call_dump,
    emit,
    listing_option,
    missing_row,
    open_table,
    reload_after_change,
    usage,
)

RELOAD = "dispatcher.reload"
WHAT = "dispatcher table"
#: column sizes of Kamailio 5.6's dispatcher table
SIZES = {"destination": 192, "attrs": 128, "description": 64}


@click.group("dispatcher")
def dispatcher() -> None:
    """Destination sets the proxy balances and fails over between (table dispatcher)."""


@dispatcher.command("add")
@click.argument(
    "setid",
    metavar="SETID",
    type=click.IntRange(0, 2**31 - 1),
    shell_complete=complete_dispatcher_setid,
)
@click.argument("uri", metavar="URI")
@click.argument("flags", metavar="[FLAGS]", required=False, default=0, type=click.IntRange(0, 31))
@click.argument("priority", metavar="[PRIORITY]", required=False, default=0, type=int)
@click.argument("attrs", metavar="[ATTRS]", required=False, default="")
@click.argument("description", metavar="[DESCRIPTION]", required=False, default="")
@click.pass_obj
def add(
    settings: Settings,
    setid: int,
    uri: str,
    flags: int,
    priority: int,
    attrs: str,
    description: str,
) -> None:
    """Add destination URI to set SETID; then have the proxy reload.

    FLAGS: initial state bits (1 inactive, 2 trying, 4 disabled, 8 probing; default 0,
    active). PRIORITY: higher first (default 0). ATTRS: name=value;... (weight, duid,
    maxload, socket, sockname, obproxy, ping_from). DESCRIPTION: free text.
    """
    from proxy.modules.base import BadRow
    from proxy.modules.dispatcher.destinations import parse_row

    row: dict[str, Any] = {
        "setid": setid,
        "destination": uri.strip(),
        "flags": flags,
        "priority": priority,
        "attrs": attrs,
        "description": description,
    }
    for column, size in SIZES.items():
        if len(row[column]) > size:
            raise usage(f"{column} is too long ({len(row[column])} characters; at most {size} fit)")
    try:
        parse_row(row)  # the proxy's own check, so that what we store loads
    except BadRow as exc:
        raise usage(exc.about_value()) from None
    with reported(), open_table(settings, "dispatcher", create=True) as (db, table):
        if db.count(table, {"setid": setid, "destination": row["destination"]}):
            raise missing_row(f"set {setid} already has {row['destination']} in the {table} table")
        with db.transaction():
            db.insert(table, row)
            found = db.select(
                table, {"setid": setid, "destination": row["destination"]}, columns=["id"]
            )
    row_id = found[0]["id"] if found else "?"
    click.echo(f"destination {row['destination']} added to set {setid} (id {row_id})")
    reload_after_change(settings, RELOAD, WHAT, "dispatcher")


@dispatcher.command("rm")
@click.argument("row_id", metavar="ID", type=click.IntRange(0, None))
@click.pass_obj
def rm(settings: Settings, row_id: int) -> None:
    """Remove the row with this ID (see `kamctl dispatcher show`); then have the proxy
    reload."""
    with reported(), open_table(settings, "dispatcher") as (db, table):
        row = db.select_one(table, {"id": row_id})
        if row is None:
            raise missing_row(f"no row with id {row_id} in the {table} table")
        db.delete(table, {"id": row_id})
    click.echo(f"destination {row['destination']} (id {row_id}) removed from set {row['setid']}")
    reload_after_change(settings, RELOAD, WHAT, "dispatcher")


@dispatcher.command("show")
@listing_option
@click.pass_obj
def show(settings: Settings, output: str) -> None:
    """The dispatcher table as stored in the database, by set."""
    with reported(), open_table(settings, "dispatcher", readonly=True) as (db, table):
        rows = db.select(table, order_by=["setid", "id"])
    columns = ["id", "setid", "destination", "flags", "priority", "attrs", "description"]
    emit(rows, output, columns, f"no destinations in the {table} table")


@dispatcher.command("dump")
@listing_option
@click.pass_obj
def dump(settings: Settings, output: str) -> None:
    """What the running proxy has loaded, with each destination's state (FLAGS: A active,
    I inactive, T trying, D disabled; P probing, X not)."""
    result = call_dump(settings, "dispatcher.list", empty=("No Destination Sets",)) or {}
    rows = []
    for record in result.get("RECORDS") or []:
        dest_set = record.get("SET") or {}
        for target in dest_set.get("TARGETS") or []:
            dest = target.get("DEST") or {}
            rows.append(
                {
                    "setid": dest_set.get("ID"),
                    "uri": dest.get("URI"),
                    "flags": dest.get("FLAGS"),
                    "priority": dest.get("PRIORITY"),
                    "attrs": (dest.get("ATTRS") or {}).get("BODY", ""),
                }
            )
    columns = ["setid", "uri", "flags", "priority", "attrs"]
    emit(rows, output, columns, "the proxy has no destination sets")


@dispatcher.command("reload")
@click.pass_obj
def reload(settings: Settings) -> None:
    """Have the running proxy reload the destination sets (dispatcher.reload)."""
    settings.client().call(RELOAD)
    click.echo(f"the proxy reloaded the destination sets ({RELOAD})")
