"""MySQL and MariaDB through PyMySQL (the ``mysql`` extra), imported only when used."""

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

_UNREACHABLE = {2002, 2003, 2005, 2006, 2013, 2055}
_AUTH = {1045, 1698, 1251}
_MISSING_DB = 1049
_MISSING_TABLE = 1146
_BAD_COLUMN = {1054}
_INTEGRITY = {1062, 1048, 1451, 1452, 1364}
_DATA = {1406, 1264, 1366, 1292}
_LOCKED = {1205, 1213}
_DENIED = {1044, 1142, 1143, 1227}


def _pymysql() -> Any:
    return import_driver("pymysql", "mysql", "MySQL")


class MysqlEngine(Engine):
    name = "mysql"

    @property
    def errors(self) -> tuple[type[BaseException], ...]:
        return (_pymysql().MySQLError,)

    def begin_sql(self) -> str:
        return "START TRANSACTION"

    def _connect_to(self, database: str | None) -> Any:
        pymysql = _pymysql()
        kwargs: dict[str, Any] = {
            "host": self.url.host,
            "port": self.url.port,
            "user": self.url.user or None,
            "password": self.url.password,
            "connect_timeout": max(1, round(self.timeout)),
            "autocommit": True,
            "charset": "utf8mb4",
            # rowcount of an UPDATE: rows matched, not only rows changed (as the others)
            "client_flag": pymysql.constants.CLIENT.FOUND_ROWS,
        }
        if database is not None:
            kwargs["database"] = database
        params = dict(self.url.params)
        if "unix_socket" in params:
            kwargs["unix_socket"] = params.pop("unix_socket")
        kwargs.update(params)
        return pymysql.connect(**kwargs)

    def connect(self, create: bool = False) -> Any:
        return self._connect_to(self.url.database)

    def is_usable(self, conn: Any) -> bool:
        return bool(conn.open)

    def server_version(self, conn: Any) -> str:
        version = str(conn.get_server_info())
        version = version.removeprefix("5.5.5-")  # MariaDB's prefix for old clients
        return ("MariaDB " if "mariadb" in version.lower() else "MySQL ") + version

    def _quoted_db(self) -> str:
        return "`" + self.url.database.replace("`", "``") + "`"

    def _admin(self, statement: str) -> None:
        pymysql = _pymysql()
        try:
            conn = self._connect_to(None)
            try:
                with conn.cursor() as cur:
                    cur.execute(statement)
            finally:
                conn.close()
        except pymysql.MySQLError as exc:
            raise self.map_error(exc) from exc

    def _exists(self) -> bool:
        pymysql = _pymysql()
        try:
            self._connect_to(self.url.database).close()
        except pymysql.MySQLError as exc:
            mapped = self.map_error(exc)
            if isinstance(mapped, DatabaseMissing):
                return False
            raise mapped from exc
        return True

    def create_database(self) -> bool:
        if self._exists():
            return False
        self._admin(f"CREATE DATABASE {self._quoted_db()} CHARACTER SET utf8mb4")
        return True

    def drop_database(self) -> bool:
        if not self._exists():
            return False
        self._admin(f"DROP DATABASE {self._quoted_db()}")
        return True

    def map_error(self, exc: BaseException) -> StorageError:
        where = self.url.describe()
        args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
        code = args[0] if args and isinstance(args[0], int) else 0
        text = str(args[1]) if len(args) > 1 else str(exc)
        if code in _AUTH:
            return AuthFailed(
                f"{where}: the server refused user {self.url.user!r}",
                hint="check the user and password in the database URL",
            )
        if code == _MISSING_DB:
            return DatabaseMissing(
                f"the {where} does not exist", hint="create it with `kamctl db create`"
            )
        if code in _UNREACHABLE or (code == 0 and "connect" in text.lower()):
            return Unreachable(
                f"cannot reach the {where}: {text}",
                hint="is the server running, and are the host and port right?",
            )
        if code == _MISSING_TABLE:
            return MissingTable(
                f"{text} in the {where}",
                hint="create the missing tables with `kamctl db create`",
            )
        if code in _BAD_COLUMN:
            return SchemaError(
                f"{text} in the {where}",
                hint="the table is not Kamailio 5.6's; see `kamctl db version`",
            )
        if code in _INTEGRITY:
            return IntegrityError(text)
        if code in _DATA:
            return DataError(text)
        if code in _LOCKED:
            return Locked(f"{where}: {text}", hint="try again when the other session is done")
        if code in _DENIED:
            return ConnectionFailed(f"{where}: permission denied: {text}")
        return QueryError(f"MySQL error {code}: {text}")
