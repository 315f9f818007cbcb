"""FifoTransport against a real FifoServer, and against deaf or odd FIFO peers."""

from __future__ import annotations

import json
import os
import select
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rpc.client import connect
from rpc.client.base import ClientOptions
from rpc.client.fifo import FifoTransport, kamailio_safe
from rpc.errors import (
    ConnectError,
    ProtocolError,
    RemoteError,
    RpcPermissionError,
    RpcTimeout,
    TransportError,
)
from rpc.protocol import encode
from rpc.server.fifo import FifoServer
from tests.support.kamailio import KamailioPeer
from tests.support.loop import BackgroundLoop
from tests.support.methods import VERSION, make_dispatcher

NOBODY = 65534


class Setup:
    """Directories for one test: the server FIFO's and the reply directory."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.path = str(tmp_path / "kamailio_rpc.fifo")
        self.reply_dir = tmp_path / "replies"
        self.reply_dir.mkdir()
        self.options = ClientOptions(reply_dir=str(self.reply_dir) + "/")

    def transport(self, **overrides: Any) -> FifoTransport:
        options = ClientOptions(**{"reply_dir": str(self.reply_dir) + "/", **overrides})
        return FifoTransport(self.path, options)

    def leftovers(self) -> list[str]:
        return os.listdir(self.reply_dir)


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


@pytest.fixture
def server(bg_loop: BackgroundLoop, setup: Setup) -> Iterator[FifoServer]:
    srv = FifoServer(
        setup.path, make_dispatcher(), reply_dir=str(setup.reply_dir) + "/", reply_timeout=1.0
    )
    bg_loop.run(srv.start())
    try:
        yield srv
    finally:
        bg_loop.run(srv.close())


class DeafServer:
    """Holds the server FIFO open for reading and never answers."""

    def __init__(self, path: str) -> None:
        os.mkfifo(path)
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)

    def request(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next request written into the FIFO."""
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if poller.poll(50):
                data += os.read(self.fd, 65536)
                if data.endswith(b"\n"):
                    return dict(json.loads(data))
        raise AssertionError(f"no request within {timeout} s: {data!r}")

    def close(self) -> None:
        os.close(self.fd)


@pytest.fixture
def deaf(setup: Setup) -> Iterator[DeafServer]:
    peer = DeafServer(setup.path)
    try:
        yield peer
    finally:
        peer.close()


# -- with a real server -------------------------------------------------------------


def test_round_trip(server: FifoServer, setup: Setup) -> None:
    transport = setup.transport()
    assert transport.address == f"fifo:{setup.path}"
    assert transport.call("core.version", None, 5) == VERSION
    values = ['quote " and backslash \\', "braces {}[]", "ünïcödé", 3, 2.5, None, True]
    assert transport.call("test.echo", values, 5) == values
    assert len(transport.call("test.big", [300_000], 5)) == 300_000  # several reads
    assert setup.leftovers() == []


def test_connect_with_a_fifo_address(server: FifoServer, setup: Setup) -> None:
    with connect(f"fifo:{setup.path}", reply_dir=str(setup.reply_dir)) as client:
        assert client.call("test.echo", "a", 1) == ["a", 1]
    assert setup.leftovers() == []


def test_remote_fault(server: FifoServer, setup: Setup) -> None:
    with pytest.raises(RemoteError) as caught:
        setup.transport().call("test.fault", [404, "no such thing"], 5)
    assert (caught.value.code, caught.value.message) == (404, "no such thing")
    assert setup.leftovers() == []


