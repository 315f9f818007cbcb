"""Engine-neutral backup and restore: JSON lines, one table after another.

The format (``kamctl-db-backup`` version 1)::

    {"format": "kamctl-db-backup", "version": 1, "engine": "sqlite", "tables": [...]}
    {"table": "subscriber", "columns": ["id", "username", ...]}
    [1, "alice", ...]                      one JSON array per row, in column order
    ...
    {"end": true, "rows": 1234}            absent: the file is truncated

Values are JSON numbers, strings and null; a timestamp read as a date-time object (the
server engines) is ``{"$dt": "YYYY-MM-DD HH:MM:SS"}``, bytes are ``{"$b64": "..."}``.
Kamailio's SQLite driver keeps timestamps as Julian day numbers; restoring converts
between that and date-time values for the timestamp columns of our schema, so a backup
moves between engines.

Restore runs in one transaction: it makes our tables where they are missing, then
replaces the content of every table in the file (tables not in the file are left
alone). Anything wrong (a bad line, an unknown table or column, a constraint) and
nothing changes. Only MySQL commits DDL implicitly, so there a failed restore may
leave newly created, empty tables behind.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any

from proxy.storage.admin import ensure_schema
from proxy.storage.database import Database
from proxy.storage.errors import BackupError

__all__ = ["FORMAT", "VERSION", "BackupError", "TableDump", "dump", "read", "restore"]
from proxy.storage.schema import BY_NAME, TABLES

FORMAT = "kamctl-db-backup"
VERSION = 1


@dataclass
class TableDump:
    name: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return {"$dt": value.replace(microsecond=0).isoformat(sep=" ")}
    if isinstance(value, (date, time)):
        return {"$dt": value.isoformat()}
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    return str(value)


def _table_order(present: Iterable[str]) -> list[str]:
    names = set(present)
    ours = [t.name for t in TABLES if t.name in names]
    return ours + sorted(names - set(ours))


def dump(db: Database, out: IO[str], progress: Callable[[str, int], None] | None = None) -> int:
    """Write every table of ``db`` to ``out``; the number of rows written."""
    names = _table_order(db.tables())
    header = {"format": FORMAT, "version": VERSION, "engine": db.url.engine, "tables": names}
    out.write(json.dumps(header) + "\n")
    total = 0
    for name in names:
        columns = db.columns(name)
        out.write(json.dumps({"table": name, "columns": columns}) + "\n")
        order = ["id"] if "id" in columns else None
        rows = db.select(name, order_by=order)
        for row in rows:
            out.write(json.dumps([_encode(row[c]) for c in columns], ensure_ascii=False) + "\n")
        total += len(rows)
        if progress is not None:
            progress(name, len(rows))
    out.write(json.dumps({"end": True, "rows": total}) + "\n")
    return total


def read(lines: Iterable[str]) -> list[TableDump]:
    """Parse a whole backup; BackupError (with the line number) when it is not one."""
    tables: list[TableDump] = []
    current: TableDump | None = None
    seen_header = ended = False
    count = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if ended:
            raise BackupError(f"line {number}: data after the end marker")
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BackupError(f"line {number}: not JSON ({exc.msg})") from None
        if not seen_header:
            if not isinstance(item, dict) or item.get("format") != FORMAT:
                raise BackupError(f"line {number}: not a kamctl database backup")
            if item.get("version") != VERSION:
                raise BackupError(f"backup format version {item.get('version')!r} is unknown")
            seen_header = True
        elif isinstance(item, list):
            if current is None:
                raise BackupError(f"line {number}: a row before any table header")
            if len(item) != len(current.columns):
                raise BackupError(
                    f"line {number}: {len(item)} values for {len(current.columns)} columns "
                    f"of {current.name}"
                )
            current.rows.append(item)
            count += 1
        elif isinstance(item, dict) and "table" in item:
            current = _table_header(item, number)
            tables.append(current)
        elif isinstance(item, dict) and item.get("end") is True:
            if item.get("rows") != count:
                raise BackupError(
                    f"line {number}: the end marker counts {item.get('rows')} rows, "
                    f"the file holds {count}"
                )
            ended = True
        else:
            raise BackupError(f"line {number}: unexpected {type(item).__name__}")
    if not seen_header:
        raise BackupError("the backup is empty")
    if not ended:
        raise BackupError("the backup is truncated (no end marker)")
    return tables


def _table_header(item: dict[str, Any], number: int) -> TableDump:
    name, columns = item.get("table"), item.get("columns")
    if not isinstance(name, str) or not isinstance(columns, list) or not columns:
        raise BackupError(f"line {number}: bad table header")
    if not all(isinstance(c, str) for c in columns):
        raise BackupError(f"line {number}: bad column names")
    return TableDump(name, list(columns))


def _decoder(db: Database, table: str, column: str) -> Callable[[Any], Any]:
    """How a value of ``table.column`` is turned into what the target engine stores."""
    known = BY_NAME.get(table)
    is_time = False
    if known is not None:
        try:
            is_time = known.column(column).type == "timestamp"
        except KeyError:
            is_time = False
    dialect = db.dialect

    def decode(value: Any) -> Any:
        if isinstance(value, dict):
            if "$b64" in value:
                return base64.b64decode(value["$b64"])
            if "$dt" in value:
                text = str(value["$dt"])
                if dialect.name == "sqlite" and is_time:
                    return dialect.datetime_value(datetime.fromisoformat(text))
                return text
            raise BackupError(f"{table}.{column}: unknown value {value!r}")
        if is_time and isinstance(value, (int, float)) and dialect.name != "sqlite":
            moment = dialect.datetime_from(value)
            return dialect.datetime_value(moment) if moment is not None else None
        return value

    return decode


def restore(db: Database, tables: list[TableDump]) -> int:
    """Replace the content of each dumped table, all in one transaction; rows written."""
    total = 0
    with db.transaction():
        ensure_schema(db)
        present = db.tables()
        for dumped in tables:
            if dumped.name not in present:
                raise BackupError(
                    f"table {dumped.name} is not in the database and is not one of ours "
                    "(create it first, e.g. with Kamailio's kamdbctl)"
                )
            have = set(db.columns(dumped.name))
            unknown = [c for c in dumped.columns if c not in have]
            if unknown:
                raise BackupError(
                    f"table {dumped.name} has no column {', '.join(unknown)} in this database"
                )
        for dumped in tables:
            total += _replace(db, dumped)
        _restore_missing_versions(db)
    return total


def _replace(db: Database, dumped: TableDump) -> int:
    db.delete(dumped.name, None)
    decoders = [_decoder(db, dumped.name, c) for c in dumped.columns]

    def rows() -> Iterator[dict[str, Any]]:
        for values in dumped.rows:
            yield {c: dec(v) for c, dec, v in zip(dumped.columns, decoders, values, strict=True)}

    written = db.insert_many(dumped.name, rows())
    if "id" in dumped.columns:
        reset = db.dialect.reset_id_sequence_sql(dumped.name)
        if reset:
            db.execute(reset)
    return written


def _restore_missing_versions(db: Database) -> None:
    """Our tables keep a version row even when the backup's version table lacked one."""
    present = db.tables()
    versions = db.versions()
    for table in TABLES:
        if table.name in present and table.name not in versions:
            db.insert("version", {"table_name": table.name, "table_version": table.version})
