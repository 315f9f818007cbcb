"""The UNIX datagram transport: DatagramServer and DatagramTransport on real sockets.

Servers run in a background loop; clients are the real transport or raw sockets
(to send what the transport never would: garbage, unbound senders, oversized
datagrams). Privilege tests drop to uid 65534 in a subprocess.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rpc.client import ClientOptions, connect
from rpc.client.dgram import DatagramTransport
from rpc.errors import ConnectError, RemoteError, RpcTimeout, TransportError
from rpc.server.dgram import SEND_BUFFER, DatagramServer
from rpc.server.endpoint import EndpointInUse, FileAccess
from tests.support.loop import BackgroundLoop
from tests.support.methods import VERSION, make_dispatcher

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534


@pytest.fixture
def sock_path(tmp_path: Path) -> str:
    return str(tmp_path / "rpc.sock")


@pytest.fixture
def server(bg_loop: BackgroundLoop, sock_path: str) -> Iterator[DatagramServer]:
    srv = DatagramServer(sock_path, make_dispatcher())
    bg_loop.run(srv.start())
    try:
        yield srv
    finally:
        bg_loop.run(srv.close())


@pytest.fixture
def open_dir() -> Iterator[str]:
    """A directory that uid 65534 may enter (tmp_path's parents are private)."""
    path = tempfile.mkdtemp(prefix="kdg-", dir="/tmp")
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def options(**kwargs: Any) -> ClientOptions:
    return ClientOptions(**{"timeout": 5.0, **kwargs})


def raw_client(bind: bool = True) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.settimeout(5)
    if bind:
        sock.bind(f"\0kamctl-test-{os.getpid()}-{time.monotonic_ns()}")
    return sock


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def logged(caplog: pytest.LogCaptureFixture, text: str) -> Callable[[], bool]:
    return lambda: any(text in record.getMessage() for record in caplog.records)


def largest_datagram() -> int:
    """The send buffer the server gets (the kernel caps what it asks for)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        return probe.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)


def assert_serving(path: str) -> None:
    with connect(f"unix:{path}", options()) as client:
        assert client.call("core.version") == VERSION


# -- round trips ---------------------------------------------------------------------


def test_round_trip(server: DatagramServer, sock_path: str) -> None:
    with connect(f"unix:{sock_path}", options()) as client:
        assert client.address == f"unix:{sock_path}"
        assert client.call("core.version") == VERSION
        assert client.call("test.echo", "a", 2, {"b": None}) == ["a", 2, {"b": None}]
        with pytest.raises(RemoteError) as fault:
            client.call("test.fault", 404, "no such thing")
        assert (fault.value.code, fault.value.message) == (404, "no such thing")


def test_reply_datagram_is_kamailio_pretty_json(server: DatagramServer, sock_path: str) -> None:
    with raw_client() as sock:
        sock.sendto(b'{"jsonrpc": "2.0", "method": "core.version", "id": 1}', sock_path)
        reply = sock.recv(65536)
    assert reply == b'{\n\t"jsonrpc":\t"2.0",\n\t"result":\t"%s",\n\t"id":\t1\n}' % VERSION.encode()


def test_notification_gets_no_reply(server: DatagramServer, sock_path: str) -> None:
    with raw_client() as sock:
        sock.sendto(b'{"jsonrpc": "2.0", "method": "core.version"}', sock_path)
        sock.sendto(b'{"jsonrpc": "2.0", "method": "core.version", "id": 7}', sock_path)
        assert json.loads(sock.recv(65536))["id"] == 7  # the first datagram back is id 7


def test_one_transport_serves_many_calls(server: DatagramServer, sock_path: str) -> None:
    transport = DatagramTransport(sock_path, options())
    try:
        for index in range(20):
            assert transport.call("test.echo", [index], 5.0) == [index]
        address = transport.reply_address
        assert address is not None and address.startswith("@kamctl-")
    finally:
        transport.close()
    with pytest.raises(TransportError, match="closed"):
        transport.call("core.version", None, 5.0)


def test_big_reply_is_received_whole(server: DatagramServer, sock_path: str) -> None:
    size = min(3 << 20, largest_datagram() // 2)
    with connect(f"unix:{sock_path}", options()) as client:
        assert client.call("test.big", size) == "x" * size


def test_reply_socket_file_in_reply_dir(
    server: DatagramServer, sock_path: str, tmp_path: Path
) -> None:
    reply_dir = tmp_path / "replies"
    reply_dir.mkdir()
    gid = os.getgid()
    transport = DatagramTransport(
        sock_path, options(reply_socket_dir=str(reply_dir), reply_mode=0o660, reply_group=gid)
    )
    try:
        assert transport.call("core.version", None, 5.0) == VERSION
        (entry,) = list(reply_dir.iterdir())
        st = entry.lstat()
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o660
        assert st.st_gid == gid
        assert transport.reply_address == str(entry)
        assert transport.call("test.echo", ["again"], 5.0) == ["again"]  # same socket
        assert list(reply_dir.iterdir()) == [entry]
    finally:
        transport.close()
    assert list(reply_dir.iterdir()) == []


def test_reply_dir_that_does_not_exist(
    server: DatagramServer, sock_path: str, tmp_path: Path
) -> None:
    transport = DatagramTransport(sock_path, options(reply_socket_dir=str(tmp_path / "nope")))
    with pytest.raises(ConnectError, match="reply socket directory"):
        transport.call("core.version", None, 5.0)
    transport.close()


# -- the socket file ---------------------------------------------------------------


def test_mode_is_0660_even_with_umask_0(bg_loop: BackgroundLoop, sock_path: str) -> None:
    srv = DatagramServer(sock_path, make_dispatcher())
    old = os.umask(0)
    try:
        bg_loop.run(srv.start())
    finally:
        os.umask(old)
    try:
        st = os.stat(sock_path)
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o660
        assert_serving(sock_path)
    finally:
        bg_loop.run(srv.close())


def test_mode_and_group_as_configured(bg_loop: BackgroundLoop, sock_path: str) -> None:
    access = FileAccess(mode=0o600, group=os.getgid())
    srv = DatagramServer(sock_path, make_dispatcher(), access=access)
    old = os.umask(0o077)
    try:
        bg_loop.run(srv.start())
    finally:
        os.umask(old)
    try:
        st = os.stat(sock_path)
        assert stat.S_IMODE(st.st_mode) == 0o600
        assert st.st_gid == os.getgid()
    finally:
        bg_loop.run(srv.close())


def test_stale_socket_is_replaced(bg_loop: BackgroundLoop, sock_path: str) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as dead:
        dead.bind(sock_path)  # bound, then closed: the file stays, nobody serves it
    with pytest.raises(ConnectError, match="nobody is serving"):
        DatagramTransport(sock_path, options()).call("core.version", None, 5.0)
    srv = DatagramServer(sock_path, make_dispatcher())
    bg_loop.run(srv.start())
    try:
        assert_serving(sock_path)
    finally:
        bg_loop.run(srv.close())


def test_live_socket_is_refused(
    bg_loop: BackgroundLoop, server: DatagramServer, sock_path: str
) -> None:
    second = DatagramServer(sock_path, make_dispatcher())
    with pytest.raises(EndpointInUse):
        bg_loop.run(second.start())
    assert_serving(sock_path)


def test_other_file_is_refused(bg_loop: BackgroundLoop, sock_path: str) -> None:
    Path(sock_path).write_text("precious")
    with pytest.raises(EndpointInUse, match="not a socket"):
        bg_loop.run(DatagramServer(sock_path, make_dispatcher()).start())
    assert Path(sock_path).read_text() == "precious"


def test_close_removes_the_file(bg_loop: BackgroundLoop, sock_path: str) -> None:
    srv = DatagramServer(sock_path, make_dispatcher())
    bg_loop.run(srv.start())
    assert os.path.exists(sock_path)
    bg_loop.run(srv.close())
    assert not os.path.exists(sock_path)
    bg_loop.run(srv.close())  # twice is harmless


def test_close_keeps_a_file_that_is_no_longer_ours(bg_loop: BackgroundLoop, sock_path: str) -> None:
    srv = DatagramServer(sock_path, make_dispatcher())
    bg_loop.run(srv.start())
    os.unlink(sock_path)
    Path(sock_path).write_text("a newer instance's")
    bg_loop.run(srv.close())
    assert Path(sock_path).read_text() == "a newer instance's"


# -- bad requests and hostile clients ----------------------------------------------------


def test_unbound_sender_gets_nothing_and_server_lives(
    server: DatagramServer, sock_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with raw_client(bind=False) as sock:
        sock.sendto(b'{"jsonrpc": "2.0", "method": "core.version", "id": 804}', sock_path)
    assert wait_for(logged(caplog, "unbound socket"))
    assert_serving(sock_path)


def test_malformed_json_gets_a_parse_error(server: DatagramServer, sock_path: str) -> None:
    with raw_client() as sock:
        sock.sendto(b'{"jsonrpc": "2.0", "method": "core.version", "id": ', sock_path)
        reply = json.loads(sock.recv(65536))
    assert reply["error"]["code"] == -32700
    assert reply["id"] is None
    assert_serving(sock_path)


def test_non_string_method_does_not_kill_the_server(server: DatagramServer, sock_path: str) -> None:
    with raw_client() as sock:
        sock.sendto(b'{"jsonrpc": "2.0", "method": 42, "id": 3}', sock_path)
        reply = json.loads(sock.recv(65536))
    assert reply["error"]["code"] == -32600 and reply["id"] == 3
    assert_serving(sock_path)


def test_oversized_request_is_refused(bg_loop: BackgroundLoop, sock_path: str) -> None:
    srv = DatagramServer(sock_path, make_dispatcher(), max_request=1000)
    bg_loop.run(srv.start())
    try:
        with raw_client() as sock:
            sock.sendto(b" " * 1000 + b'{"jsonrpc": "2.0"}', sock_path)
            reply = json.loads(sock.recv(65536))
        assert reply["error"] == {
            "code": -32600,
            "message": "Invalid request: request larger than 1000 bytes",
        }
        with connect(f"unix:{sock_path}", options()) as client:
            with pytest.raises(RemoteError, match="larger than 1000 bytes"):
                client.call("test.echo", "y" * 2000)
            assert client.call("test.echo", "y" * 900) == ["y" * 900]  # just fits
    finally:
        bg_loop.run(srv.close())


def test_reply_too_large_for_a_datagram(
    server: DatagramServer, sock_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    size = largest_datagram() + 1024
    with connect(f"unix:{sock_path}", options()) as client:
        with pytest.raises(RemoteError) as fault:
            client.call("test.big", size)
        assert fault.value.code == -32603
        assert "too large for a datagram" in fault.value.message
        assert "FIFO or HTTP" in fault.value.message
        assert client.call("core.version") == VERSION
    assert logged(caplog, "too large for a datagram")()


def test_late_reply_is_skipped_by_the_next_call(server: DatagramServer, sock_path: str) -> None:
    transport = DatagramTransport(sock_path, options())
    try:
        with pytest.raises(RpcTimeout, match="no reply") as timeout:
            transport.call("test.sleep", [0.3], 0.05)
        assert timeout.value.address == f"unix:{sock_path}"
        # wait until the late reply sits in our socket, then make the next call
        assert transport._sock is not None
        readable, _, _ = select.select([transport._sock], [], [], 5)
        assert readable, "the late reply never came"
        assert transport.call("test.echo", ["after"], 5.0) == ["after"]
    finally:
        transport.close()


def test_vanished_client_is_logged(
    server: DatagramServer, sock_path: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reply_path = str(tmp_path / "gone.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(reply_path)
        sock.sendto(b'{"jsonrpc":"2.0","method":"test.sleep","params":[0.2],"id":1}', sock_path)
    os.unlink(reply_path)
    assert wait_for(logged(caplog, "is gone"))
    assert_serving(sock_path)


# -- what the client says when nothing works -----------------------------------------


def test_missing_socket(sock_path: str) -> None:
    with pytest.raises(ConnectError, match="does not exist") as error:
        DatagramTransport(sock_path, options()).call("core.version", None, 5.0)
    assert error.value.address == f"unix:{sock_path}"
    assert "kamproxy running" in str(error.value)


def test_timeout_names_the_address_and_what_to_check(sock_path: str) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as mute:
        mute.bind(sock_path)  # takes requests, never answers
        transport = DatagramTransport(sock_path, options())
        try:
            with pytest.raises(RpcTimeout) as error:
                transport.call("core.version", None, 0.2)
        finally:
            transport.close()
    text = str(error.value)
    assert sock_path in text and "0.2 s" in text
    assert "network namespace" in text


CLIENT_AS_NOBODY = """
import os, sys
from rpc.client.dgram import DatagramTransport
from rpc.client.base import ClientOptions
os.setgroups([]); os.setgid({uid}); os.setuid({uid})
try:
    DatagramTransport(sys.argv[1], ClientOptions()).call("core.version", None, 2.0)
except Exception as exc:
    print(type(exc).__name__, exc)
else:
    print("no error")
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")
def test_permission_denied_on_the_server_socket(bg_loop: BackgroundLoop, open_dir: str) -> None:
    path = os.path.join(open_dir, "rpc.sock")
    srv = DatagramServer(path, make_dispatcher())  # 0660 root:root
    bg_loop.run(srv.start())
    try:
        script = CLIENT_AS_NOBODY.format(uid=NOBODY)
        done = subprocess.run(
            [sys.executable, "-c", script, path],
            capture_output=True, text=True, timeout=30, cwd=REPO,
        )
    finally:
        bg_loop.run(srv.close())
    assert done.stdout.startswith("RpcPermissionError permission denied on RPC socket"), done
    assert "group" in done.stdout


SERVER_AS_NOBODY = """
import asyncio, logging, os, sys
from rpc.server.dgram import DatagramServer
from tests.support.methods import make_dispatcher
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

async def main() -> None:
    dispatcher = make_dispatcher()
    await dispatcher.handle(b'{{"jsonrpc":"2.0","method":"core.version","id":0}}')  # warm up
    server = DatagramServer(sys.argv[1], dispatcher)
    await server.start()
    os.setgroups([]); os.setgid({uid}); os.setuid({uid})
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    stdin_closed = loop.create_future()
    loop.add_reader(0, lambda: stdin_closed.done() or stdin_closed.set_result(None))
    await asyncio.wait_for(stdin_closed, 30)
    await server.close()

asyncio.run(main())
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")
def test_reply_socket_the_server_may_not_write(open_dir: str) -> None:
    """kamcli issue #4: the server logs why, the client's timeout says what to check."""
    path = os.path.join(open_dir, "rpc.sock")
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER_AS_NOBODY.format(uid=NOBODY), path],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=REPO,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        private = DatagramTransport(path, options(reply_socket_dir=open_dir, reply_mode=0o600))
        with pytest.raises(RpcTimeout) as error:
            private.call("core.version", None, 0.5)
        private.close()
        assert "may its user write the reply socket" in str(error.value)
        shared = DatagramTransport(path, options(reply_socket_dir=open_dir, reply_mode=0o666))
        assert shared.call("core.version", None, 5.0) == VERSION  # the mode was the cause
        shared.close()
    finally:
        _, stderr = proc.communicate(input="", timeout=30)
    assert proc.returncode == 0, stderr
    assert "permission denied sending the reply" in stderr
    assert "Traceback" not in stderr

