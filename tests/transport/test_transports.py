"""The transport layer in-process: real sockets on 127.0.0.1 and ::1, a real event loop
in a background thread, plain client sockets on the other side."""

from __future__ import annotations

import queue
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from proxy.cfg.catalog import new_params
from proxy.cfg.params import Params
from proxy.transport import (
    Destination,
    ReceiveInfo,
    SendError,
    SocketInfo,
    Transports,
    parse_listen_list,
)
from tests.sip.samples import SIPSAK_OPTIONS
from tests.support.loop import BackgroundLoop
from tests.support.sipua import require_ipv6

Packet = tuple[bytes, ReceiveInfo]


class Harness:
    """Transports running on a background loop; received packets land in a queue."""

    def __init__(self, bg: BackgroundLoop, listen: list[str], params: Params | None = None) -> None:
        self.bg = bg
        self.params = params or new_params()
        self.transports = Transports(parse_listen_list(listen), self.params)
        self.inbox: queue.Queue[Packet] = queue.Queue()
        self.handler: Callable[[bytes, ReceiveInfo], None] = lambda d, i: self.inbox.put((d, i))
        self.transports.on_packet = lambda d, i: self.handler(d, i)
        bg.run(self.transports.start())

    def socket(self, proto: str, v6: bool = False) -> SocketInfo:
        family = socket.AF_INET6 if v6 else socket.AF_INET
        return next(s for s in self.transports.sockets if s.proto == proto and s.family == family)

    def get(self, timeout: float = 5.0) -> Packet:
        return self.inbox.get(timeout=timeout)

    def send(self, data: bytes, dest: Destination,
             on_error: Callable[[SendError], None] | None = None) -> bool:
        async def call() -> bool:
            return self.transports.send(data, dest, on_error)
        return self.bg.run(call())

    def send_wait(self, data: bytes, dest: Destination) -> None:
        self.bg.run(self.transports.send_wait(data, dest))

    def close(self) -> None:
        self.bg.run(self.transports.close())


@pytest.fixture
def make(bg_loop: BackgroundLoop) -> Iterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def factory(listen: list[str], params: Params | None = None) -> Harness:
        harness = Harness(bg_loop, listen, params)
        made.append(harness)
        return harness

    yield factory
    for harness in made:
        harness.close()