def test_reply_fifo_mode_and_group(server: FifoServer, setup: Setup) -> None:
    """The reply FIFO exists only during the call: look at it while the server sleeps."""
    group = NOBODY if os.geteuid() == 0 else os.getegid()
    transport = setup.transport(reply_mode=0o622, reply_group=group)
    result: list[Any] = []
    old = os.umask(0o077)
    try:
        caller = threading.Thread(
            target=lambda: result.append(transport.call("test.sleep", [0.5], 5))
        )
        caller.start()
        deadline = time.monotonic() + 3
        while not setup.leftovers() and time.monotonic() < deadline:
            time.sleep(0.01)
        (name,) = setup.leftovers()
        # mkfifo, then chmod and chown: look once they are done (the call is still asleep)
        st = os.lstat(setup.reply_dir / name)
        while st.st_gid != group and time.monotonic() < deadline:
            time.sleep(0.01)
            st = os.lstat(setup.reply_dir / name)
        caller.join(5)
    finally:
        os.umask(old)
    assert name.startswith(f"kamctl_reply_{os.getpid()}_") and "." not in name
    assert stat.S_ISFIFO(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o622
    assert st.st_gid == group
    assert result == ["slept"]
    assert setup.leftovers() == []


def test_closed_transport_refuses_calls(server: FifoServer, setup: Setup) -> None:
    transport = setup.transport()
    transport.close()
    with pytest.raises(TransportError, match="closed"):
        transport.call("core.version", None, 1)


TRICKY = ["back\\", "\\\\", '\\"', 'a\\"}', "\\u005c", "\\n\n", "it's {", "ü\\"]


def test_backslashes_are_spelled_so_kamailio_can_frame_them() -> None:
    for value in TRICKY:
        text = kamailio_safe(encode({"params": [value, {value: value}]}))
        assert b"\\\\" not in text
        assert json.loads(text) == {"params": [value, {value: value}]}


@pytest.mark.kamailio
def test_backslashes_reach_kamailio_and_keep_its_fifo_alive(kamailio_peer: KamailioPeer) -> None:
    transport = FifoTransport(
        str(kamailio_peer.fifo), ClientOptions(reply_dir=f"{kamailio_peer.reply_dir}/")
    )
    for value in TRICKY:
        assert transport.call("core.echo", [value], 3) == [value]
    assert transport.call("core.version", None, 3).startswith("kamailio 5.6")


# -- nobody there -------------------------------------------------------------------------


def test_missing_server_fifo(setup: Setup) -> None:
    with pytest.raises(ConnectError) as caught:
        setup.transport().call("core.version", None, 1)
    assert setup.path in str(caught.value) and "does not exist" in str(caught.value)
    assert "kamproxy running" in str(caught.value)
    assert setup.leftovers() == []


def test_server_fifo_without_reader(setup: Setup) -> None:
    os.mkfifo(setup.path)
    with pytest.raises(ConnectError, match="nobody is serving"):
        setup.transport().call("core.version", None, 1)
    assert setup.leftovers() == []


def test_regular_file_instead_of_fifo_is_not_written(setup: Setup) -> None:
    Path(setup.path).write_text("precious")
    with pytest.raises(ConnectError, match="not a FIFO"):
        setup.transport().call("core.version", None, 1)
    assert Path(setup.path).read_text() == "precious"


def test_missing_reply_directory(setup: Setup) -> None:
    missing = setup.tmp / "no_such_dir"
    transport = FifoTransport(setup.path, ClientOptions(reply_dir=str(missing)))
    with pytest.raises(ConnectError) as caught:
        transport.call("core.version", None, 1)
    assert str(missing) in str(caught.value)


# -- a server that does not (properly) answer ----------------------------------------------


def test_server_that_never_answers(deaf: DeafServer, setup: Setup) -> None:
    transport = setup.transport()
    started = time.monotonic()
    with pytest.raises(RpcTimeout) as caught:
        transport.call("core.version", None, 0.3)
    assert time.monotonic() - started < 2.3
    request = deaf.request()
    assert request["method"] == "core.version"
    assert request["reply_name"] in str(caught.value)  # says where it waited
    assert setup.path in str(caught.value)
    assert setup.leftovers() == []


def test_full_server_fifo_is_bounded_by_connect_timeout(deaf: DeafServer, setup: Setup) -> None:
    filler = os.open(setup.path, os.O_WRONLY | os.O_NONBLOCK)
    try:
        for _ in range(1024):  # 64 KiB pipes fill within a few writes
            try:
                os.write(filler, b" " * 4096)
            except BlockingIOError:
                break
        else:
            pytest.fail("the server FIFO never filled up")
        started = time.monotonic()
        with pytest.raises(RpcTimeout, match="did not take the request"):
            setup.transport(connect_timeout=0.3).call("core.version", None, 5)
        assert time.monotonic() - started < 2.3
    finally:
        os.close(filler)
    assert setup.leftovers() == []


def _answer_slowly(deaf: DeafServer, setup: Setup, parts: list[bytes], delay: float) -> None:
    """Take one request; wait before opening the reply FIFO; write it in pieces."""
    request = deaf.request()
    time.sleep(delay)
    fd = os.open(setup.reply_dir / request["reply_name"], os.O_WRONLY)
    try:
        for part in parts:
            os.write(fd, part.replace(b"ID", str(request["id"]).encode()))
            time.sleep(delay)
    finally:
        os.close(fd)


def test_late_writer_and_split_reply(deaf: DeafServer, setup: Setup) -> None:
    """No writer yet is not EOF; a pause inside the reply is not the end either."""
    parts = [b'{"jsonrpc": "2.0", "res', b'ult": "late", "id": ID}']
    peer = threading.Thread(target=_answer_slowly, args=(deaf, setup, parts, 0.3))
    peer.start()
    try:
        assert setup.transport().call("core.version", None, 5) == "late"
    finally:
        peer.join(5)
    assert setup.leftovers() == []


def test_empty_reply_is_a_protocol_error(deaf: DeafServer, setup: Setup) -> None:
    peer = threading.Thread(target=_answer_slowly, args=(deaf, setup, [], 0.05))
    peer.start()
    try:
        with pytest.raises(ProtocolError, match="empty"):
            setup.transport().call("core.version", None, 5)
    finally:
        peer.join(5)
    assert setup.leftovers() == []


# -- other users and Ctrl-C (subprocesses) ----------------------------------------------

_AS_NOBODY = r"""
import json, os, sys
from rpc.client.base import ClientOptions
from rpc.client.fifo import FifoTransport, kamailio_safe
from rpc.errors import RpcError
workdir, path, reply_dir = sys.argv[1:4]
os.chdir(workdir)
if os.geteuid() == 0:
    try:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    except OSError as exc:
        print(json.dumps({"skip": f"cannot drop privileges: {exc}"}))
        sys.exit(0)
try:
    out = {"result": FifoTransport(path, ClientOptions(reply_dir=reply_dir)).call(
        "core.version", None, 2.0)}
except RpcError as exc:
    out = {"error": type(exc).__name__, "message": str(exc)}
print(json.dumps(out))
"""


def _call_as_unprivileged(workdir: Path, path: str, reply_dir: str) -> dict[str, Any]:
    """Run one call in a subprocess that is not root (root ignores permissions).

    The subprocess starts as whoever runs the tests (so it can load Python), enters
    ``workdir`` and then drops to nobody; paths are relative to ``workdir``.
    """
    proc = subprocess.run(
        [sys.executable, "-c", _AS_NOBODY, str(workdir), path, reply_dir],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = dict(json.loads(proc.stdout))
    if "skip" in out:
        pytest.skip(out["skip"])
    return out


def test_permission_denied_on_server_fifo(server: FifoServer, setup: Setup) -> None:
    os.chmod(setup.tmp, 0o711)  # nobody may look up names here, not list them
    os.chmod(setup.reply_dir, 0o777)
    os.chmod(setup.path, 0)
    out = _call_as_unprivileged(setup.tmp, "kamailio_rpc.fifo", "replies")
    assert out["error"] == RpcPermissionError.__name__, out
    assert "kamailio_rpc.fifo" in out["message"] and "may read and write" in out["message"]
    assert setup.leftovers() == []  # the reply FIFO was made, then removed


def test_reply_directory_not_writable(server: FifoServer, setup: Setup) -> None:
    os.chmod(setup.tmp, 0o711)
    readonly = setup.tmp / "readonly"
    readonly.mkdir(mode=0o555)
    os.chmod(readonly, 0o555)
    out = _call_as_unprivileged(setup.tmp, "kamailio_rpc.fifo", "readonly")
    assert out["error"] == RpcPermissionError.__name__, out
    assert "readonly" in out["message"]


_CALL_FOREVER = r"""
import sys
from rpc.client.base import ClientOptions
from rpc.client.fifo import FifoTransport, kamailio_safe
path, reply_dir = sys.argv[1:3]
FifoTransport(path, ClientOptions(reply_dir=reply_dir)).call("core.version", None, 60)
"""


def test_ctrl_c_removes_the_reply_fifo(deaf: DeafServer, setup: Setup) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _CALL_FOREVER, setup.path, str(setup.reply_dir)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deaf.request(timeout=10)  # the client now waits for its reply
        assert len(setup.leftovers()) == 1
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    assert "KeyboardInterrupt" in err
    assert setup.leftovers() == []
