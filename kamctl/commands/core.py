"""``kamctl uptime``, ``ps`` and ``version``: the proxy's basic state."""

from __future__ import annotations

import click

from kamctl.context import Settings


@click.command()
@click.pass_obj
def uptime(settings: Settings) -> None:
    """Show how long the proxy has been running."""
    result = settings.client().call("core.uptime")
    click.echo(f"Now: {result.get('now')}")
    click.echo(f"Up since: {result.get('up_since')}")
    click.echo(f"Uptime: {result.get('uptime')} [sec]")


@click.command()
@click.pass_obj
def ps(settings: Settings) -> None:
    """List the proxy's processes (tasks): index, pid, description."""
    for row in settings.client().call("core.psx"):
        click.echo(f"{row.get('IDX')}\t{row.get('PID')}\t{row.get('DSC')}")


@click.command()
@click.pass_obj
def version(settings: Settings) -> None:
    """Show kamctl's version and, when reachable, the proxy's."""
    from importlib.metadata import version as dist_version

    click.echo(f"kamctl {dist_version('kamctl')}")
    click.echo(f"server: {settings.client().call('core.version')}")
