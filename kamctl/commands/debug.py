"""``kamctl debug [LEVEL]`` (also ``kamctl srv debug``): show or set the live debug level."""

from __future__ import annotations

import re
from typing import Any

import click

from kamctl.context import Settings

_INT = re.compile(r"^[+-]?\d+$")
_NAMES = {
    -5: "ALERT",
    -4: "BUG",
    -3: "CRITICAL",
    -2: "CRITICAL",
    -1: "ERROR",
    0: "WARNING",
    1: "NOTICE",
    2: "INFO",
    3: "DEBUG",
}


def _shown(level: Any) -> str:
    name = _NAMES.get(level) if isinstance(level, int) else None
    return f"{level} ({name})" if name else str(level)


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("level", required=False)
@click.pass_obj
def debug(settings: Settings, level: str | None) -> None:
    """Show the debug level, or set it to LEVEL now (-5 alert .. 3 debug).

    Uses corex.debug; the change applies to the next log line, no restart needed.
    """
    client = settings.client()
    if level is None:
        result = client.call("corex.debug")
        click.echo(f"debug: {_shown(result.get('debug') if isinstance(result, dict) else result)}")
        return
    if not _INT.match(level):
        raise click.BadParameter(f"{level!r} is not an integer", param_hint="LEVEL")
    result = client.call("corex.debug", int(level))
    if isinstance(result, dict) and "old" in result:
        click.echo(f"debug: {_shown(result['old'])} -> {_shown(result.get('new'))}")
    else:
        click.echo(f"debug: {_shown(int(level))}")
