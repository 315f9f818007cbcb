"""The tcp runtime parameters act on a running kamproxy as soon as cfg.seti sets them."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from proxy.sip import Response
from rpc.client import connect
from tests.support.proxy import KamproxyProcess
from tests.support.sipua import SipUA


@pytest.fixture
def kamproxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KamproxyProcess]:
    """The stateless core alone (--script none): relays anything, answers OPTIONS 200 OK."""
    proc = KamproxyProcess(tmp_path_factory.mktemp("kp"), args=["--script", "none"]).start()
    try:
        yield proc
    finally:
        proc.stop()


def rpc(proc: KamproxyProcess, method: str, *params: Any) -> Any:
    with connect(proc.http_url, timeout=5) as client:
        return client.call(method, *params)


def options(port: int, n: int) -> bytes:
    return (f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKlive{n};rport\r\n"
            f"From: <sip:t@127.0.0.1>;tag={n}\r\nTo: <sip:127.0.0.1:{port}>\r\n"
            f"Call-ID: live-{n}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()


def answered(sock: socket.socket) -> bool:
    data = sock.recv(65536)
    return data.startswith(b"SIP/2.0 200 OK")


def test_connection_lifetime_set_by_rpc(kamproxy: KamproxyProcess) -> None:
    address = ("127.0.0.1", kamproxy.sip_port)
    rpc(kamproxy, "cfg.seti", "tcp", "connection_lifetime", 1)
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(options(kamproxy.sip_port, 1))
        assert answered(sock)
        started = time.monotonic()
        assert sock.recv(10) == b""  # closed by kamproxy once idle
        assert time.monotonic() - started < 5
    assert rpc(kamproxy, "stats.fetchn", "tcp:con_timeout")["tcp.con_timeout"] == 1


def test_max_connections_set_by_rpc(kamproxy: KamproxyProcess) -> None:
    address = ("127.0.0.1", kamproxy.sip_port)
    rpc(kamproxy, "cfg.seti", "tcp", "max_connections", 1)
    with socket.create_connection(address, timeout=5) as first:
        first.sendall(options(kamproxy.sip_port, 2))
        assert answered(first)
        with socket.create_connection(address, timeout=5) as second:
            assert second.recv(10) == b""  # refused: over the limit
        assert rpc(kamproxy, "core.tcp_info")["max_connections"] == 1
        rpc(kamproxy, "cfg.seti", "tcp", "max_connections", 2)
        with socket.create_connection(address, timeout=5) as third:
            third.sendall(options(kamproxy.sip_port, 3))
            assert answered(third)
    stats = rpc(kamproxy, "stats.fetchn", "tcp:")
    assert stats["tcp.local_reject"] == 1 and stats["tcp.passive_open"] == 2


@pytest.fixture
def full_listener() -> Iterator[tuple[str, int]]:
    """A loopback listener that never accepts, its accept queue full: connects hang."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    address = listener.getsockname()
    fillers: list[socket.socket] = []
    try:
        for _ in range(16):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.settimeout(0.3)
            fillers.append(filler)
            try:
                filler.connect(address)
            except (TimeoutError, BlockingIOError):
                break
        else:
            pytest.skip("could not fill the accept queue of a loopback listener")
        yield address
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_connect_timeout_set_by_rpc(kamproxy: KamproxyProcess,
                                    full_listener: tuple[str, int]) -> None:
    """A relay over TCP to a peer that never accepts fails after tcp.connect_timeout
    (1 s here instead of the default 10 s) and the sender gets 477."""
    rpc(kamproxy, "cfg.seti", "tcp", "connect_timeout", 1)
    host, port = full_listener
    with SipUA("127.0.0.1") as alice:
        request = alice.request("MESSAGE", f"sip:bob@{host}:{port};transport=tcp")
        started = time.monotonic()
        reply = alice.transact(request, ("127.0.0.1", kamproxy.sip_port), timeout=8)
        elapsed = time.monotonic() - started
    assert isinstance(reply, Response)
    assert (reply.status, reply.reason) == (477, "Send failed")
    assert elapsed < 8  # well under the default 10 s
    assert rpc(kamproxy, "stats.fetchn", "tcp:connect_failed")["tcp.connect_failed"] == 1
