"""What every engine module provides: connecting, mapping driver errors, the database itself."""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from types import ModuleType
from typing import Any

from proxy.storage.dialect import Dialect, dialect_for
from proxy.storage.errors import DriverMissing, StorageError
from proxy.storage.url import DbUrl

#: Default seconds to wait: for a server to answer, or for an SQLite lock.
DEFAULT_TIMEOUT = 5.0


def import_driver(module: str, extra: str, engine: str) -> ModuleType:
    """Import a driver, or raise DriverMissing with the install command."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise DriverMissing(
            f"the {engine} driver ({module}) is not installed",
            hint=f"install it with: pip install 'kamctl[{extra}]'",
        ) from None


class Engine(ABC):
    """One database URL's engine: opens connections and speaks for its driver."""

    name = ""

    def __init__(self, url: DbUrl, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = url
        self.timeout = timeout
        self.dialect: Dialect = dialect_for(url.engine)
        #: True after connect() made a new, empty database (SQLite only).
        self.created = False

    @property
    @abstractmethod
    def errors(self) -> tuple[type[BaseException], ...]:
        """The driver's exception classes, which map_error() understands."""

    @abstractmethod
    def connect(self, create: bool = False) -> Any:
        """A new DB-API connection in autocommit mode (transactions are explicit)."""

    @abstractmethod
    def map_error(self, exc: BaseException) -> StorageError:
        """The StorageError for a driver exception (never showing bound values)."""

    def begin_sql(self) -> str:
        return "BEGIN"

    def is_usable(self, conn: Any) -> bool:
        """False when the connection is closed or broken (a reconnect is due)."""
        return True

    def server_version(self, conn: Any) -> str:
        return ""

    def create_database(self) -> bool:
        """Make the database itself (not its tables); False when it already exists."""
        return False

    def drop_database(self) -> bool:
        """Remove the whole database; False when there was none."""
        raise NotImplementedError
