"""One module per engine; each imports its driver only when a URL needs it."""

from __future__ import annotations

from proxy.storage.engines.base import DEFAULT_TIMEOUT, Engine
from proxy.storage.url import DbUrl


def engine_for(url: DbUrl, timeout: float = DEFAULT_TIMEOUT) -> Engine:
    """The engine object for ``url`` (no connection yet)."""
    if url.engine == "sqlite":
        from proxy.storage.engines.sqlite import SqliteEngine

        return SqliteEngine(url, timeout)
    if url.engine == "postgres":
        from proxy.storage.engines.postgres import PostgresEngine

        return PostgresEngine(url, timeout)
    from proxy.storage.engines.mysql import MysqlEngine

    return MysqlEngine(url, timeout)
