"""``kamctl srv ...``: server information and settings, as Kamailio's kamctl ``srv``.

| command | RPC |
|---|---|
| ``srv sockets`` | corex.list_sockets |
| ``srv aliases`` | corex.list_aliases |
| ``srv rpclist`` | system.listMethods |
| ``srv modules`` | core.modules |
| ``srv version`` | core.version |
| ``srv debug [LEVEL]`` | corex.debug (kamctl/commands/debug.py) |

Listings take ``-F table|json|csv`` (and ``text``: one value per line, for names).
"""

from __future__ import annotations

from typing import Any

import click

from kamctl.commands.debug import debug
from kamctl.context import Settings
from kamctl.rows import output_option, render
from kamctl.rpcviews import alias_rows, socket_rows

SOCKET_COLUMNS = (
    "proto", "name", "address", "port", "advertise", "mcast", "mhomed", "virtual", "sockname"
)


@click.group()
def srv() -> None:
    """Server information and settings (sockets, aliases, methods, modules, debug level)."""


srv.add_command(debug, "debug")


def _print(rows: list[dict[str, Any]], output: str, columns: tuple[str, ...]) -> None:
    if output == "text":
        for row in rows:
            click.echo(" ".join("" if row[c] is None else str(row[c]) for c in columns))
        return
    text = render(rows, output, columns)
    if not text and output == "table":
        click.echo("kamctl: note: the list is empty", err=True)
    click.echo(text, nl=False)


@srv.command()
@output_option("table", ("table", "json", "csv"))
@click.pass_obj
def sockets(settings: Settings, output: str) -> None:
    """List the SIP listening sockets (corex.list_sockets)."""
    rows = socket_rows(settings.client().call("corex.list_sockets"))
    _print(rows, output, SOCKET_COLUMNS)


@srv.command()
@output_option("table", ("table", "json", "csv"))
@click.pass_obj
def aliases(settings: Settings, output: str) -> None:
    """List the names the proxy takes as its own (corex.list_aliases); port 0: any."""
    rows = alias_rows(settings.client().call("corex.list_aliases"))
    _print(rows, output, ("proto", "address", "port"))


def _names(result: Any, column: str) -> list[dict[str, Any]]:
    return [{column: str(v)} for v in (result if isinstance(result, list) else [])]


@srv.command()
@output_option("table", ("table", "text", "json", "csv"))
@click.pass_obj
def rpclist(settings: Settings, output: str) -> None:
    """List the RPC methods the proxy offers (system.listMethods)."""
    rows = _names(settings.client().call("system.listMethods"), "method")
    _print(rows, output, ("method",))


@srv.command()
@output_option("table", ("table", "text", "json", "csv"))
@click.pass_obj
def modules(settings: Settings, output: str) -> None:
    """List the loaded modules (core.modules)."""
    rows = _names(settings.client().call("core.modules"), "module")
    _print(rows, output, ("module",))


@srv.command("version")
@output_option("text", ("text", "json"))
@click.pass_obj
def server_version(settings: Settings, output: str) -> None:
    """Show the proxy's version string (core.version)."""
    from kamctl.commands.core import server_version as clean

    text = clean(settings.client().call("core.version"))
    if output == "json":
        from kamctl.output.jsonout import to_json

        click.echo(to_json({"server": text}), nl=False)
    else:
        click.echo(text)
