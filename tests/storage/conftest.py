"""Fixtures of the storage tests: private database servers and per-test databases.

``any_url`` runs a test once per engine we claim (SQLite, PostgreSQL, MariaDB/MySQL),
each time on a new database that already has the schema; ``fresh_url`` gives one that
does not exist yet. The servers start once per session, on first use.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ENGINES = ("sqlite", "postgres", "mysql")


def _fresh(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{tmp_path}/kamailio.sqlite"
    server = request.getfixturevalue("pg_server" if engine == "postgres" else "my_server")
    return str(server.url(server.fresh_name()))


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fresh_url(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL of ``engine`` whose database does not exist yet (dropped after)."""
    url = _fresh(engine, request, tmp_path)
    yield url
    if engine != "sqlite":
        from proxy.storage import admin
        from proxy.storage.url import parse_url

        admin.drop(parse_url(url))


@pytest.fixture
def any_url(fresh_url: str) -> str:
    """A database of each engine with the schema made by ``kamctl db create``'s code."""
    from proxy.storage import admin
    from proxy.storage.url import parse_url

    admin.create(parse_url(fresh_url))
    return fresh_url


@pytest.fixture(params=("postgres", "mysql"))
def server_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with the schema on each server engine (not SQLite)."""
    from proxy.storage import admin
    from proxy.storage.url import parse_url

    url = _fresh(str(request.param), request, tmp_path)
    admin.create(parse_url(url))
    yield url
    admin.drop(parse_url(url))
