"""open_tcp honours tcp.connect_timeout as it is when the attempt starts.

The peer is a loopback listener whose accept queue is full: the kernel drops further
SYNs, so a connection attempt hangs until our timeout ends it. (The end-to-end check
through kamproxy's SIP transport comes with that transport.)
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import pytest

from proxy.cfg.catalog import new_params
from proxy.transport.connect import ConnectTimeout, open_tcp


@pytest.fixture
def full_listener() -> Iterator[tuple[str, int]]:
    """A loopback listener that never accepts, with its accept queue filled."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    address = listener.getsockname()
    fillers: list[socket.socket] = []
    try:
        for _ in range(16):  # bounded: the queue holds 1-2 with backlog 0
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.settimeout(0.3)
            fillers.append(filler)
            try:
                filler.connect(address)
            except (TimeoutError, BlockingIOError):
                break  # this one was not accepted into the queue: it is full
        else:
            pytest.skip("could not fill the accept queue of a loopback listener")
        yield address
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_attempt_times_out_after_the_current_connect_timeout(
    full_listener: tuple[str, int],
) -> None:
    params = new_params()
    assert params.get("tcp", "connect_timeout") == 10
    params.set("tcp", "connect_timeout", 1, source="test")  # as cfg.seti would
    host, port = full_listener
    started = time.monotonic()
    with pytest.raises(ConnectTimeout) as info:
        asyncio.run(open_tcp(host, port, params))
    # the default (10 s) would not fit in this bound: the new value was used
    assert time.monotonic() - started < 5
    assert info.value.timeout == 1
    assert str(info.value) == (
        f"tcp connect to {host}:{port} timed out after 1 s (tcp.connect_timeout)"
    )


def test_a_refused_connection_is_an_oserror() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: refused
        with pytest.raises(ConnectionRefusedError):
            asyncio.run(open_tcp("127.0.0.1", port, new_params()))


def test_a_listening_peer_connects() -> None:
    async def main() -> bytes:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"hi")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            reader, writer = await open_tcp("127.0.0.1", port, new_params())
            data = await asyncio.wait_for(reader.read(2), 5)
            writer.close()
            return data

    assert asyncio.run(main()) == b"hi"
