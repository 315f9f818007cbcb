"""PostgreSQL through psycopg 3 (the ``postgres`` extra), imported only when used."""

from __future__ import annotations

from typing import Any

from proxy.storage.engines.base import Engine, import_driver
from proxy.storage.errors import (
    AuthFailed,
    ConnectionFailed,
    DatabaseMissing,
    DataError,
    IntegrityError,
    Locked,
    MissingTable,
    QueryError,
    SchemaError,
    StorageError,
    Unreachable,
)

#: The database to connect to when creating or dropping another one.
MAINTENANCE_DB = "postgres"


def _psycopg() -> Any:
    return import_driver("psycopg", "postgres", "PostgreSQL")


class PostgresEngine(Engine):
    name = "postgres"

    @property
    def errors(self) -> tuple[type[BaseException], ...]:
        return (_psycopg().Error,)

    def _connect_to(self, dbname: str) -> Any:
        psycopg = _psycopg()
        kwargs: dict[str, Any] = {
            "host": self.url.host,
            "port": self.url.port,
            "dbname": dbname,
            "connect_timeout": max(1, round(self.timeout)),
            "autocommit": True,
        }
        if self.url.user:
            kwargs["user"] = self.url.user
        if self.url.password:
            kwargs["password"] = self.url.password
        kwargs.update(dict(self.url.params))
        return psycopg.connect(**kwargs)

    def connect(self, create: bool = False) -> Any:
        return self._connect_to(self.url.database)

    def is_usable(self, conn: Any) -> bool:
        return not (conn.closed or conn.broken)

    def server_version(self, conn: Any) -> str:
        number = int(conn.info.server_version)
        return f"PostgreSQL {number // 10000}.{number % 10000}"

    def _admin(self, statement: str) -> None:
        psycopg = _psycopg()
        sql = import_driver("psycopg.sql", "postgres", "PostgreSQL")
        try:
            with self._connect_to(MAINTENANCE_DB) as conn:
                conn.execute(sql.SQL(statement).format(sql.Identifier(self.url.database)))
        except psycopg.Error as exc:
            raise self.map_error(exc) from exc

    def create_database(self) -> bool:
        psycopg = _psycopg()
        try:
            self._connect_to(self.url.database).close()
            return False
        except psycopg.Error as exc:
            mapped = self.map_error(exc)
            if not isinstance(mapped, DatabaseMissing):
                raise mapped from exc
        self._admin("CREATE DATABASE {}")
        return True

    def drop_database(self) -> bool:
        psycopg = _psycopg()
        try:
            self._connect_to(self.url.database).close()
        except psycopg.Error as exc:
            mapped = self.map_error(exc)
            if isinstance(mapped, DatabaseMissing):
                return False
            raise mapped from exc
        self._admin("DROP DATABASE {}")
        return True

    def map_error(self, exc: BaseException) -> StorageError:
        psycopg = _psycopg()
        where = self.url.describe()
        text = str(exc)
        state = getattr(exc, "sqlstate", None) or ""
        diag = getattr(exc, "diag", None)
        primary = getattr(diag, "message_primary", None) or _first_line(text)
        if (
            state in ("28P01", "28000")
            or "password authentication failed" in text
            or (not state and 'role "' in text and "does not exist" in text)
        ):
            return AuthFailed(
                f"{where}: the server refused user {self.url.user!r}",
                hint="check the user and password in the database URL",
            )
        if state == "3D000" or (not state and 'database "' in text and "does not exist" in text):
            return DatabaseMissing(
                f"the {where} does not exist", hint="create it with `kamctl db create`"
            )
        connection_lost = not state and isinstance(
            exc, (psycopg.OperationalError, psycopg.InterfaceError)
        )
        if connection_lost or state.startswith("08") or state in ("57P01", "57P02", "57P03"):
            return Unreachable(
                f"cannot reach the {where}: {_last_line(text)}",
                hint="is the server running, and are the host and port right?",
            )
        if state == "42P01":
            return MissingTable(
                f"{primary} in the {where}",
                hint="create the missing tables with `kamctl db create`",
            )
        if state == "42703":
            return SchemaError(
                f"{primary} in the {where}",
                hint="the table is not Kamailio 5.6's; see `kamctl db version`",
            )
        if state.startswith("23"):
            return IntegrityError(primary)
        if state.startswith("22"):
            return DataError(primary)
        if state in ("55P03", "40P01", "40001", "55006"):
            return Locked(f"{where}: {primary}", hint="try again when the other session is done")
        if state == "42501":
            return ConnectionFailed(f"{where}: permission denied: {primary}")
        return QueryError(f"PostgreSQL error {state or '(no code)'}: {primary}")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().splitlines() if line.strip()] or [text]


def _first_line(text: str) -> str:
    return _lines(text)[0]


def _last_line(text: str) -> str:
    """libpq puts the cause last ("... failed: Connection refused")."""
    lines = [line for line in _lines(text) if not line.startswith("Is the server")]
    return (lines or _lines(text))[-1]
