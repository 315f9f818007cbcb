"""HttpServer against raw TCP clients on 127.0.0.1, so each test controls the bytes.

Every refusal must come at once with a status and a reason (Kamailio's xhttp leaves
such connections hanging), and the server must answer the next client afterwards.
"""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import pytest

from rpc.server.http import HttpServer
from tests.support.loop import BackgroundLoop
from tests.support.methods import VERSION, make_dispatcher

SHORT = 0.3  # header/body/idle timeouts in tests that wait for them
MAX_BODY = 4096


@dataclass
class Response:
    status: int
    reason: str
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return None if values is None else ", ".join(values)

    def json(self) -> Any:
        return json.loads(self.body)


class Conn:
    """A raw HTTP client connection with a buffered reader."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.file: BinaryIO = self.sock.makefile("rb")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def response(self) -> Response:
        status_line = self.file.readline()
        assert status_line, "connection closed without a response"
        version, status, reason = status_line.decode("latin-1").rstrip("\r\n").split(" ", 2)
        assert version == "HTTP/1.1"
        headers: dict[str, list[str]] = {}
        for _ in range(100):
            line = self.file.readline().decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            headers.setdefault(name.lower(), []).append(value.strip())
        length = int(headers.get("content-length", ["0"])[0])
        body = self.file.read(length) if length else b""
        return Response(int(status), reason, headers, body)

    def closed_by_server(self) -> bool:
        """True when the server closed the connection (EOF) within 5 s."""
        try:
            return self.file.read(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def rpc_body(method: str = "core.version", params: list[Any] | None = None, id: Any = 1) -> bytes:
    doc: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": id}
    if params is not None:
        doc["params"] = params
    return json.dumps(doc).encode()


def post(
    body: bytes, *, path: str = "/RPC", version: str = "HTTP/1.1", headers: str = ""
) -> bytes:
    return (
        f"POST {path} {version}\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{headers}Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def exchange(port: int, data: bytes) -> Response:
    conn = Conn(port)
    try:
        conn.send(data)
        return conn.response()
    finally:
        conn.close()


def assert_alive(port: int) -> None:
    response = exchange(port, post(rpc_body()))
    assert response.status == 200
    assert response.json()["result"] == VERSION


ServerFactory = Callable[..., HttpServer]


@pytest.fixture
def make_server(bg_loop: BackgroundLoop) -> Iterator[ServerFactory]:
    started: list[HttpServer] = []

    def factory(**kwargs: Any) -> HttpServer:
        settings: dict[str, Any] = {"max_body": MAX_BODY, **kwargs}
        server = HttpServer("127.0.0.1", 0, make_dispatcher(), **settings)
        bg_loop.run(server.start())
        started.append(server)
        return server

    yield factory
    for server in started:
        bg_loop.run(server.close())


@pytest.fixture
def server(make_server: ServerFactory) -> HttpServer:
    return make_server()


# -- good requests ----------------------------------------------------------------------


def test_post_rpc(server: HttpServer) -> None:
    assert server.port > 0
    response = exchange(server.port, post(rpc_body(id=5)))
    assert response.status == 200 and response.reason == "OK"
    assert response.header("content-type") == "application/json"
    assert response.header("server") == "kamproxy"
    assert response.header("content-length") == str(len(response.body))
    assert response.body == (
        b'{\n\t"jsonrpc":\t"2.0",\n\t"result":\t"%s",\n\t"id":\t5\n}' % VERSION.encode()
    )


@pytest.mark.parametrize("path", ["/RPC/sub", "/RPC?x=1", "/RPC/a/b?y", "http://127.0.0.1/RPC"])
def test_rpc_sub_paths_and_queries(server: HttpServer, path: str) -> None:
    response = exchange(server.port, post(rpc_body(), path=path))
    assert response.status == 200


def test_fault_status_follows_the_code(server: HttpServer) -> None:
    response = exchange(server.port, post(rpc_body("test.fault", [404, "no such AOR"])))
    assert response.status == 404
    assert response.json()["error"] == {"code": 404, "message": "no such AOR"}
    response = exchange(server.port, post(rpc_body("no.such")))
    assert response.status == 404
    assert response.json()["error"]["code"] == -32601


def test_fault_code_that_http_cannot_carry(server: HttpServer) -> None:
    response = exchange(server.port, post(rpc_body("test.fault", [101, "odd"])))
    assert response.status == 500
    assert response.json()["error"]["code"] == 101


def test_notification_gets_204(server: HttpServer) -> None:
    body = b'{"jsonrpc": "2.0", "method": "core.version"}'
    conn = Conn(server.port)
    try:
        conn.send(post(body) + post(rpc_body(id=2)))
        first = conn.response()
        assert first.status == 204 and first.body == b""
        assert first.header("content-length") is None
        assert conn.response().json()["id"] == 2
    finally:
        conn.close()


def test_keep_alive_two_requests_one_connection(server: HttpServer) -> None:
    conn = Conn(server.port)
    try:
        conn.send(post(rpc_body(id=1)))
        assert conn.response().json()["id"] == 1
        conn.send(post(rpc_body(id=2)))
        second = conn.response()
        assert second.json()["id"] == 2
        assert second.header("connection") is None
    finally:
        conn.close()
    assert server.accepted == 1


def test_pipelined_requests(server: HttpServer) -> None:
    conn = Conn(server.port)
    try:
        conn.send(post(rpc_body(id=1)) + b"\r\n" + post(rpc_body("test.echo", ["x"], id=2)))
        assert conn.response().json()["id"] == 1
        assert conn.response().json()["result"] == ["x"]
    finally:
        conn.close()


def test_connection_close_is_honoured(server: HttpServer) -> None:
    conn = Conn(server.port)
    try:
        conn.send(post(rpc_body(), headers="Connection: close\r\n"))
        response = conn.response()
        assert response.status == 200
        assert response.header("connection") == "close"
        assert conn.closed_by_server()
    finally:
        conn.close()


def test_http_1_0_closes(server: HttpServer) -> None:
    conn = Conn(server.port)
    try:
        conn.send(post(rpc_body(), version="HTTP/1.0"))
        assert conn.response().status == 200
        assert conn.closed_by_server()
    finally:
        conn.close()


def test_http_1_0_keep_alive(server: HttpServer) -> None:
    conn = Conn(server.port)
    try:
        conn.send(post(rpc_body(id=1), version="HTTP/1.0", headers="Connection: keep-alive\r\n"))
        first = conn.response()
        assert first.header("connection") == "keep-alive"
        conn.send(post(rpc_body(id=2), version="HTTP/1.0"))
        assert conn.response().json()["id"] == 2
        assert conn.closed_by_server()
    finally:
        conn.close()


def test_expect_100_continue(server: HttpServer) -> None:
    body = rpc_body(id=911)
    conn = Conn(server.port)
    try:
        head, _, _ = post(body, headers="Expect: 100-continue\r\n").partition(b"\r\n\r\n")
        conn.send(head + b"\r\n\r\n")
        interim = conn.response()
        assert interim.status == 100
        conn.send(body)
        response = conn.response()
        assert response.status == 200 and response.json()["id"] == 911
    finally:
        conn.close()


def test_unknown_expectation(server: HttpServer) -> None:
    response = exchange(server.port, post(rpc_body(), headers="Expect: coffee\r\n"))
    assert response.status == 417
    assert_alive(server.port)


def test_half_closed_client_still_gets_its_reply(server: HttpServer) -> None:
    conn = Conn(server.port)
    try:
        conn.send(post(rpc_body(id=3)))
        conn.sock.shutdown(socket.SHUT_WR)
        assert conn.response().json()["id"] == 3
        assert conn.closed_by_server()
    finally:
        conn.close()
    assert_alive(server.port)


def test_vanished_client(server: HttpServer) -> None:
    conn = Conn(server.port)
    conn.send(post(rpc_body("test.sleep", [0.2])))
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    conn.close()  # reset: the reply has nowhere to go
    time.sleep(0.3)
    assert_alive(server.port)


def test_idle_connection_is_closed_quietly(make_server: ServerFactory) -> None:
    server = make_server(idle_timeout=SHORT)
    conn = Conn(server.port)
    try:
        conn.send(post(rpc_body()))
        assert conn.response().status == 200
        assert conn.closed_by_server()  # no unsolicited 408 on an idle keep-alive
    finally:
        conn.close()


# -- refusals, each answered at once -------------------------------------------------------


BAD_REQUESTS: list[tuple[str, bytes, int, str]] = [
    ("get", b"GET /RPC HTTP/1.1\r\nHost: x\r\n\r\n", 405, "POST"),
    ("other-path", post(rpc_body(), path="/other"), 404, "/other"),
    ("rpc-prefix-only", post(rpc_body(), path="/RPCX"), 404, "/RPCX"),
    ("no-length", b"POST /RPC HTTP/1.1\r\nHost: x\r\n\r\n" + rpc_body(), 411, "Content-Length"),
    (
        "chunked",
        b"POST /RPC HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\n",
        411,
        "chunked",
    ),
    ("bad-length", b"POST /RPC HTTP/1.1\r\nContent-Length: 12a\r\n\r\n", 400, "Content-Length"),
    (
        "two-lengths",
        b"POST /RPC HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        400,
        "Content-Length",
    ),
    ("oversize", b"POST /RPC HTTP/1.1\r\nContent-Length: 5000000\r\n\r\n", 413, "4096"),
    ("tls-hello", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400, "not an HTTP request"),
    ("garbage", b"hello there\r\n\r\n", 400, "request line"),
    ("no-version", b"POST /RPC\r\n\r\n", 400, "request line"),
    ("two-spaces", b"POST  /RPC HTTP/1.1\r\n\r\n", 400, "request line"),
    ("relative-target", b"POST RPC HTTP/1.1\r\n\r\n", 400, "target"),
    ("http-2", b"POST /RPC HTTP/2.0\r\n\r\n", 505, "HTTP/1.1"),
    ("bad-header", b"POST /RPC HTTP/1.1\r\nNo colon here\r\n\r\n", 400, "header"),
    ("space-in-name", b"POST /RPC HTTP/1.1\r\nContent Length: 5\r\n\r\n", 400, "header"),
    ("folded", b"POST /RPC HTTP/1.1\r\nX-A: 1\r\n  folded\r\n\r\n", 400, "folded"),
    ("huge-header", b"POST /RPC HTTP/1.1\r\nX-A: " + b"a" * 20000 + b"\r\n\r\n", 431, "16384"),
    ("big-headers", b"POST /RPC HTTP/1.1\r\n" + b"X-A: %s\r\n" % (b"a" * 999) * 20, 431, "16384"),
    ("too-many-lines", b"POST /RPC HTTP/1.1\r\n" + b"A:\r\n" * 150 + b"\r\n", 431, "100"),
]


@pytest.mark.parametrize(
    ("raw", "status", "says"),
    [case[1:] for case in BAD_REQUESTS],
    ids=[case[0] for case in BAD_REQUESTS],
)
def test_bad_request_is_answered_at_once(
    server: HttpServer, raw: bytes, status: int, says: str
) -> None:
    conn = Conn(server.port)
    try:
        conn.send(raw)
        response = conn.response()
        assert response.status == status, response
        assert response.header("content-type") == "text/plain; charset=utf-8"
        assert response.header("connection") == "close"
        assert says in response.body.decode()
        if status == 405:
            assert response.header("allow") == "POST"
        assert conn.closed_by_server()
    finally:
        conn.close()
    assert_alive(server.port)


def test_head_refusal_has_no_body(server: HttpServer) -> None:
    conn = Conn(server.port)
    try:
        conn.send(b"HEAD /RPC HTTP/1.1\r\nHost: x\r\n\r\n")
        status_and_headers = conn.file.read()  # everything up to the close
    finally:
        conn.close()
    assert status_and_headers.startswith(b"HTTP/1.1 405 Method Not Allowed\r\n")
    assert status_and_headers.endswith(b"\r\n\r\n")


def test_oversize_body_is_not_read(server: HttpServer) -> None:
    """413 comes before the client has sent the body, and the close is clean."""
    conn = Conn(server.port)
    try:
        conn.send(b"POST /RPC HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" + b"x" * 50000)
        assert conn.response().status == 413
    finally:
        conn.close()
    assert_alive(server.port)


def test_empty_body_is_a_parse_error(server: HttpServer) -> None:
    response = exchange(server.port, post(b""))
    assert response.status == 400
    assert response.header("content-type") == "application/json"
    assert response.json()["error"]["code"] == -32700
    assert_alive(server.port)


def test_malformed_json_is_a_parse_error(server: HttpServer) -> None:
    response = exchange(server.port, post(b'{"jsonrpc": "2.0", "method": "core.version"'))
    assert response.status == 400
    assert response.json()["error"]["code"] == -32700


def test_slow_headers_get_408(make_server: ServerFactory) -> None:
    server = make_server(header_timeout=SHORT)
    conn = Conn(server.port)
    try:
        started = time.monotonic()
        conn.send(b"POST /RPC HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-")
        response = conn.response()
        assert response.status == 408
        assert "0.3 s" in response.body.decode()
        assert time.monotonic() - started < 5  # answers, does not hang
        assert conn.closed_by_server()
    finally:
        conn.close()
    assert_alive(server.port)


def test_silent_connection_gets_408(make_server: ServerFactory) -> None:
    server = make_server(header_timeout=SHORT)
    conn = Conn(server.port)
    try:
        assert conn.response().status == 408
        assert conn.closed_by_server()
    finally:
        conn.close()


def test_slow_body_gets_408(make_server: ServerFactory) -> None:
    server = make_server(body_timeout=SHORT)
    conn = Conn(server.port)
    try:
        conn.send(b"POST /RPC HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\"")
        response = conn.response()
        assert response.status == 408
        assert "body" in response.body.decode()
    finally:
        conn.close()
    assert_alive(server.port)


def test_client_half_closing_mid_header(server: HttpServer) -> None:
    conn = Conn(server.port)
    try:
        conn.send(b"POST /RPC HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        conn.sock.shutdown(socket.SHUT_WR)
        response = conn.response()
        assert response.status == 400
        assert "closed" in response.body.decode()
    finally:
        conn.close()
    assert_alive(server.port)


def test_client_half_closing_mid_body(server: HttpServer) -> None:
    conn = Conn(server.port)
    try:
        conn.send(b"POST /RPC HTTP/1.1\r\nContent-Length: 100\r\n\r\n{}")
        conn.sock.shutdown(socket.SHUT_WR)
        response = conn.response()
        assert response.status == 400
        assert "2 of 100" in response.body.decode()
    finally:
        conn.close()
    assert_alive(server.port)


# -- authentication -------------------------------------------------------------------


def basic(user: str, password: str) -> str:
    return "Authorization: Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("auth", "status"),
    [
        ("Authorization: Bearer s3cret\r\n", 200),
        ("Authorization: bearer s3cret\r\n", 200),
        ("Authorization: Bearer wrong\r\n", 401),
        ("Authorization: Bearer s3cret-and-more\r\n", 401),
        ("", 401),
        (basic("admin", "pw") + "\r\n", 401),  # Basic is not configured here
    ],
)
def test_bearer_token(make_server: ServerFactory, auth: str, status: int) -> None:
    server = make_server(token="s3cret")
    response = exchange(server.port, post(rpc_body(), headers=auth))
    assert response.status == status
    if status == 401:
        assert response.headers["www-authenticate"] == ['Bearer realm="kamproxy"']
        assert response.header("content-type") == "text/plain; charset=utf-8"
    else:
        assert response.json()["result"] == VERSION
    assert_alive_with(server.port, "Authorization: Bearer s3cret\r\n")


@pytest.mark.parametrize(
    ("auth", "status"),
    [
        (basic("admin", "pä:ss") + "\r\n", 200),
        (basic("ops", "two") + "\r\n", 200),
        (basic("admin", "wrong") + "\r\n", 401),
        (basic("nobody", "pä:ss") + "\r\n", 401),
        ("Authorization: Basic not-base64!\r\n", 401),
        ("Authorization: Basic " + base64.b64encode(b"no-colon").decode() + "\r\n", 401),
        ("Authorization: Bearer pä:ss\r\n", 401),
        ("", 401),
    ],
)
def test_basic_auth(make_server: ServerFactory, auth: str, status: int) -> None:
    server = make_server(basic_users={"admin": "pä:ss", "ops": "two"})
    response = exchange(server.port, post(rpc_body(), headers=auth))
    assert response.status == status
    if status == 401:
        assert response.headers["www-authenticate"] == ['Basic realm="kamproxy", charset="UTF-8"']


def test_bearer_or_basic(make_server: ServerFactory) -> None:
    server = make_server(token="tok", basic_users={"admin": "pw"})
    for auth in ("Authorization: Bearer tok\r\n", basic("admin", "pw") + "\r\n"):
        assert exchange(server.port, post(rpc_body(), headers=auth)).status == 200
    refused = exchange(server.port, post(rpc_body()))
    assert refused.status == 401
    assert refused.headers["www-authenticate"] == [
        'Bearer realm="kamproxy"',
        'Basic realm="kamproxy", charset="UTF-8"',
    ]
    assert "Bearer" in refused.body.decode() and "Basic" in refused.body.decode()


def test_auth_comes_before_path_and_expect(make_server: ServerFactory) -> None:
    server = make_server(token="tok")
    conn = Conn(server.port)
    try:
        conn.send(b"POST /other HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n")
        assert conn.response().status == 401  # no 100 Continue, no hint about paths
    finally:
        conn.close()


def test_empty_token_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        HttpServer("127.0.0.1", 0, make_dispatcher(), token="")


def assert_alive_with(port: int, auth: str) -> None:
    response = exchange(port, post(rpc_body(), headers=auth))
    assert response.status == 200


# -- life cycle ------------------------------------------------------------------------


def test_close_ends_open_connections(bg_loop: BackgroundLoop) -> None:
    server = HttpServer("127.0.0.1", 0, make_dispatcher())
    bg_loop.run(server.start())
    conn = Conn(server.port)
    try:
        conn.send(post(rpc_body()))
        assert conn.response().status == 200
        bg_loop.run(server.close())
        assert conn.closed_by_server()
    finally:
        conn.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
