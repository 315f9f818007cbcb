"""``kamctl uptime``, ``ps`` and ``version``: the proxy's basic state.

Kamailio's kamctl prints the raw JSON-RPC reply of ``core.uptime`` / ``core.psx``; here
the default is readable (lines, or a table for the process list) and ``-F json`` gives
stable JSON for scripts (see docs/kamctl.md).
"""

from __future__ import annotations

from typing import Any

import click

from kamctl.context import Settings
from kamctl.exitstatus import ExitStatus
from kamctl.rows import output_option, render


def duration(seconds: Any) -> str:
    """``93784`` -> ``"1d 2h 3m 4s"`` (leading zero units left out)."""
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        return str(seconds)
    left = int(seconds)
    days, left = divmod(left, 86400)
    hours, left = divmod(left, 3600)
    minutes, secs = divmod(left, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m")]
    while parts and parts[0][0] == 0:
        parts.pop(0)
    return " ".join(f"{n}{unit}" for n, unit in [*parts, (secs, "s")])


def echo(text: str) -> None:
    click.echo(text, nl=False)


@click.command()
@output_option("text", ("text", "table", "json"))
@click.pass_obj
def uptime(settings: Settings, output: str) -> None:
    """Show how long the proxy has been running (core.uptime)."""
    result = settings.client().call("core.uptime")
    info = result if isinstance(result, dict) else {}
    row = {"now": info.get("now"), "up_since": info.get("up_since"), "uptime": info.get("uptime")}
    if output == "json":
        from kamctl.output.jsonout import to_json

        echo(to_json(row))
        return
    if output == "table":
        echo(render([row], "table"))
        return
    click.echo(f"Now: {row['now']}")
    click.echo(f"Up since: {row['up_since']}")
    click.echo(f"Uptime: {row['uptime']} s ({duration(row['uptime'])})")


def process_rows(result: Any) -> list[dict[str, Any]]:
    """Rows ``{"idx", "pid", "description"}`` from core.psx."""
    return [
        {"idx": r.get("IDX"), "pid": r.get("PID"), "description": r.get("DSC")}
        for r in (result if isinstance(result, list) else [])
        if isinstance(r, dict)
    ]


@click.command()
@output_option("table", ("table", "json", "csv"))
@click.pass_obj
def ps(settings: Settings, output: str) -> None:
    """List the proxy's processes (kamproxy: its tasks) from core.psx."""
    rows = process_rows(settings.client().call("core.psx"))
    echo(render(rows, output, ("idx", "pid", "description")))


def server_version(result: Any) -> str:
    """core.version's string without Kamailio's trailing space."""
    return str(result).strip()


@click.command()
@output_option("text", ("text", "json"))
@click.pass_obj
def version(settings: Settings, output: str) -> None:
    """Show kamctl's version and the proxy's (core.version).

    kamctl's own version is printed even when the proxy cannot be reached; the exit
    status is then 3 (only kamctl's: `kamctl --version`).
    """
    from importlib.metadata import version as dist_version

    from kamctl import exitcodes
    from rpc.errors import RpcError

    ours = dist_version("kamctl")
    address = str(settings.target().address)
    try:
        theirs: str | None = server_version(settings.client().call("core.version"))
        error = None
    except RpcError as exc:
        theirs, error = None, exc
    if output == "json":
        from kamctl.output.jsonout import to_json

        doc: dict[str, Any] = {"kamctl": ours, "server": theirs, "address": address}
        if error is not None:
            doc["error"] = str(error)
        echo(to_json(doc))
    else:
        click.echo(f"kamctl {ours}")
        if theirs is not None:
            click.echo(f"server: {theirs} ({address})")
    if error is not None:
        raise ExitStatus(exitcodes.report(error, "kamctl", settings.target_source()))
