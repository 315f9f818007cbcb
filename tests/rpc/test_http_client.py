"""HttpTransport against our HttpServer and against canned peers on 127.0.0.1.

Canned peers send what Kamailio (or a wrong server) sends: a fault as HTTP status
with a JSON body, a 200 HTML page for a path its route does not handle, silence,
a dropped connection, a TLS certificate we do not trust.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from rpc.client import ClientOptions, connect
from rpc.client.http import HttpTransport
from rpc.errors import (
    AddressError,
    ConnectError,
    ProtocolError,
    RemoteError,
    RpcPermissionError,
    RpcTimeout,
    TransportError,
)
from rpc.server.http import HttpServer
from tests.support.loop import BackgroundLoop
from tests.support.methods import VERSION, make_dispatcher
from tests.support.tools import require

FAST = ClientOptions(timeout=5.0, connect_timeout=2.0)


@pytest.fixture
def make_server(bg_loop: BackgroundLoop) -> Iterator[Callable[..., HttpServer]]:
    started: list[HttpServer] = []

    def factory(**kwargs: Any) -> HttpServer:
        server = HttpServer("127.0.0.1", 0, make_dispatcher(), **kwargs)
        bg_loop.run(server.start())
        started.append(server)
        return server

    yield factory
    for server in started:
        bg_loop.run(server.close())


@pytest.fixture
def server(make_server: Callable[..., HttpServer]) -> HttpServer:
    return make_server()


def url(port: int, path: str = "/RPC", userinfo: str = "") -> str:
    return f"http://{userinfo}127.0.0.1:{port}{path}"


E = TypeVar("E", bound=Exception)


def failure(
    address: str,
    kind: type[E],
    *params: Any,
    timeout: float | None = None,
    method: str = "core.version",
    **overrides: Any,
) -> E:
    """The error that one call raises."""
    with connect(address, FAST, **overrides) as client, pytest.raises(kind) as error:
        client.call(method, *params, timeout=timeout)
    return error.value


# -- a canned peer ------------------------------------------------------------------


Respond = Callable[[dict[str, Any]], bytes | None]


class CannedPeer:
    """A one-thread HTTP peer: answers each request with ``respond(request_doc)``.

    ``respond`` returning None closes the connection without a reply.
    """

    def __init__(self, respond: Respond, tls: ssl.SSLContext | None = None) -> None:
        self.respond = respond
        self.tls = tls
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                self._serve(conn)
            except (OSError, ValueError):
                pass  # a client that gave up, or rejected our certificate
            finally:
                conn.close()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        if self.tls is not None:
            conn = self.tls.wrap_socket(conn, server_side=True)
        reader = conn.makefile("rb")
        length = 0
        for _ in range(100):
            line = reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        reply = self.respond(json.loads(reader.read(length)))
        if reply is not None:
            conn.sendall(reply)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.listener.close()


@pytest.fixture
def canned() -> Iterator[Callable[..., CannedPeer]]:
    peers: list[CannedPeer] = []

    def factory(respond: Respond, tls: ssl.SSLContext | None = None) -> CannedPeer:
        peer = CannedPeer(respond, tls)
        peers.append(peer)
        return peer

    yield factory
    for peer in peers:
        peer.close()


def http_reply(status: str, body: bytes, content_type: str = "application/json") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nSia: SIP/2.0/TCP 127.0.0.1:34786\r\nContent-Type: {content_type}\r\n"
        f"Server: kamailio (5.6.3 (x86_64/linux))\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def kamailio_fault(request: dict[str, Any]) -> bytes:
    body = (
        '{\n\t"jsonrpc":\t"2.0",\n\t"error":\t{\n\t\t"code":\t500,\n'
        f'\t\t"message":\t"Method Not Found"\n\t}},\n\t"id":\t{request["id"]}\n}}'
    )
    return http_reply("500 Method Not Found", body.encode())


# -- against our server ---------------------------------------------------------------


def test_round_trip(server: HttpServer) -> None:
    with connect(url(server.port), FAST) as client:
        assert client.address == url(server.port)
        assert client.call("core.version") == VERSION
        assert client.call("test.echo", "a", 1, [2]) == ["a", 1, [2]]


def test_keep_alive_reuses_one_connection(server: HttpServer) -> None:
    with connect(url(server.port), FAST) as client:
        for index in range(5):
            assert client.call("test.echo", index) == [index]
    assert server.accepted == 1


def test_reconnects_after_the_server_closed_an_idle_connection(
    make_server: Callable[..., HttpServer],
) -> None:
    server = make_server(idle_timeout=0.1)
    with connect(url(server.port), FAST) as client:
        assert client.call("test.echo", 1) == [1]
        deadline = time.monotonic() + 5
        while _established(server.port) and time.monotonic() < deadline:
            time.sleep(0.02)  # until the server has closed the idle connection
        assert not _established(server.port)
        assert client.call("test.echo", 2) == [2]
    assert server.accepted == 2


def _established(port: int) -> int:
    """Server-side ESTABLISHED TCP connections on local ``port`` (from /proc/net/tcp)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == "01":  # ESTABLISHED
                    count += 1
    return count


def test_default_path_is_rpc(server: HttpServer) -> None:
    with connect(f"http://127.0.0.1:{server.port}", FAST) as client:
        assert client.address.endswith("/RPC")
        assert client.call("core.version") == VERSION


