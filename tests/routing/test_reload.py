"""app_python.reload and kamctl reload on a running kamproxy, under traffic: a good new
script takes over, a broken one is refused with file and line while the old one keeps
serving, no request is lost, and transactions finish with the script they started with."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kamctl.cli import main as kamctl_main
from rpc.errors import RpcError
from tests.support.sipua import SipUA
from tests.tm.conftest import TmProxy, start_proxy

SCRIPT = '''\
VERSION = "{version}"
api = globals()["api"]


def request_route(msg):
    msg.add_header("X-Script", VERSION)
    if msg.method == "INVITE" and msg.get_header("X-Failover"):
        msg.vars["failover"] = msg.get_header("X-Failover")
    api.relay(msg)


def failure_route(msg):
    failover = msg.vars.get("failover")
    if failover and {failover_enabled}:
        api.set_ruri(msg, failover)
        api.relay(msg)
'''


def write(path: Path, version: str, failover: bool = True) -> None:
    path.write_text(SCRIPT.format(version=version, failover_enabled=failover))


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "route.py"
    write(path, "v1")
    return path


@pytest.fixture
def proxy(tmp_path_factory: pytest.TempPathFactory, script: Path) -> Iterator[TmProxy]:
    proxy = start_proxy(tmp_path_factory.mktemp("rl"), script)
    try:
        yield proxy
    finally:
        proxy.proc.stop()


class Load:
    """MESSAGE requests one after another, each sent once (no retransmission), until
    stopped or 2000 were sent; a request without its 200 within 3 s is a failure."""

    def __init__(self, proxy: TmProxy, bob: SipUA) -> None:
        self.proxy = proxy
        self.bob = bob
        self.sent = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with SipUA(name="loader") as alice:
            deadline = time.monotonic() + 30
            while not self._stop.is_set() and self.sent < 2000 and time.monotonic() < deadline:
                request = alice.request("MESSAGE", self.bob.uri("bob"))
                alice.send(request, self.proxy.v4)
                self.sent += 1
                try:
                    reply = alice.wait_response(request, timeout=3)
                except TimeoutError:
                    self.failures.append(f"no reply to {request.call_id}")
                    continue
                if reply.status != 200:
                    self.failures.append(f"{reply.status} {reply.reason}")

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(40)


def script_versions(bob: SipUA) -> list[str]:
    seen: list[str] = []
    for item in list(bob.received):
        version = item.msg.get_header("X-Script") if item.is_request else None
        if version and (not seen or seen[-1] != version):
            seen.append(version)
    return seen


def test_reload_under_traffic(proxy: TmProxy, script: Path) -> None:
    with SipUA(name="bob") as bob:
        bob.answer("MESSAGE", 200)
        with Load(proxy, bob) as load:
            time.sleep(0.3)
            write(script, "v2")
            assert proxy.rpc("app_python.reload") == {"old": 0, "new": 1}
            time.sleep(0.3)
            script.write_text("def request_route(msg):\n    return (\n")
            with pytest.raises(RpcError) as err:
                proxy.rpc("app_python.reload")
            assert f"{script}:2: SyntaxError" in str(err.value)
            time.sleep(0.2)
            script.write_text("import json\nx = json.loads('{')\n"
                              "def request_route(msg):\n    pass\n")
            with pytest.raises(RpcError) as err:
                proxy.rpc("app_python.reload")
            assert f"{script}:2: JSONDecodeError while loading" in str(err.value)
            script.write_text("def reply_route(msg):\n    pass\n")
            with pytest.raises(RpcError, match="no request_route"):
                proxy.rpc("app_python.reload")
            time.sleep(0.2)
            write(script, "v3")
            assert proxy.rpc("app_python.reload") == {"old": 1, "new": 2}
            time.sleep(0.3)
        assert load.sent > 20
        assert load.failures == []
        assert script_versions(bob) == ["v1", "v2", "v3"]
    assert "routing script not reloaded, the old one keeps serving" in proxy.proc.log()


def test_a_transaction_finishes_with_the_script_it_started_with(proxy: TmProxy,
                                                                script: Path) -> None:
    with SipUA(name="alice") as alice, SipUA(name="bob") as bob, SipUA(name="carol") as carol:
        bob.answer("INVITE", 180, 486, delay=1.0)
        carol.answer("INVITE", 200)
        invite = alice.request("INVITE", bob.uri("bob"),
                               headers=[("X-Failover", carol.uri("carol"))])
        alice.send(invite, proxy.v4)
        bob.wait_request("INVITE")
        write(script, "v2", failover=False)
        assert proxy.rpc("app_python.reload")["new"] == 1
        final = alice.wait_response(invite)
        assert final.status == 200 and final.to.tag == carol.tag  # v1's failure_route ran
        assert carol.wait_request("INVITE").msg.get_header("X-Script") == "v1"
        # a new call runs v2, whose failure_route does not fail over
        bob.answer("INVITE", 486)
        _invite, final = alice.invite(bob.uri("bob"), proxy.v4,
                                      headers=[("X-Failover", carol.uri("carol"))])
        assert final.status == 486


def test_kamctl_reload(proxy: TmProxy, script: Path, capsys: pytest.CaptureFixture[str]) -> None:
    address = f"unix:{proxy.proc.sock}"
    write(script, "v2")
    assert kamctl_main(["-s", address, "reload"]) == 0
    assert capsys.readouterr().out == "routing script reloaded: version 0 -> 1\n"
    script.write_text("def request_route(msg)\n    pass\n")
    assert kamctl_main(["-s", address, "reload"]) != 0
    err = capsys.readouterr().err
    assert f"{script}:1: SyntaxError" in err
    assert proxy.rpc("app_python.api_list")["msize"] > 20


def test_startup_refuses_a_broken_script(tmp_path: Path) -> None:
    import subprocess
    import sys

    bad = tmp_path / "bad.py"
    bad.write_text("def request_route(msg):\n    return (\n")
    check = subprocess.run([sys.executable, "-m", "proxy.main", "-c", "--script", str(bad)],
                           capture_output=True, text=True, timeout=30)
    assert check.returncode == 1
    assert f"routing script {bad}:2: SyntaxError" in check.stderr
    from tests.support.proxy import KamproxyProcess

    proc = KamproxyProcess(tmp_path / "kp", args=["--script", str(bad)])
    with pytest.raises(RuntimeError, match="exited with 1"):
        proc.start(wait=15)
    assert f"cannot start: routing script {bad}:2: SyntaxError" in proc.log()