def udp_client(host: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    sock.settimeout(5)
    return sock


def tcp_client(sock_info: SocketInfo) -> socket.socket:
    client = socket.create_connection((sock_info.host, sock_info.port), timeout=5)
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return client


def message(n: int, body: bytes = b"") -> bytes:
    return (f"MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5099;"
            f"branch=z9hG4bK{n}\r\nCall-ID: call-{n}\r\nCSeq: {n} MESSAGE\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def wait_until(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


# -- UDP ----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_udp_receives_with_source_and_socket(make: Callable[..., Harness], host: str) -> None:
    if ":" in host:
        require_ipv6()
    harness = make([f"udp:[{host}]:0" if ":" in host else f"udp:{host}:0"])
    sock = harness.socket("udp", ":" in host)
    with udp_client(host) as client:
        client.sendto(b"\r\n\r\n", (host, sock.port))  # keep-alive: not delivered
        client.sendto(SIPSAK_OPTIONS, (host, sock.port))
        data, info = harness.get()
        assert data == SIPSAK_OPTIONS
        assert (info.proto, info.src_host, info.src_port) == ("udp", host,
                                                             client.getsockname()[1])
        assert info.socket == sock and info.conn_id is None
        assert harness.send(b"pong", info.reply_destination())
        data, source = client.recvfrom(100)
        assert (data, source[0], source[1]) == (b"pong", host, sock.port)


def test_a_failing_handler_does_not_stop_the_socket(make: Callable[..., Harness]) -> None:
    harness = make(["udp:127.0.0.1:0"])
    calls: list[bytes] = []

    def flaky(data: bytes, info: ReceiveInfo) -> None:
        calls.append(data)
        if len(calls) == 1:
            raise RuntimeError("bug in an upper layer")
        harness.inbox.put((data, info))

    harness.handler = flaky
    port = harness.socket("udp").port
    with udp_client() as client:
        client.sendto(b"first", ("127.0.0.1", port))
        client.sendto(b"second", ("127.0.0.1", port))
        assert harness.get()[0] == b"second"


# -- TCP framing ------------------------------------------------------------------------------


def test_tcp_message_split_over_many_segments(make: Callable[..., Harness]) -> None:
    harness = make(["tcp:127.0.0.1:0"])
    data = message(1, b"x" * 300)
    with tcp_client(harness.socket("tcp")) as client:
        for i in range(0, len(data), 7):
            client.sendall(data[i:i + 7])
            time.sleep(0.001)
        got, info = harness.get()
    assert got == data
    assert info.proto == "tcp" and info.conn_id is not None
    assert harness.inbox.empty()


def test_tcp_several_messages_in_one_segment(make: Callable[..., Harness]) -> None:
    harness = make(["tcp:127.0.0.1:0"])
    batch = [message(n, b"body%d" % n) for n in range(1, 6)]
    with tcp_client(harness.socket("tcp")) as client:
        client.sendall(b"".join(batch) + batch[0][:20])  # and the start of a sixth
        got = [harness.get()[0] for _ in batch]
        client.sendall(batch[0][20:])
        assert harness.get()[0] == batch[0]
    assert got == batch


def test_tcp_crlf_ping_gets_a_pong(make: Callable[..., Harness]) -> None:
    harness = make(["tcp:127.0.0.1:0"])
    with tcp_client(harness.socket("tcp")) as client:
        client.sendall(b"\r\n\r\n")
        assert client.recv(10) == b"\r\n"
        client.sendall(b"\r\n\r\n" + message(1))  # ping then a message in one segment
        assert client.recv(10) == b"\r\n"
        assert harness.get()[0] == message(1)


def test_unframeable_stream_closes_only_that_connection(make: Callable[..., Harness]) -> None:
    params = new_params()
    params.set("tcp", "rd_buf_size", 1024)
    harness = make(["tcp:127.0.0.1:0"], params)
    sock = harness.socket("tcp")
    with tcp_client(sock) as bad:
        bad.sendall(b"OPTIONS sip:x SIP/2.0\r\nX: " + b"a" * 3000)
        assert bad.recv(10) == b""  # closed by the proxy
    with tcp_client(sock) as good:
        good.sendall(message(2))
        assert harness.get()[0] == message(2)


# -- sending ------------------------------------------------------------------------------


def test_socket_is_chosen_by_family(make: Callable[..., Harness]) -> None:
    require_ipv6()
    harness = make(["udp:127.0.0.1:0", "udp:[::1]:0"])
    v4, v6 = harness.socket("udp"), harness.socket("udp", v6=True)
    with udp_client("127.0.0.1") as c4, udp_client("::1") as c6:
        assert harness.send(b"to4", Destination("udp", "127.0.0.1", c4.getsockname()[1]))
        assert harness.send(b"to6", Destination("udp", "::1", c6.getsockname()[1]))
        data4, src4 = c4.recvfrom(10)
        data6, src6 = c6.recvfrom(10)
    assert (data4, src4[1]) == (b"to4", v4.port)
    assert (data6, src6[1]) == (b"to6", v6.port)


def test_no_socket_for_the_family(make: Callable[..., Harness]) -> None:
    harness = make(["udp:127.0.0.1:0", "tcp:127.0.0.1:0"])
    assert not harness.send(b"x", Destination("udp", "::1", 5060))
    with pytest.raises(SendError, match="no tcp socket for IPv6"):
        harness.send_wait(b"x", Destination("tcp", "::1", 5060))


def test_reply_goes_back_on_the_same_connection(make: Callable[..., Harness]) -> None:
    harness = make(["tcp:127.0.0.1:0"])
    with tcp_client(harness.socket("tcp")) as client:
        client.sendall(message(1))
        _data, info = harness.get()
        # the address alone would not reach the client's socket: the id must be used
        dest = Destination("tcp", "127.0.0.1", 1, info.conn_id)
        assert harness.send(b"SIP/2.0 200 OK\r\n\r\n", dest)
        assert client.recv(100) == b"SIP/2.0 200 OK\r\n\r\n"


def test_outgoing_connection_is_reused(make: Callable[..., Harness]) -> None:
    harness = make(["tcp:127.0.0.1:0"])
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(5)
        dest = Destination("tcp", "127.0.0.1", server.getsockname()[1])
        assert harness.send(message(1), dest)
        assert harness.send(message(2), dest)  # queued behind the same connection attempt
        conn, peer = server.accept()
        with conn:
            conn.settimeout(5)
            # the local end is the listener's address (any port)
            assert peer[0] == "127.0.0.1"
            got = b""
            while len(got) < len(message(1)) + len(message(2)):
                got += conn.recv(4096)
            assert got == message(1) + message(2)
            harness.send_wait(message(3), dest)
            assert conn.recv(4096) == message(3)
            # a message from the peer on that connection comes up with its id
            conn.sendall(message(4))
            assert harness.get()[0] == message(4)
            server.settimeout(0.3)
            with pytest.raises(TimeoutError):
                server.accept()  # no second connection was opened
    assert harness.transports.counters.connect_success == 1


def test_refused_connection_is_reported(make: Callable[..., Harness]) -> None:
    harness = make(["tcp:127.0.0.1:0"])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    dest = Destination("tcp", "127.0.0.1", closed_port)
    errors: queue.Queue[SendError] = queue.Queue()
    assert harness.send(b"x", dest, errors.put)  # accepted for sending ...
    assert "cannot connect to tcp:127.0.0.1" in str(errors.get(timeout=5))  # ... then failed
    with pytest.raises(SendError, match="cannot connect"):
        harness.send_wait(b"x", dest)
    assert harness.transports.counters.connect_failed == 2


# -- limits, read live -------------------------------------------------------------------------


def test_max_connections_is_read_live(make: Callable[..., Harness]) -> None:
    params = new_params()
    params.set("tcp", "max_connections", 2)
    harness = make(["tcp:127.0.0.1:0"], params)
    sock = harness.socket("tcp")
    first, second = tcp_client(sock), tcp_client(sock)
    try:
        assert wait_until(lambda: len(harness.transports.table) == 2)
        with tcp_client(sock) as third:
            assert third.recv(10) == b""  # refused: closed at once
        assert harness.transports.counters.local_reject == 1
        params.set("tcp", "max_connections", 3)
        with tcp_client(sock) as fourth:
            fourth.sendall(message(1))
            assert harness.get()[0] == message(1)
    finally:
        first.close()
        second.close()


def test_idle_connection_is_closed_after_the_current_lifetime(
    make: Callable[..., Harness],
) -> None:
    params = new_params()
    harness = make(["tcp:127.0.0.1:0"], params)
    sock = harness.socket("tcp")
    with tcp_client(sock) as client:
        client.sendall(message(1))
        harness.get()
        params.set("tcp", "connection_lifetime", 1)  # applies from the next activity
        client.sendall(message(2))
        harness.get()
        client.settimeout(5)
        assert client.recv(10) == b""  # closed by the proxy after about 1 s idle
    assert harness.transports.counters.con_timeout == 1


def test_write_queue_limit_and_send_timeout(make: Callable[..., Harness]) -> None:
    """A peer that stops reading: writes beyond tcp.conn_wq_max fail, and data that
    waits longer than tcp.send_timeout closes the connection."""
    params = new_params()
    params.set("tcp", "conn_wq_max", 1 << 20)
    params.set("tcp", "send_timeout", 1)
    harness = make(["tcp:127.0.0.1:0"], params)
    big = b"x" * (8 << 20)  # more than the kernel buffers take at once
    with socket.create_server(("127.0.0.1", 0)) as server:
        dest = Destination("tcp", "127.0.0.1", server.getsockname()[1])
        harness.send_wait(b"hello", dest)
        conn, _peer = server.accept()
        with conn:  # never read from: the data stays queued in kamproxy
            with pytest.raises(SendError, match="write queue full"):
                harness.send_wait(big, dest)
            assert harness.transports.counters.sendq_full == 1
            assert wait_until(lambda: len(harness.transports.table) == 0)
            harness.send_wait(b"again", dest)  # a new connection
            conn2, _peer = server.accept()
            with conn2:
                params.set("tcp", "conn_wq_max", 0)  # no limit: only the timeout is left
                harness.send_wait(big, dest)
                assert wait_until(lambda: harness.transports.counters.send_timeout == 1)
                assert wait_until(lambda: len(harness.transports.table) == 0)
