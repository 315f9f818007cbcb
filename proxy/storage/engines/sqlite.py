"""SQLite through the standard library: one file, WAL when we create it, a busy timeout."""

from __future__ import annotations

import errno
import os
import re
import sqlite3
from typing import Any

from proxy.storage.engines.base import Engine
from proxy.storage.errors import (
    ConnectionFailed,
    DatabaseMissing,
    IntegrityError,
    Locked,
    MissingTable,
    QueryError,
    SchemaError,
    StorageError,
    Unreachable,
)

#: Mode of a database file we create: the HA1 values must not be world-readable, and
#: the proxy may run as another user of the same group.
FILE_MODE = 0o660
_NO_TABLE = re.compile(r"no such table: (?:main\.)?(\w+)")


class SqliteEngine(Engine):
    name = "sqlite"

    @property
    def errors(self) -> tuple[type[BaseException], ...]:
        return (sqlite3.Error, OSError)

    def begin_sql(self) -> str:
        # Take the write lock at once: a read lock upgraded later can fail with
        # "database is locked" without waiting for the busy timeout.
        return "BEGIN IMMEDIATE"

    def connect(self, create: bool = False) -> Any:
        path = self.url.file()
        if not path.exists():
            if not create:
                raise DatabaseMissing(
                    f"the database {path} does not exist",
                    hint="create it with `kamctl db create` (or check --db / KAMCTL_DB)",
                )
            self._create_file(path)
        conn = sqlite3.connect(
            str(path), timeout=self.timeout, isolation_level=None, check_same_thread=True
        )
        if self.created:
            conn.execute("PRAGMA journal_mode=WAL")
        return conn

    def _create_file(self, path: Any) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            os.close(fd)
        except FileExistsError:
            return  # another process was quicker; use its file
        except OSError as exc:
            raise Unreachable(
                f"cannot create the database {path}: {exc.strerror}",
                hint="check the directory's permissions, or choose another with --db",
            ) from None
        self.created = True

    def server_version(self, conn: Any) -> str:
        return f"SQLite {sqlite3.sqlite_version}"

    def drop_database(self) -> bool:
        path = self.url.file()
        existed = path.exists()
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.unlink(f"{path}{suffix}")
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise ConnectionFailed(f"cannot remove {path}{suffix}: {exc.strerror}") from None
        return existed

    def map_error(self, exc: BaseException) -> StorageError:
        path = self.url.file()
        if isinstance(exc, OSError):
            if exc.errno in (errno.EACCES, errno.EPERM):
                return ConnectionFailed(f"permission denied: {path}")
            return Unreachable(f"cannot use {path}: {exc.strerror or exc}")
        message = str(exc)
        lower = message.lower()
        if isinstance(exc, sqlite3.IntegrityError):
            return IntegrityError(message)
        if "locked" in lower or "busy" in lower:
            return Locked(
                f"the database {path} is locked by another process (waited {self.timeout:g} s)",
                hint="try again when the other writer (an import, a backup) is done",
            )
        match = _NO_TABLE.search(message)
        if match:
            return MissingTable(
                f"table {match.group(1)} does not exist in {path}",
                hint="create the missing tables with `kamctl db create`",
            )
        if "no such column" in lower or "has no column named" in lower:
            return SchemaError(
                f"{message} in {path}",
                hint="the table is not Kamailio 5.6's; see `kamctl db version`",
            )
        if "unable to open database file" in lower:
            return Unreachable(
                f"cannot open the database {path}",
                hint="check that its directory exists and that you may read and write it",
            )
        if "not a database" in lower or "malformed" in lower:
            return ConnectionFailed(f"{path} is not an SQLite database (or it is damaged)")
        if "readonly" in lower or "read-only" in lower:
            return ConnectionFailed(
                f"cannot write the database {path}: read-only",
                hint="check the permissions of the file and of its directory",
            )
        return QueryError(f"SQLite error: {message}")
