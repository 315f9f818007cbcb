"""A script that fails at run time: logged with its traceback, answered once (500)."""

from __future__ import annotations

import time
from pathlib import Path

from tests.support.sipua import SipUA
from tests.tm.conftest import start_proxy

SCRIPT = '''\
api = globals()["api"]


def request_route(msg):
    if msg.get_header("X-Reply-First"):
        api.reply(msg, 404, "Not Found")
    if msg.method == "INVITE":
        return later(msg)
    raise RuntimeError("script bug " + msg.method)


async def later(msg):
    raise KeyError("async bug")
'''


def test_exceptions_in_request_route(tmp_path: Path) -> None:
    script = tmp_path / "route.py"
    script.write_text(SCRIPT)
    proxy = start_proxy(tmp_path / "kp", script)
    try:
        with SipUA(name="alice") as alice:
            reply = alice.transact(alice.request("MESSAGE", "sip:x@127.0.0.9"), proxy.v4)
            assert (reply.status, reply.reason) == (500, "Server Internal Error")
            request = alice.request("MESSAGE", "sip:x@127.0.0.9", headers=[("X-Reply-First", "1")])
            assert alice.transact(request, proxy.v4).status == 404
            time.sleep(0.3)
            assert [r.status for r in alice.responses(request)] == [404]  # one reply only
            _invite, final = alice.invite("sip:x@127.0.0.9", proxy.v4)
            assert final.status == 500
        assert proxy.rpc("stats.fetchn", "core:err_requests")["core.err_requests"] == 3
    finally:
        proxy.proc.stop()
    log = proxy.proc.log()
    assert "request_route failed on MESSAGE sip:x@127.0.0.9" in log
    assert "RuntimeError: script bug MESSAGE" in log and "KeyError: 'async bug'" in log
