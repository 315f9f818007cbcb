"""A real kamproxy process: its three RPC transports, bad input, life cycle."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rpc.address import default_runtime_dir
from rpc.client import Client, ClientOptions, connect
from rpc.errors import ConnectError, RemoteError
from tests.support.proxy import ROOT, KamproxyProcess

TRANSPORTS = ["unix", "fifo", "http"]


def address(proc: KamproxyProcess, transport: str) -> str:
    return {"unix": f"unix:{proc.sock}", "fifo": f"fifo:{proc.fifo}", "http": proc.http_url}[
        transport
    ]


def client_for(proc: KamproxyProcess, transport: str) -> Client:
    return connect(
        address(proc, transport), ClientOptions(timeout=5, reply_dir=f"{proc.reply_dir}/")
    )


@pytest.fixture(params=TRANSPORTS)
def client(request: pytest.FixtureRequest, kamproxy: KamproxyProcess) -> Iterator[Client]:
    with client_for(kamproxy, request.param) as c:
        yield c


def test_core_methods(client: Client) -> None:
    assert client.call("core.version").startswith("kamproxy ")
    uptime = client.call("core.uptime")
    assert set(uptime) == {"now", "up_since", "uptime"} and uptime["uptime"] >= 0
    psx = client.call("core.psx")
    assert psx[0] == {"IDX": 0, "PID": psx[0]["PID"], "DSC": "main process - attendant"}
    assert {"JSONRPCS FIFO", "JSONRPCS DATAGRAM", "JSONRPCS HTTP"} <= {p["DSC"] for p in psx}
    ps = client.call("core.ps")
    assert ps[1] == "main process - attendant" and len(ps) == 2 * len(psx)
    assert set(client.call("core.info")) == {"version", "id", "compiler", "compiled", "flags"}
    assert client.call("core.echo", "a", 2) == ["a", "2"]


def test_system_methods(client: Client) -> None:
    methods = client.call("system.listMethods")
    assert methods == sorted(methods, key=str.encode)
    assert {"core.version", "system.methodHelp", "cfg.get"} <= set(methods)
    assert client.call("system.methodHelp", "core.uptime") == "Returns uptime of SIP server."
    assert client.call("system.methodSignature", "core.kill") == [["none", "int"]]


def test_unknown_method_and_bad_params(client: Client) -> None:
    with pytest.raises(RemoteError) as info:
        client.call("no.such.method")
    assert info.value.code == -32601 and "no.such.method" in info.value.message
    with pytest.raises(RemoteError) as info:
        client.call("core.kill", "now")
    assert info.value.code == -32602 and "must be an integer" in info.value.message


def raw_http(proc: KamproxyProcess, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", proc.http_port), timeout=5) as conn:
        conn.sendall(payload)
        chunks = []
        while True:
            data = conn.recv(65536)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks)


def raw_dgram(proc: KamproxyProcess, tmp: Path, payload: bytes) -> bytes | None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(tmp / "c.sock"))
        sock.settimeout(2)
        sock.sendto(payload, str(proc.sock))
        try:
            return sock.recv(1 << 20)
        except TimeoutError:
            return None


BAD_DOCUMENTS = [
    b'{"jsonrpc":"2.0","method":5,"id":1}',  # crashes Kamailio 5.6
    b'{"jsonrpc":"2.0","method":"core.version","id":1',
    b'[{"jsonrpc":"2.0","method":"core.version","id":1},{"jsonrpc":"2.0","method":"core.uptime","id":2}]',
    b'{"jsonrpc":"2.0","method":"core.echo","params":' + b"[" * 200 + b"]" * 200 + b',"id":1}',
    b'{"jsonrpc":"2.0","method":"core.version","id":' + b"9" * 500 + b"}",
    b'{"jsonrpc":"2.0","method":"core.echo","params":["\xff\xfe"],"id":1}',
    b'{"jsonrpc":2,"method":"core.version","id":1}',
    b"null",
]


@pytest.mark.parametrize("payload", BAD_DOCUMENTS)
def test_bad_input_over_the_socket_never_hurts(
    kamproxy: KamproxyProcess, tmp_path: Path, payload: bytes
) -> None:
    reply = raw_dgram(kamproxy, tmp_path, payload)
    assert reply is not None
    doc = json.loads(reply)
    if isinstance(doc, dict):
        assert "error" in doc
    else:
        assert [r["id"] for r in doc] == [1, 2]
    with client_for(kamproxy, "unix") as c:
        assert c.call("core.version").startswith("kamproxy")


@pytest.mark.parametrize("payload", BAD_DOCUMENTS)
def test_bad_input_over_the_fifo_never_hurts(kamproxy: KamproxyProcess, payload: bytes) -> None:
    fd = os.open(kamproxy.fifo, os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.write(fd, payload + b"\n")
    finally:
        os.close(fd)
    with client_for(kamproxy, "fifo") as c:
        assert c.call("core.version").startswith("kamproxy")
    assert kamproxy.alive()


@pytest.mark.parametrize("payload", BAD_DOCUMENTS)
def test_bad_input_over_http_gets_an_error_at_once(
    kamproxy: KamproxyProcess, payload: bytes
) -> None:
    request = (
        b"POST /RPC HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + f"Content-Length: {len(payload)}\r\n\r\n".encode()
        + payload
    )
    status_line = raw_http(kamproxy, request).split(b"\r\n", 1)[0]
    assert status_line.split()[1] in (b"200", b"400")
    with client_for(kamproxy, "http") as c:
        assert c.call("core.version").startswith("kamproxy")


def test_http_wrong_path_and_method_answered_at_once(kamproxy: KamproxyProcess) -> None:
    wrong_path = raw_http(kamproxy, b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    assert wrong_path.startswith(b"HTTP/1.1 404")
    wrong_method = raw_http(kamproxy, b"GET /RPC HTTP/1.1\r\nHost: x\r\n\r\n")
    assert wrong_method.startswith(b"HTTP/1.1 405")


def test_reply_name_escapes_are_refused(kamproxy: KamproxyProcess, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    os.mkfifo(outside)
    (kamproxy.reply_dir / "link").symlink_to(outside)
    for name in ["../outside", str(outside), "link", ".."]:
        doc = {"jsonrpc": "2.0", "method": "core.version", "id": 1, "reply_name": name}
        fd = os.open(kamproxy.fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.write(fd, json.dumps(doc).encode() + b"\n")
        os.close(fd)
    reader = os.open(outside, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with client_for(kamproxy, "fifo") as c:
            assert c.call("core.version").startswith("kamproxy")
        assert os.read(reader, 4096) == b""  # nothing was written through any of them
    finally:
        os.close(reader)


def test_sigterm_removes_runtime_files(tmp_path: Path) -> None:
    proc = KamproxyProcess(tmp_path).start()
    assert proc.fifo.exists() and proc.sock.exists() and proc.pid_file.exists()
    assert oct(proc.fifo.stat().st_mode & 0o777) == "0o660"
    assert oct(proc.sock.stat().st_mode & 0o777) == "0o660"
    assert proc.stop(signal.SIGTERM) == 0
    assert not proc.fifo.exists() and not proc.sock.exists() and not proc.pid_file.exists()
    assert "kamproxy stopping" in proc.log()


def test_sigint_and_core_kill_stop_cleanly(tmp_path: Path) -> None:
    first = KamproxyProcess(tmp_path / "a").start()
    assert first.stop(signal.SIGINT) == 0
    assert not first.pid_file.exists()
    second = KamproxyProcess(tmp_path / "b").start()
    try:
        with client_for(second, "unix") as c:
            assert c.call("core.kill") == {}
        assert second.proc is not None and second.proc.wait(10) == 0
        assert not second.sock.exists()
    finally:
        second.stop()
    with pytest.raises(ConnectError), client_for(second, "unix") as c:
        c.call("core.version")


def test_second_instance_on_the_same_runtime_dir_is_refused(kamproxy: KamproxyProcess) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "proxy.main", "-Y", str(kamproxy.runtime_dir), "--rpc-http", "off"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=str(ROOT),
    )
    assert done.returncode == 1
    assert f"another kamproxy (pid {kamproxy.proc.pid if kamproxy.proc else '?'})" in done.stderr
    with client_for(kamproxy, "unix") as c:  # the first one is untouched
        assert c.call("core.version").startswith("kamproxy")


def test_stale_files_of_a_killed_instance_are_replaced(tmp_path: Path) -> None:
    first = KamproxyProcess(tmp_path).start()
    first.stop(signal.SIGKILL)
    assert first.fifo.exists() and first.sock.exists()  # left behind
    again = KamproxyProcess(tmp_path).start()
    try:
        with client_for(again, "fifo") as c:
            assert c.call("core.version").startswith("kamproxy")
    finally:
        again.stop()


def test_check_mode(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[rpc]\nhttp = "127.0.0.1:5999"\n')
    bad = tmp_path / "bad.toml"
    bad.write_text('[rpc]\nhttp = "0.0.0.0:5071"\n')
    run = [sys.executable, "-m", "proxy.main", "-c", "-f"]
    ok = subprocess.run([*run, str(good)], capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert ok.returncode == 0 and "valid" in ok.stdout
    no = subprocess.run([*run, str(bad)], capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert no.returncode == 1 and "not a loopback address" in no.stderr
    assert "Traceback" not in no.stderr


def test_http_port_in_use_is_reported(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "proxy.main",
                "-Y",
                str(tmp_path / "run"),
                "--rpc-http",
                f"127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=str(ROOT),
        )
    assert done.returncode == 1
    assert "cannot start" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "run" / "kamproxy.pid").exists()


def test_zero_configuration_client_finds_the_default_proxy(tmp_path: Path) -> None:
    """No flags on either side: both resolve the same default runtime dir."""
    env = dict(os.environ, XDG_RUNTIME_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    env.pop("KAMCTL_RPC", None)
    runtime_dir = default_runtime_dir(env=env)  # /run/kamailio for root
    if (runtime_dir / "kamailio_rpc.sock").exists():
        pytest.fail(f"{runtime_dir} is in use by another proxy; cannot test the default")
    proxy = subprocess.Popen(
        [sys.executable, "-m", "proxy.main", "--rpc-http", "off"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 15
        while not (runtime_dir / "kamailio_rpc.sock").exists():
            assert time.monotonic() < deadline and proxy.poll() is None
            time.sleep(0.05)
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from rpc.client import connect; print(connect().call('core.version'))",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.stdout.startswith("kamproxy"), done.stderr
    finally:
        proxy.terminate()
        proxy.wait(10)
