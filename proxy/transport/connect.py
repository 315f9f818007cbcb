"""Opening outgoing TCP connections with the live ``tcp.connect_timeout``.

The timeout is read when the attempt starts, so a change over RPC
(``cfg.seti tcp connect_timeout 2``) applies to the next connection attempt and
leaves attempts already running alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from proxy.cfg.params import Snapshot


class ConnectTimeout(TimeoutError):
    """The connection was not established within ``tcp.connect_timeout``."""

    def __init__(self, host: str, port: int, timeout: int) -> None:
        super().__init__(
            f"tcp connect to {host}:{port} timed out after {timeout} s (tcp.connect_timeout)"
        )
        self.host = host
        self.port = port
        self.timeout = timeout


async def open_tcp(
    host: str, port: int, params: Snapshot
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to host:port within the current ``tcp.connect_timeout`` seconds.

    Raises :class:`ConnectTimeout` when the peer does not complete the handshake in
    time, or the OSError of a refused or unreachable connection.
    """
    timeout = params.get_int("tcp", "connect_timeout")
    try:
        return await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except TimeoutError:
        raise ConnectTimeout(host, port, timeout) from None


async def connect_tcp(
    host: str,
    port: int,
    params: Snapshot,
    factory: Callable[[], asyncio.Protocol],
    *,
    local_host: str | None = None,
) -> tuple[asyncio.BaseTransport, asyncio.Protocol]:
    """Like :func:`open_tcp`, for a protocol object: ``factory()`` gets the connection.

    ``local_host`` binds the local end to that address (any port), so a connection leaves
    from the address of the listener whose Via it carries.
    """
    timeout = params.get_int("tcp", "connect_timeout")
    loop = asyncio.get_running_loop()
    local_addr = (local_host, 0) if local_host else None
    try:
        return await asyncio.wait_for(
            loop.create_connection(factory, host, port, local_addr=local_addr), timeout
        )
    except TimeoutError:
        raise ConnectTimeout(host, port, timeout) from None
