"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.kamailio import KAMAILIO, KamailioPeer
from tests.support.loop import BackgroundLoop
from tests.support.mysql import MariadbServer, require_pymysql
from tests.support.postgres import PostgresServer, require_psycopg
from tests.support.proxy import KamproxyProcess
from tests.support.tools import require


@pytest.fixture
def bg_loop() -> Iterator[BackgroundLoop]:
    loop = BackgroundLoop()
    try:
        yield loop
    finally:
        loop.close()


@pytest.fixture
def kamproxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KamproxyProcess]:
    """A running kamproxy on a private runtime dir (short path: socket names are limited)."""
    base = tmp_path_factory.mktemp("kp")
    proc = KamproxyProcess(base).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def kamailio_peer() -> Iterator[KamailioPeer]:
    """Debian's Kamailio 5.6 with jsonrpcs on FIFO, datagram and HTTP (one per session)."""
    require(KAMAILIO, "Debian package kamailio (apt-get install kamailio)")
    peer = KamailioPeer().start()
    try:
        yield peer
    finally:
        peer.stop()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL server on a free loopback port (one per session)."""
    require_psycopg()
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def my_server() -> Iterator[MariadbServer]:
    """A private MariaDB server on a free loopback port (one per session)."""
    require_pymysql()
    server = MariadbServer().start()
    try:
        yield server
    finally:
        server.stop()
