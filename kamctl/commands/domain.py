"""``kamctl domain add|rm|show|showdb|reload``: the local domains (table ``domain``).

As in Kamailio's kamctl, ``show`` asks the running proxy what it has loaded
(``domain.dump``) and ``showdb`` reads the table. Unlike it, a domain is checked (a host
name, an IPv4 address or a bracketed IPv6 address) and stored in lower case, adding an
existing domain or removing a missing one is an error (exit 1), and ``add``/``rm`` ask
the proxy to reload (see kamctl/modtables.py).
"""

from __future__ import annotations

from datetime import datetime
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

RELOAD = "domain.reload"
WHAT = "domain table"
MAX_LENGTH = 64


@click.group("domain")
def domain() -> None:
    """Local domains: the proxy serves requests for these (table domain)."""


def _check_domain(text: str) -> str:
    from proxy.storage.accounts import check_domain

    return check_domain(text.strip())


def _check_did(text: str) -> str:
    if (
        not text
        or len(text) > MAX_LENGTH
        or not text.isprintable()
        or any(c.isspace() for c in text)
    ):
        raise usage(f"bad domain id {text!r}: 1 to {MAX_LENGTH} printable characters, no spaces")
    return text


def _rows_for(db: Any, table: str, name: str) -> list[dict[str, Any]]:
    """Rows whose domain is ``name`` in any case."""
    rows: list[dict[str, Any]] = db.select(table, columns=["id", "domain"])
    return [r for r in rows if str(r["domain"]).lower() == name]


@domain.command("add")
@click.argument("name", metavar="DOMAIN")
@click.option("--did", help="Domain id (default: none, which means the domain itself).")
@click.pass_obj
def add(settings: Settings, name: str, did: str | None) -> None:
    """Add DOMAIN to the local domains, then have the proxy reload them."""
    with reported():
        name = _check_domain(name)
        if did is not None:
            did = _check_did(did)
        with open_table(settings, "domain", create=True) as (db, table):
            if _rows_for(db, table, name):
                raise missing_row(f"domain {name} is already in the {table} table")
            db.insert(
                table,
                {
                    "domain": name,
                    "did": did,
                    "last_modified": db.dialect.datetime_value(datetime.now()),
                },
            )
    click.echo(f"domain {name} added")
    reload_after_change(settings, RELOAD, WHAT, "domain")


@domain.command("rm")
@click.argument("name", metavar="DOMAIN")
@click.pass_obj
def rm(settings: Settings, name: str) -> None:
    """Remove DOMAIN from the local domains, then have the proxy reload them."""
    with reported():
        name = _check_domain(name)
        with open_table(settings, "domain") as (db, table):
            rows = _rows_for(db, table, name)
            if not rows:
                raise missing_row(f"domain {name} is not in the {table} table")
            with db.transaction():
                for row in rows:
                    db.delete(table, {"id": row["id"]})
    click.echo(f"domain {name} removed")
    reload_after_change(settings, RELOAD, WHAT, "domain")


@domain.command("show")
@listing_option
@click.pass_obj
def show(settings: Settings, output: str) -> None:
    """The domains the running proxy has loaded (domain.dump)."""
    result = call_dump(settings, "domain.dump", empty=("Server Domain Cache Empty",))
    if result is None:
        click.echo("kamctl: note: the proxy has not loaded its domain table", err=True)
        result = {}
    attrs: dict[str, list[str]] = {}
    for entry in result.get("attributes") or []:
        attrs.setdefault(str(entry.get("did")), []).extend(entry.get("attrs") or [])
    rows = []
    for entry in result.get("domains") or []:
        names: Any = attrs.get(str(entry.get("did")), [])
        rows.append(
            {
                "domain": entry.get("domain"),
                "did": entry.get("did"),
                "attributes": names if output == "json" else " ".join(names),
            }
        )
    emit(rows, output, ["domain", "did", "attributes"], "the proxy has no local domains")


@domain.command("showdb")
@listing_option
@click.pass_obj
def showdb(settings: Settings, output: str) -> None:
    """The domain table as stored in the database."""
    with reported(), open_table(settings, "domain", readonly=True) as (db, table):
        rows = [
            {**row, "last_modified": db.dialect.datetime_from(row.get("last_modified"))}
            for row in db.select(table, order_by=["id"])
        ]
    columns = ["id", "domain", "did", "last_modified"]
    emit(rows, output, columns, f"no domains in the {table} table")


@domain.command("reload")
@click.pass_obj
def reload(settings: Settings) -> None:
    """Have the running proxy reload the domain tables (domain.reload)."""
    settings.client().call(RELOAD)
    click.echo(f"the proxy reloaded the domain tables ({RELOAD})")
