"""Private PostgreSQL and MariaDB servers for the location and auth tests that claim
those engines, each started once per session on first use (tests/support/)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.mysql import MariadbServer
from tests.support.postgres import PostgresServer


def _fresh(server: PostgresServer | MariadbServer) -> Iterator[str]:
    from proxy.storage import admin
    from proxy.storage.url import parse_url

    url = server.url(server.fresh_name("loc"))
    admin.create(parse_url(url))
    yield url
    admin.drop(parse_url(url))


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> Iterator[str]:
    """A new PostgreSQL database with the Kamailio schema (dropped after the test)."""
    yield from _fresh(pg_server)


@pytest.fixture
def my_url(my_server: MariadbServer) -> Iterator[str]:
    """A new MariaDB database with the Kamailio schema (dropped after the test)."""
    yield from _fresh(my_server)


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def location_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                 ) -> str:
    """A database with the schema on each engine we claim."""
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_url"))
    if request.param == "mysql":
        return str(request.getfixturevalue("my_url"))
    from proxy.storage import admin
    from proxy.storage.url import parse_url

    url = f"sqlite:///{tmp_path_factory.mktemp('loc')}/kamailio.sqlite"
    admin.create(parse_url(url))
    return url
