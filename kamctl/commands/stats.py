"""``kamctl stats [GROUP|GROUP:NAME ...]``: the proxy's statistics (stats.get_statistics).

As Kamailio's kamctl: no argument asks for ``all``, a GROUP for ``GROUP:``. A word with
a colon is sent as it is (kamproxy also understands ``GROUP:NAME``; Kamailio 5.6
answers nothing for it, use the bare NAME there).
"""

from __future__ import annotations

import click

from kamctl import exitcodes
from kamctl.context import Settings
from kamctl.dbaccess import CommandFailed
from kamctl.livecomplete import complete_stats_group
from kamctl.rows import output_option, render
from kamctl.rpcviews import stat_rows


def selector(word: str) -> str:
    """What to ask stats.get_statistics for: ``all``, ``GROUP:`` or the word as given."""
    if word == "all" or ":" in word:
        return word
    return f"{word}:"


@click.command()
@click.argument("groups", metavar="[GROUP...]", nargs=-1, shell_complete=complete_stats_group)
@output_option("table", ("table", "text", "json", "csv"))
@click.pass_obj
def stats(settings: Settings, groups: tuple[str, ...], output: str) -> None:
    """Show statistics: all of them, or those of each GROUP (core, sl, shmem, tm, ...).

    `-F text` prints Kamailio's "group:name = value" lines; json and csv give rows of
    group, name and value (numbers as numbers).
    """
    selectors = [selector(g) for g in groups] or ["all"]
    result = settings.client().call("stats.get_statistics", *selectors)
    rows = stat_rows(result)
    if not rows:
        asked = " ".join(groups) or "all"
        raise CommandFailed(f"no statistics match {asked}", exitcodes.REMOTE_FAULT)
    if output == "text":
        for row in rows:
            click.echo(f"{row['group']}:{row['name']} = {row['value']}")
        return
    click.echo(render(rows, output, ("group", "name", "value")), nl=False)
