"""``kamctl reload``: load the proxy's changed routing script without a restart.

Calls ``app_python.reload`` (Kamailio's name). The proxy compiles and runs the new
script first; when that fails the old script keeps serving and the error, with file
and line, is printed (exit status as for any server error).
"""

from __future__ import annotations

import click

from kamctl.context import Settings


@click.command()
@click.pass_obj
def reload(settings: Settings) -> None:
    """Reload the routing script (app_python.reload); the old one stays on an error."""
    result = settings.client().call("app_python.reload")
    if isinstance(result, dict) and "new" in result:
        click.echo(f"routing script reloaded: version {result.get('old')} -> {result['new']}")
    else:
        click.echo(f"routing script reloaded: {result}")
