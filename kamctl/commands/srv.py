"""``kamctl srv ...``: server information and settings, as Kamailio's kamctl ``srv``.

Subcommands live in their own modules and are added here; ``debug`` is the first.
"""

from __future__ import annotations

import click

from kamctl.commands.debug import debug


@click.group()
def srv() -> None:
    """Server information and settings (debug level, ...)."""


srv.add_command(debug, "debug")
