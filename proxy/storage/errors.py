"""One exception tree for the database layer.

Each engine maps its driver's exceptions to these classes in one place (the
``map_error`` function of its module), so callers never see a driver exception and
every message says what is wrong and, where there is one, what fixes it. Messages never
contain bound parameter values (they may hold passwords) or URL passwords.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base of every database error."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class UrlError(StorageError):
    """A database URL that cannot be used (syntax, unknown engine)."""


class DriverMissing(StorageError):
    """The Python driver for the URL's engine is not installed."""


class ConnectionFailed(StorageError):
    """The database cannot be reached or opened."""


class Unreachable(ConnectionFailed):
    """No server answers (refused, timeout, unknown host) or the file cannot be opened."""


class AuthFailed(ConnectionFailed):
    """The server refused the user name or password."""


class DatabaseMissing(ConnectionFailed):
    """The server runs, but the named database (or SQLite file) does not exist."""


class SchemaError(StorageError):
    """The database is not (or not entirely) the Kamailio schema we expect."""


class MissingTable(SchemaError):
    """A table we need is not there."""


class VersionMismatch(SchemaError):
    """A table's row in ``version`` differs from the version we were written for."""


class Locked(StorageError):
    """Another process holds a lock longer than the busy timeout."""


class IntegrityError(StorageError):
    """A row breaks a constraint (a duplicate key, a NULL in a NOT NULL column, ...)."""


class DataError(StorageError):
    """A value that the column cannot hold (too long, wrong type)."""


class QueryError(StorageError):
    """Any other failure of a statement."""


class BackupError(StorageError):
    """A backup file that cannot be restored (the message gives the line)."""
