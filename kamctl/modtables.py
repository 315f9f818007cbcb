"""What ``kamctl domain``, ``address`` and ``dispatcher`` share: their table, the proxy's
reload after a change, the proxy's dump, and printing rows.

After a command changed a table it asks the running proxy to reload it (the same RPC
as ``kamctl X reload``). The database change stands whatever the proxy says:

* reloaded: one line on stdout, exit 0;
* not reachable, or the proxy has no such module, or (Kamailio) it refuses to reload
  again within 5 seconds: a note on stderr saying how to reload later, exit 0;
* the proxy tried and failed (e.g. another bad row in the table): the proxy's reason on
  stderr, exit 1 (the proxy keeps its old data until the table is fixed and reloaded).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from kamctl import dbaccess, exitcodes
from kamctl.context import Settings
from kamctl.dbaccess import CommandFailed, note, open_database
from kamctl.rows import output_option, render

if TYPE_CHECKING:
    from proxy.storage.database import Database

#: ``-F/--output table|json|csv`` of every listing (a table unless asked otherwise)
listing_option = output_option("table", ("table", "json", "csv"))


@contextmanager
def open_table(
    settings: Settings, logical: str, *, create: bool = False, readonly: bool = False
) -> Iterator[tuple[Database, str]]:
    """The database and the configured name of Kamailio table ``logical``, checked.

    ``create`` makes the default SQLite database (with the schema) when it is missing,
    as every kamctl command that adds does; ``readonly`` uses the read-only URL. Use
    inside :func:`kamctl.dbaccess.reported`.
    """
    name = dbaccess.table_name(settings, logical)
    with open_database(settings, create=create, readonly=readonly) as db:
        db.require(logical, renamed={logical: name})
        yield db, name


def reload_after_change(settings: Settings, method: str, what: str, command: str) -> None:
    """Ask the proxy to reload ``what`` with ``method`` (see the module docstring)."""
    from rpc.errors import RemoteError, RpcError

    later = f"run `kamctl {command} reload` when it runs"
    try:
        settings.client().call(method)
    except RemoteError as exc:
        if _unknown_method(exc):
            note(f"the proxy has no {method} method (no such module): nothing reloaded")
            return
        if "ongoing reload" in exc.message.lower():
            note(
                f"the proxy refused to reload the {what} so soon after its last reload "
                f"(Kamailio allows one every 5 s): run `kamctl {command} reload` in a moment"
            )
            return
        raise CommandFailed(
            f"the {what} changed in the database, but the proxy's reload failed: "
            f"{exc.code} - {exc.message} (the proxy keeps its old data until the table "
            f"is fixed and `kamctl {command} reload` succeeds)",
            exitcodes.REMOTE_FAULT,
        ) from None
    except RpcError as exc:
        note(f"the proxy was not told to reload the {what}: it is not reachable ({exc}); {later}")
        return
    click.echo(f"the proxy reloaded the {what} ({method})")


def _unknown_method(exc: Any) -> bool:
    return bool(exc.code == -32601 or exc.message == "Method Not Found")


def call_dump(settings: Settings, method: str, empty: Sequence[str] = ()) -> Any:
    """The result of ``method``; None when the proxy answers one of the ``empty`` fault
    messages (Kamailio's way of saying "nothing loaded"). Other errors propagate."""
    from rpc.errors import RemoteError

    try:
        return settings.client().call(method)
    except RemoteError as exc:
        if exc.message in empty:
            return None
        raise


def emit(rows: list[dict[str, Any]], output: str, columns: Sequence[str], nothing: str) -> None:
    """Print ``rows``; an empty table prints ``nothing`` on stderr instead."""
    if output == "table" and not rows:
        click.echo(nothing, err=True)
        return
    click.echo(render(rows, output, columns), nl=False)


def usage(message: str) -> click.UsageError:
    return dbaccess.usage_error(message)


def missing_row(message: str) -> CommandFailed:
    """Exit 1: the row to change is not there, or is there already."""
    return CommandFailed(message, exitcodes.REMOTE_FAULT)
