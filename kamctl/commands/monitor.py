"""``kamctl monitor``: a live view of the proxy, or one snapshot for scripts.

On a terminal it redraws every ``--interval`` seconds until q or Ctrl-C (or after
``--count`` refreshes; Kamailio's ``kamctl monitor LOOPS`` works too). With ``--once``,
``-F json``, or when stdout is not a terminal it prints one snapshot and ends.
"""

from __future__ import annotations

import sys

import click

from kamctl.context import Settings


@click.command()
@click.argument("loops", required=False, type=click.IntRange(1), metavar="[LOOPS]")
@click.option(
    "-i",
    "--interval",
    type=click.FloatRange(0.1, 3600),
    default=2.0,
    show_default=True,
    metavar="SECONDS",
    help="Refresh period.",
)
@click.option("-n", "--count", type=click.IntRange(1), help="Stop after COUNT refreshes.")
@click.option("--once", is_flag=True, help="Print one snapshot and end.")
@click.option(
    "-F",
    "--output",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="Snapshot format (json implies --once).",
)
@click.pass_obj
def monitor(
    settings: Settings,
    loops: int | None,
    interval: float,
    count: int | None,
    once: bool,
    output: str,
) -> None:
    """Watch uptime, request/reply rates, transactions, registrations, memory, debug level.

    A section the proxy cannot give (no tm, no usrloc module) shows n/a.
    """
    from kamctl.monitor.snapshot import Collector

    client = settings.client()
    collector = Collector(client, str(settings.target().address))
    if once or output == "json" or not sys.stdout.isatty():
        data = collector.take().data
        if output == "json":
            from kamctl.output.jsonout import to_json

            click.echo(to_json(data), nl=False)
        else:
            from kamctl.monitor.text import to_text

            click.echo(to_text(data), nl=False)
        return
    from kamctl.monitor import live

    live.run(collector, interval, count if count is not None else loops)
