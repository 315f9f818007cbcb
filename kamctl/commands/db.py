"""``kamctl db``: kamdbctl's job, for SQLite, PostgreSQL and MySQL alike.

``create`` is idempotent: it makes what is missing (the database on a server engine,
the tables with their ``version`` rows, our extra subscriber columns) and says what it
did, or that nothing was needed. ``drop`` and ``reinit`` ask first unless ``--yes``.
``backup``/``restore`` use our engine-neutral JSON-lines format (docs/database.md);
a restore is one transaction.
"""

from __future__ import annotations

import contextlib
import os
import sys

import click

from kamctl import exitcodes
from kamctl.context import Settings
from kamctl.dbaccess import CommandFailed, database_url, open_database, reported
from kamctl.rows import output_option, render

yes_option = click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")


def _confirm(question: str, yes: bool) -> None:
    """Ask on the terminal (default no); a "no" or end of input aborts with exit 1."""
    if yes:
        return
    if not click.confirm(question, default=False, err=True):
        raise CommandFailed("nothing done", exitcodes.REMOTE_FAULT)


@click.group("db")
def db() -> None:
    """Create, drop, inspect, back up and restore the Kamailio database."""


def _print_report(where: str, report: object) -> None:
    from proxy.storage.admin import SchemaReport

    assert isinstance(report, SchemaReport)
    if report.created_database:
        click.echo(f"created the database {where}")
    if report.created_tables:
        click.echo(
            f"created {len(report.created_tables)} tables: {', '.join(report.created_tables)}"
        )
    if report.added_columns:
        click.echo(f"added columns: {', '.join(report.added_columns)}")
    if not report.changed:
        click.echo(f"nothing to do: {where} already has all Kamailio 5.6 tables we use")
    for problem in report.version_problems:
        click.echo(f"kamctl: warning: {problem} (left as it is)", err=True)


@db.command("create")
@click.pass_obj
def create(settings: Settings) -> None:
    """Create the database and the tables that are missing (safe to repeat)."""
    from proxy.storage import admin

    with reported():
        url = database_url(settings)
        report = admin.create(url)
    _print_report(url.describe(), report)


@db.command("drop")
@yes_option
@click.pass_obj
def drop(settings: Settings, yes: bool) -> None:
    """Delete the whole database (SQLite: the file) with all its data."""
    from proxy.storage import admin

    with reported():
        url = database_url(settings)
        _confirm(f"Drop {url.describe()} and all its data?", yes)
        existed = admin.drop(url)
    if not existed:
        raise CommandFailed(f"{url.describe()} does not exist", exitcodes.REMOTE_FAULT)
    click.echo(f"dropped {url.describe()}")


@db.command("reinit")
@yes_option
@click.pass_obj
def reinit(settings: Settings, yes: bool) -> None:
    """Drop the database and create it again, empty."""
    from proxy.storage import admin

    with reported():
        url = database_url(settings)
        _confirm(f"Drop {url.describe()} with all its data and create it again?", yes)
        admin.drop(url)
        report = admin.create(url)
    click.echo(f"dropped {url.describe()}")
    _print_report(url.describe(), report)


@db.command("show")
@click.argument("table")
@output_option("table", ("table", "text", "json", "csv"))
@click.option("--limit", type=click.IntRange(min=1), help="At most this many rows.")
@click.pass_obj
def show(settings: Settings, table: str, output: str, limit: int | None) -> None:
    """Print the rows of TABLE."""
    from proxy.storage.dialect import check_identifier
    from proxy.storage.errors import QueryError

    with reported():
        try:
            check_identifier(table)
        except QueryError as exc:
            raise CommandFailed(str(exc), exitcodes.USAGE) from None
        with open_database(settings, readonly=True) as database:
            if table not in database.tables():
                raise CommandFailed(f"no table {table} in {database.url.describe()}")
            columns = database.columns(table)
            order = ["id"] if "id" in columns else None
            rows = database.select(table, order_by=order, limit=limit)
    if not rows and output in ("table", "text"):
        click.echo(f"table {table} is empty", err=True)
        return
    click.echo(render(rows, output, columns), nl=False)


@db.command("version")
@output_option("table", ("table", "text", "json", "csv"))
@click.pass_obj
def version(settings: Settings, output: str) -> None:
    """Show the engine and the version table beside what Kamailio 5.6 expects."""
    from proxy.storage.admin import version_report

    with reported(), open_database(settings, readonly=True) as database:
        server = database.server_version()
        present = database.tables()
        if "version" not in present:
            raise CommandFailed(
                f"{database.url.describe()} has no version table: not a Kamailio database "
                "(create one with `kamctl db create`)",
                exitcodes.DATABASE,
            )
        report = version_report(database)
        where = database.url.describe()
    rows = []
    for name, have, want in report:
        if want is None:
            status = "not ours"
        elif name not in present:
            status = "missing"
        elif have == want:
            status = "ok"
        elif have is None:
            status = "no version row"
        else:
            status = "different"
        rows.append({"table": name, "version": have, "expected": want, "status": status})
    if output in ("table", "text"):
        click.echo(f"{where} ({server})")
    click.echo(render(rows, output, ["table", "version", "expected", "status"]), nl=False)


@db.command("backup")
@click.argument("file")
@click.pass_obj
def backup(settings: Settings, file: str) -> None:
    """Write every table to FILE (- for stdout) in kamctl's JSON-lines format."""
    from proxy.storage.backup import dump

    with reported(), open_database(settings, readonly=True) as database:
        if file == "-":
            total = dump(database, sys.stdout)
            sys.stdout.flush()
            click.echo(f"backup of {database.url.describe()}: {total} rows", err=True)
            return
        tmp = f"{file}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as exc:
            raise CommandFailed(f"cannot write {file}: {exc.strerror}") from None
        try:
            with open(fd, "w", encoding="utf-8") as out:
                total = dump(database, out)
            os.replace(tmp, file)
        except BaseException:
            _remove(tmp)
            raise
        where = database.url.describe()
    click.echo(f"backup of {where} written to {file}: {total} rows")


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


@db.command("restore")
@click.argument("file")
@yes_option
@click.pass_obj
def restore(settings: Settings, file: str, yes: bool) -> None:
    """Replace the tables in FILE (- for stdin) with their backed-up rows, all or nothing.

    Tables that are not in the backup are left alone; missing tables of ours are made.
    """
    from proxy.storage import backup as backups

    if file == "-" and not yes:
        raise click.UsageError("reading the backup from stdin needs --yes (no room for a question)")
    with reported():
        try:
            if file == "-":
                tables = backups.read(sys.stdin)
            else:
                with open(file, encoding="utf-8") as source:
                    tables = backups.read(source)
        except OSError as exc:
            raise CommandFailed(f"cannot read {file}: {exc.strerror}") from None
        url = database_url(settings)
        _confirm(
            f"Replace the rows of {len(tables)} tables in {url.describe()} with the backup?", yes
        )
        with open_database(settings, create=True) as database:
            total = backups.restore(database, tables)
            where = database.url.describe()
    click.echo(f"restored {total} rows in {len(tables)} tables into {where}")
