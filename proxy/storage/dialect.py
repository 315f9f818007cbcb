"""What differs between engines in the SQL text: quoting, placeholders, types, DDL.

Pure code (no driver imports): one :class:`Dialect` per engine, chosen by name. The
types follow Kamailio's own per-engine scripts (SQLite and PostgreSQL: ``INTEGER``,
``SMALLINT``, ``REAL``, ``TIMESTAMP WITHOUT TIME ZONE``; MySQL: ``INT(11)``,
``FLOAT(10,2)``, ``DATETIME``), so a database we create is the one kamdbctl would.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from proxy.storage.errors import QueryError
from proxy.storage.schema import NO_DEFAULT, Column, Default, Index, Table

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}\Z")


def check_identifier(name: str) -> str:
    """``name`` when it is a plain SQL identifier; QueryError otherwise.

    Table and column names cannot be bound parameters, so every one that reaches SQL
    text passes through here (and is quoted as well).
    """
    if not _IDENT.match(name):
        raise QueryError(f"not a valid table or column name: {name!r}")
    return name


def literal(value: Default) -> str:
    """A DEFAULT value as SQL text (only our schema's constants reach this)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        raise TypeError("no boolean defaults in the schema")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no literal for {value!r}")


class Dialect:
    """SQLite's SQL; the other engines override what differs."""

    name = "sqlite"
    placeholder = "?"
    _types = {
        "int": "INTEGER",
        "smallint": "SMALLINT",
        "real": "REAL",
        "timestamp": "TIMESTAMP WITHOUT TIME ZONE",
    }

    def quote(self, name: str) -> str:
        # Not "name": SQLite reads a double-quoted name that is no column as a string
        # literal, so a wrong column would silently match nothing instead of failing.
        return "`" + check_identifier(name) + "`"

    def column_type(self, col: Column) -> str:
        if col.type == "varchar":
            return f"VARCHAR({col.length})"
        return self._types[col.type]

    def id_column(self) -> str:
        return "id INTEGER PRIMARY KEY NOT NULL"

    def column_sql(self, col: Column) -> str:
        if col.type == "id":
            return self.id_column()
        parts = [self.quote(col.name), self.column_type(col)]
        if col.default is not NO_DEFAULT:
            parts.append("DEFAULT " + literal(col.default))
        if not col.nullable:
            parts.append("NOT NULL")
        return " ".join(parts)

    def index_name(self, table: Table, index: Index) -> str:
        return index.name

    def _columns(self, names: Iterable[str]) -> str:
        return ", ".join(self.quote(n) for n in names)

    def create_table(self, table: Table) -> list[str]:
        """``CREATE TABLE`` (unique indexes as named constraints) and ``CREATE INDEX``."""
        lines = [self.column_sql(c) for c in table.columns]
        for index in table.indexes:
            if index.unique:
                lines.append(
                    f"CONSTRAINT {self.quote(self.index_name(table, index))} "
                    f"UNIQUE ({self._columns(index.columns)})"
                )
        body = ",\n    ".join(lines)
        statements = [
            f"CREATE TABLE {self.quote(table.name)} (\n    {body}\n){self.table_suffix()}"
        ]
        for index in table.indexes:
            if not index.unique:
                statements.append(
                    f"CREATE INDEX {self.quote(self.index_name(table, index))} "
                    f"ON {self.quote(table.name)} ({self._columns(index.columns)})"
                )
        return statements

    def add_column(self, table: str, col: Column) -> str:
        return f"ALTER TABLE {self.quote(table)} ADD COLUMN {self.column_sql(col)}"

    def table_suffix(self) -> str:
        return ""

    def drop_table(self, name: str) -> str:
        return f"DROP TABLE IF EXISTS {self.quote(name)}"

    def like(self) -> str:
        """The operator of a LIKE that ignores (at least ASCII) case on every engine."""
        return "LIKE"

    def like_escape(self) -> str:
        return " ESCAPE '\\'"

    def list_tables_sql(self) -> str:
        return "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"

    def reset_id_sequence_sql(self, table: str) -> str | None:
        """SQL that moves the table's id counter past its largest id, if needed."""
        return None

    def datetime_value(self, value: datetime) -> object:
        """A timestamp as Kamailio's driver for this engine stores it.

        Kamailio's db_sqlite writes and reads TIMESTAMP columns as Julian day numbers
        (REAL), not text; the server engines have a real timestamp type.
        """
        return value.timestamp() / 86400.0 + 2440587.5

    def datetime_from(self, value: object) -> datetime | None:
        """A stored timestamp (Julian day, text or datetime) as a naive local datetime."""
        if value is None:
            return None
        if isinstance(value, datetime):
            return value
        if isinstance(value, (int, float)):
            # Whole seconds, rounded (as Kamailio turns them into a time_t).
            return datetime.fromtimestamp(round((float(value) - 2440587.5) * 86400.0))
        return datetime.fromisoformat(str(value))


class PostgresDialect(Dialect):
    name = "postgres"
    placeholder = "%s"

    def quote(self, name: str) -> str:
        return '"' + check_identifier(name) + '"'

    def id_column(self) -> str:
        return "id SERIAL PRIMARY KEY NOT NULL"

    def like(self) -> str:
        return "ILIKE"

    def list_tables_sql(self) -> str:
        return (
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )

    def reset_id_sequence_sql(self, table: str) -> str | None:
        # The name is checked by quote(); pg_get_serial_sequence wants it as text.
        self.quote(table)
        return (
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {self.quote(table)}), 0) + 1, false)"
        )

    def datetime_value(self, value: datetime) -> object:
        return value.replace(microsecond=0)


class MysqlDialect(Dialect):
    name = "mysql"
    placeholder = "%s"
    _types = {
        "int": "INT(11)",
        "smallint": "SMALLINT(5) UNSIGNED",
        "real": "FLOAT(10,2)",
        "timestamp": "DATETIME",
    }

    def id_column(self) -> str:
        return "`id` INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL"

    def index_name(self, table: Table, index: Index) -> str:
        # Kamailio's MySQL scripts name indexes without the table prefix (they are
        # per table in MySQL).
        prefix = table.name + "_"
        return index.name[len(prefix) :] if index.name.startswith(prefix) else index.name

    def table_suffix(self) -> str:
        return " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"

    def like_escape(self) -> str:
        return " ESCAPE '\\\\'"

    def list_tables_sql(self) -> str:
        return (
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
        )

    def datetime_value(self, value: datetime) -> object:
        return value.replace(microsecond=0)


_DIALECTS: dict[str, Dialect] = {
    "sqlite": Dialect(),
    "postgres": PostgresDialect(),
    "mysql": MysqlDialect(),
}


def dialect_for(engine: str) -> Dialect:
    return _DIALECTS[engine]
