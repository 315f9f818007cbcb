"""Making and removing the database: kamdbctl's create, drop and version, engine-neutral.

:func:`ensure_schema` is idempotent: it creates the tables that are missing (with their
``version`` rows), adds our extra ``subscriber`` columns to a table that lacks them (a
database made by Kamailio's kamdbctl), and reports tables whose version differs,
without touching their data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from proxy.storage.database import Database
from proxy.storage.engines import engine_for
from proxy.storage.engines.base import DEFAULT_TIMEOUT
from proxy.storage.schema import TABLES, Table
from proxy.storage.url import DbUrl


@dataclass
class SchemaReport:
    """What :func:`ensure_schema` found and did."""

    created_database: bool = False
    created_tables: list[str] = field(default_factory=list)
    existing_tables: list[str] = field(default_factory=list)
    added_columns: list[str] = field(default_factory=list)  #: "table.column"
    version_problems: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created_database or self.created_tables or self.added_columns)


def ensure_schema(db: Database, tables: tuple[Table, ...] = TABLES) -> SchemaReport:
    """Create what is missing, in one transaction where the engine allows DDL in one."""
    report = SchemaReport()
    with db.transaction():
        present = db.tables()
        for table in tables:
            if table.name in present:
                report.existing_tables.append(table.name)
                _add_missing_columns(db, table, report)
            else:
                for statement in db.dialect.create_table(table):
                    db.execute(statement)
                report.created_tables.append(table.name)
        versions = db.versions()
        for table in tables:
            have = versions.get(table.name)
            if have is None:
                db.insert("version", {"table_name": table.name, "table_version": table.version})
            elif have != table.version:
                report.version_problems.append(
                    f"table {table.name} has version {have}, Kamailio 5.6 uses {table.version}"
                )
    db.forget_columns()
    return report


def _add_missing_columns(db: Database, table: Table, report: SchemaReport) -> None:
    """Add our extra columns (only those: Kamailio's own are never altered)."""
    extras = [c for c in table.columns if c.extra]
    if not extras:
        return
    have = set(db.columns(table.name))
    for col in extras:
        if col.name not in have:
            db.execute(db.dialect.add_column(table.name, col))
            report.added_columns.append(f"{table.name}.{col.name}")


def create_schema(db: Database) -> SchemaReport:
    """The schema in a new (empty) database."""
    return ensure_schema(db)


def create(url: DbUrl, timeout: float = DEFAULT_TIMEOUT) -> SchemaReport:
    """``kamctl db create``: the database (server engines) and every missing table."""
    created = False
    if not url.is_sqlite:
        created = engine_for(url, timeout).create_database()
    else:
        created = not url.file().exists()
    with Database.open(url, create=True, timeout=timeout, schema=False) as db:
        report = ensure_schema(db)
    report.created_database = created
    return report


def drop(url: DbUrl, timeout: float = DEFAULT_TIMEOUT) -> bool:
    """``kamctl db drop``: remove the whole database; False when there was none."""
    return engine_for(url, timeout).drop_database()


def version_report(db: Database) -> list[tuple[str, int | None, int | None]]:
    """(table, version in the database, version we expect) for our tables and any other
    row of the ``version`` table; None where one side has nothing."""
    found = db.versions()
    rows: list[tuple[str, int | None, int | None]] = []
    for table in TABLES:
        rows.append((table.name, found.get(table.name), table.version))
    ours = {t.name for t in TABLES}
    for name in sorted(found):
        if name not in ours:
            rows.append((name, found[name], None))
    return rows