def test_remote_fault(server: HttpServer) -> None:
    with connect(url(server.port), FAST) as client:
        with pytest.raises(RemoteError) as fault:
            client.call("test.fault", 500, "boom")
        assert (fault.value.code, fault.value.message) == (500, "boom")
        with pytest.raises(RemoteError) as missing:
            client.call("no.such")
        assert missing.value.code == -32601
        assert client.call("core.version") == VERSION  # the connection is still good


def test_wrong_path(server: HttpServer) -> None:
    text = str(failure(url(server.port, "/jsonrpc"), TransportError))
    assert "HTTP 404 Not Found" in text
    assert "no JSON-RPC service at /jsonrpc" in text  # the server's own explanation
    assert "is the path right?" in text


def test_bearer_token(make_server: Callable[..., HttpServer]) -> None:
    server = make_server(token="s3cret")
    with connect(url(server.port), FAST, token="s3cret") as client:
        assert client.call("core.version") == VERSION
    text = str(failure(url(server.port), RpcPermissionError))
    assert "HTTP 401 Unauthorized" in text and "we sent no credentials" in text
    assert 'Bearer realm="kamproxy"' in text
    wrong = failure(url(server.port), RpcPermissionError, token="wrong")
    assert "we sent a bearer token" in str(wrong)


def test_basic_credentials_in_url_or_options(make_server: Callable[..., HttpServer]) -> None:
    server = make_server(basic_users={"admin": "p@ss:word"})
    with connect(url(server.port, userinfo="admin:p%40ss%3Aword@"), FAST) as client:
        assert client.address == url(server.port)  # no credentials in what we show
        assert client.call("core.version") == VERSION
    with connect(url(server.port), FAST, username="admin", password="p@ss:word") as client:
        assert client.call("core.version") == VERSION
    error = failure(url(server.port, userinfo="admin:nope@"), RpcPermissionError)
    assert "nope" not in str(error)
    assert "Basic" in str(error)


# -- against other peers ----------------------------------------------------------------


def test_kamailio_fault_with_http_status(canned: Callable[..., CannedPeer]) -> None:
    peer = canned(kamailio_fault)
    fault = failure(url(peer.port), RemoteError, method="no.such")
    assert (fault.code, fault.message) == (500, "Method Not Found")


def test_kamailio_wrong_url_page(canned: Callable[..., CannedPeer]) -> None:
    page = b"<html><body>Wrong URL /jsonrpc</body></html>"
    peer = canned(lambda _request: http_reply("200 OK", page, "text/html"))
    text = str(failure(url(peer.port, "/jsonrpc"), ProtocolError))
    assert "not JSON-RPC" in text and "Wrong URL" in text and "path" in text


def test_error_page_without_json(canned: Callable[..., CannedPeer]) -> None:
    peer = canned(lambda _request: http_reply("502 Bad Gateway", b"upstream down", "text/plain"))
    error = failure(url(peer.port), TransportError)
    assert "HTTP 502 Bad Gateway from" in str(error)
    assert ": upstream down" in str(error)


def test_peer_closing_without_reply(canned: Callable[..., CannedPeer]) -> None:
    peer = canned(lambda _request: None)
    assert "closed the connection" in str(failure(url(peer.port), TransportError))


def test_refused_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = failure(url(port), ConnectError)
    assert error.address == url(port)
    assert "kamproxy running" in str(error)


def test_server_that_never_answers() -> None:
    with socket.create_server(("127.0.0.1", 0)) as mute:  # the kernel accepts; nobody reads
        port = mute.getsockname()[1]
        error = failure(url(port), RpcTimeout, timeout=0.3)
    assert "no reply from" in str(error) and "0.3 s" in str(error)


def test_invalid_url() -> None:
    with pytest.raises(AddressError):
        HttpTransport("http://127.0.0.1:notaport/RPC", FAST)
    with pytest.raises(AddressError):
        HttpTransport("ftp://127.0.0.1/RPC", FAST)


# -- TLS -------------------------------------------------------------------------------


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[str, ssl.SSLContext]:
    """A certificate for 127.0.0.1 that no system CA signed, and a server context."""
    openssl = require("openssl", "Debian package openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return str(cert), context


def echo_version(request: dict[str, Any]) -> bytes:
    body = json.dumps({"jsonrpc": "2.0", "result": VERSION, "id": request["id"]}).encode()
    return http_reply("200 OK", body)


def test_untrusted_certificate(
    canned: Callable[..., CannedPeer], self_signed: tuple[str, ssl.SSLContext]
) -> None:
    cert, context = self_signed
    peer = canned(echo_version, tls=context)
    address = f"https://127.0.0.1:{peer.port}/RPC"
    error = str(failure(address, TransportError))
    assert "could not be verified" in error
    assert "--ca" in error and "--insecure" in error
    with connect(address, FAST, verify=cert) as client:
        assert client.call("core.version") == VERSION
    with connect(address, FAST, verify=False) as client:
        assert client.call("core.version") == VERSION


def test_https_to_a_plain_server(server: HttpServer) -> None:
    error = str(failure(f"https://127.0.0.1:{server.port}/RPC", TransportError))
    assert "TLS handshake" in error and "http://" in error


def test_missing_ca_file(tmp_path: Path) -> None:
    with pytest.raises(TransportError, match="cannot load the CA certificates"):
        HttpTransport("https://127.0.0.1:1/RPC", ClientOptions(verify=str(tmp_path / "none.pem")))


def test_other_transports_do_not_import_httpx() -> None:
    code = (
        "import sys, rpc.client, rpc.client.dgram\n"
        "rpc.client.connect('unix:/nonexistent.sock')\n"
        "print('httpx' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.stdout.strip() == "False", done.stderr
