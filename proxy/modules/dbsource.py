"""Where modules read their tables: the configured database, one connection per load.

Each load opens the database in a worker thread, reads, and closes it again. Loads
are rare (start and reload RPCs), so a fresh connection costs nothing that matters,
and it means a database that appears later (``kamctl db create``), a server that was
down at start, or an SQLite file replaced by a restore is simply used on the next
reload. kamproxy never creates or changes the database here: modules only read.
The event loop never waits on the database: only the awaiting RPC call does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from proxy.storage.engines.base import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from proxy.storage.database import Database

T = TypeVar("T")


class DbSource:
    """The database URL the modules read from (``--db``, ``[core] db_url`` or the default)."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = url
        self.timeout = timeout

    def describe(self) -> str:
        """The URL for messages, without a password."""
        from proxy.storage.errors import UrlError
        from proxy.storage.url import parse_url

        try:
            return parse_url(self.url).describe()
        except UrlError:
            return "(a database URL that cannot be parsed)"

    async def read(self, fn: Callable[[Database], T]) -> T:
        """``fn(db)`` on a fresh connection in a worker thread; StorageError on failure."""

        def job() -> T:
            from proxy.storage.database import Database

            with Database.open(self.url, timeout=self.timeout) as db:
                return fn(db)

        return await asyncio.to_thread(job)
