"""The table-access API: dict rows in and out, explicit transactions, one connection.

Synchronous, for kamctl and for the worker thread behind :mod:`proxy.storage.aio`.
A ``Database`` is not thread-safe: use it from one thread at a time.

Every driver exception becomes a :class:`~proxy.storage.errors.StorageError`. Outside
a transaction, a connection found closed or broken (a server restart) is replaced on
the next call; a statement that failed is never retried (it may have been a write).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from proxy.storage import query
from proxy.storage.dialect import Dialect
from proxy.storage.engines import engine_for
from proxy.storage.engines.base import DEFAULT_TIMEOUT, Engine
from proxy.storage.errors import ConnectionFailed, MissingTable, StorageError, VersionMismatch
from proxy.storage.query import Where
from proxy.storage.url import DbUrl, parse_url

Row = dict[str, Any]
#: Rows per executemany() call in insert_many().
BATCH = 1000


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url: DbUrl = engine.url
        self.dialect: Dialect = engine.dialect
        self._conn: Any = None
        self._depth = 0  # transaction nesting (inner blocks join the outer one)
        self._columns: dict[str, list[str]] = {}

    @classmethod
    def open(
        cls,
        url: str | DbUrl,
        *,
        create: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        schema: bool = True,
    ) -> Database:
        """Connect to ``url``.

        With ``create``, a missing SQLite file is made and (with ``schema``) given the
        schema: the embedded default is "created on first use". Server databases are
        never made here (see :func:`proxy.storage.admin.create`).
        """
        parsed = parse_url(url) if isinstance(url, str) else url
        db = cls(engine_for(parsed, timeout))
        db._connect(create)
        if create and schema and parsed.is_sqlite and (db.engine.created or not db.tables()):
            from proxy.storage.admin import create_schema

            create_schema(db)
        return db

    # -- connection ---------------------------------------------------------------------

    def _connect(self, create: bool = False) -> None:
        try:
            self._conn = self.engine.connect(create)
        except StorageError:
            raise
        except self.engine.errors as exc:
            raise self.engine.map_error(exc) from exc

    def _connection(self) -> Any:
        if self._conn is None or (self._depth == 0 and not self.engine.is_usable(self._conn)):
            self._close_quietly()
            self._connect()
        return self._conn

    def _close_quietly(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # closing a broken connection may fail
                self._conn.close()
            self._conn = None

    def close(self) -> None:
        self._close_quietly()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- statements ---------------------------------------------------------------------

    def _fail(self, exc: BaseException) -> StorageError:
        mapped = self.engine.map_error(exc)
        if isinstance(mapped, ConnectionFailed) and self._depth == 0:
            self._close_quietly()
        return mapped

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement; the rows it returns (empty for statements without)."""
        conn = self._connection()
        try:
            cur = conn.cursor()
            try:
                cur.execute(sql, tuple(params))
                return list(cur.fetchall()) if cur.description else []
            finally:
                cur.close()
        except self.engine.errors as exc:
            raise self._fail(exc) from exc

    def _execute_rowcount(self, sql: str, params: Sequence[Any]) -> int:
        conn = self._connection()
        try:
            cur = conn.cursor()
            try:
                cur.execute(sql, tuple(params))
                return int(cur.rowcount)
            finally:
                cur.close()
        except self.engine.errors as exc:
            raise self._fail(exc) from exc

    def _query_dicts(self, sql: str, params: Sequence[Any]) -> list[Row]:
        conn = self._connection()
        try:
            cur = conn.cursor()
            try:
                cur.execute(sql, tuple(params))
                names = [d[0] for d in cur.description or ()]
                return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
            finally:
                cur.close()
        except self.engine.errors as exc:
            raise self._fail(exc) from exc

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """All statements in the block commit together, or none (on any exception)."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self.execute(self.engine.begin_sql())
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            try:
                self.execute("ROLLBACK")
            except StorageError:
                self._close_quietly()  # the server will roll back the lost session
            raise
        self._depth = 0
        try:
            self.execute("COMMIT")
        except StorageError:
            self._close_quietly()
            raise

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    # -- table access -------------------------------------------------------------------

    def select(
        self,
        table: str,
        where: Where | None = None,
        *,
        columns: Sequence[str] | None = None,
        order_by: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Row]:
        sql, params = query.select(self.dialect, table, where, columns, order_by, limit)
        return self._query_dicts(sql, params)

    def select_one(
        self, table: str, where: Where | None = None, *, columns: Sequence[str] | None = None
    ) -> Row | None:
        rows = self.select(table, where, columns=columns, limit=1)
        return rows[0] if rows else None

    def count(self, table: str, where: Where | None = None) -> int:
        sql, params = query.count(self.dialect, table, where)
        return int(self.execute(sql, params)[0][0])

    def insert(self, table: str, row: Mapping[str, Any]) -> None:
        sql = query.insert(self.dialect, table, list(row))
        self.execute(sql, list(row.values()))

    def insert_many(self, table: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert rows that all have the same keys; the number inserted.

        Not a transaction by itself: wrap it in :meth:`transaction` for all-or-nothing.
        """
        total = 0
        batch: list[tuple[Any, ...]] = []
        columns: list[str] | None = None
        sql = ""
        for row in rows:
            if columns is None:
                columns = list(row)
                sql = query.insert(self.dialect, table, columns)
            elif list(row) != columns:
                raise StorageError(f"insert_many into {table}: rows have different columns")
            batch.append(tuple(row.values()))
            if len(batch) >= BATCH:
                total += self._executemany(sql, batch)
                batch = []
        if batch:
            total += self._executemany(sql, batch)
        return total

    def _executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> int:
        conn = self._connection()
        try:
            cur = conn.cursor()
            try:
                cur.executemany(sql, rows)
            finally:
                cur.close()
        except self.engine.errors as exc:
            raise self._fail(exc) from exc
        return len(rows)

    def update(self, table: str, values: Mapping[str, Any], where: Where | None) -> int:
        """The number of rows changed. ``where=None`` updates every row."""
        sql, params = query.update(self.dialect, table, values, where)
        return self._execute_rowcount(sql, params)

    def delete(self, table: str, where: Where | None) -> int:
        """The number of rows deleted. ``where=None`` deletes every row."""
        sql, params = query.delete(self.dialect, table, where)
        return self._execute_rowcount(sql, params)

    # -- what is there ------------------------------------------------------------------

    def tables(self) -> set[str]:
        return {str(row[0]) for row in self.execute(self.dialect.list_tables_sql())}

    def columns(self, table: str) -> list[str]:
        """The table's column names, in order (cached; MissingTable when absent)."""
        if table not in self._columns:
            conn = self._connection()
            sql = f"SELECT * FROM {self.dialect.quote(table)} WHERE 1 = 0"
            try:
                cur = conn.cursor()
                try:
                    cur.execute(sql)
                    self._columns[table] = [d[0] for d in cur.description or ()]
                    cur.fetchall()
                finally:
                    cur.close()
            except self.engine.errors as exc:
                raise self._fail(exc) from exc
        return list(self._columns[table])

    def forget_columns(self) -> None:
        """Drop the column cache (after DDL)."""
        self._columns.clear()

    def versions(self) -> dict[str, int]:
        """The ``version`` table: table name -> version."""
        rows = self.select("version", columns=["table_name", "table_version"])
        return {str(r["table_name"]): int(r["table_version"]) for r in rows}

    def require(self, *names: str, renamed: Mapping[str, str] | None = None) -> None:
        """Check that our tables ``names`` exist with the versions we were written for.

        ``renamed`` maps a table of ours to the name it has in this database (kamctlrc's
        ``SUB_TABLE`` and friends). Raises MissingTable or VersionMismatch, each with
        the fix in its hint.
        """
        from proxy.storage.schema import table as schema_table

        actual = {name: (renamed or {}).get(name, name) for name in names}
        present = self.tables()
        missing = [a for a in ("version", *actual.values()) if a not in present]
        if missing:
            raise MissingTable(
                f"{self.url.describe()} has no table {', '.join(missing)}",
                hint="create the Kamailio tables with `kamctl db create`",
            )
        found = self.versions()
        for name, real in actual.items():
            want = schema_table(name).version
            have = found.get(real)
            if have != want:
                state = "no row" if have is None else f"version {have}"
                raise VersionMismatch(
                    f"table {real} has {state} in the version table; Kamailio 5.6 "
                    f"(and we) expect {want}",
                    hint=(
                        "upgrade the table with Kamailio's migration SQL for your old "
                        "release, or start afresh with `kamctl db reinit` (deletes all data)"
                    ),
                )

    def server_version(self) -> str:
        return self.engine.server_version(self._connection())
