"""The dispatcher through a real kamproxy: failover in failure_route, OPTIONS probing of
test UAs that stop and start answering, and reloads (good and bad) under SIP traffic."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rpc.errors import RemoteError
from tests.modules.support import insert, make_db
from tests.support.sipua import SipUA
from tests.tm.conftest import TmProxy, start_proxy

#: relays every initial request to dispatcher set 1 (priority order), fails over on a
#: 503 or a timeout, marking the failed destination inactive + probing (Kamailio's
#: ds_mark_dst("ip") + ds_next_dst() in failure_route)
SCRIPT = '''
api = globals()["api"]

def request_route(msg):
    if msg.method == "OPTIONS" and msg.ruri_user is None and api.is_myself(msg.ruri):
        api.reply(msg, 200, "Keepalive")
        return
    if msg.to_tag is not None:
        if api.loose_route(msg):
            api.relay(msg)
        elif msg.method != "ACK":
            api.reply(msg, 404, "Not here")
        return
    if msg.method == "INVITE":
        api.record_route(msg)
    if not api.dispatcher.select(msg, 1, int(api.config.get("alg", 8))):
        api.reply(msg, 404, "No destination")
        return
    api.relay(msg)

def failure_route(msg):
    if msg.canceled or msg.reply.status not in (408, 500, 503):
        return
    api.dispatcher.mark(msg, "ip")
    if api.dispatcher.next(msg):
        api.relay(msg)
'''

#: short timers: a silent destination times out in 1 s, pings every second
CONFIG = """[cfg.tm]
fr_timer = 1000
[cfg.dispatcher]
ds_ping_interval = 1
ds_ping_timeout = 500
"""


def start(base: Path, rows: list[dict[str, Any]], alg: int = 8) -> tuple[TmProxy, str]:
    url = make_db(base, dispatcher=rows)
    script = base / "ds_route.py"
    script.write_text(SCRIPT)
    proxy = start_proxy(base, script, "--db", url,
                        config=f"[routing]\nalg = {alg}\n{CONFIG}")
    return proxy, url


def row(row_id: int, ua: SipUA, priority: int = 0, flags: int = 0) -> dict[str, Any]:
    return {"id": row_id, "setid": 1, "destination": f"sip:{ua.hostport}",
            "flags": flags, "priority": priority}


def flags(proxy: TmProxy) -> dict[str, str]:
    """URI -> FLAGS of set 1 (dispatcher.list)."""
    records = proxy.rpc("dispatcher.list")["RECORDS"]
    (only,) = [r["SET"] for r in records if r["SET"]["ID"] == 1]
    return {t["DEST"]["URI"]: t["DEST"]["FLAGS"] for t in only["TARGETS"]}


def wait_until(check: Callable[[], bool], what: str, timeout: float = 8.0) -> None:
    """Poll ``check`` (bounded) until it holds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.1)


def methods(ua: SipUA) -> list[str]:
    return [i.msg.method for i in ua.received if i.is_request]


@pytest.fixture
def uas() -> Iterator[tuple[SipUA, SipUA, SipUA]]:
    with SipUA(name="gw1") as gw1, SipUA(name="gw2") as gw2, SipUA(name="alice") as alice:
        yield gw1, gw2, alice


@pytest.mark.parametrize("down", ["503", "silent"])
def test_call_fails_over_to_the_second_destination(
        tmp_path: Path, uas: tuple[SipUA, SipUA, SipUA], down: str) -> None:
    gw1, gw2, alice = uas
    if down == "503":
        gw1.answer("INVITE", 503)
    gw2.answer("INVITE", 100, 180, 200)
    gw2.answer("BYE", 200)
    proxy, _url = start(tmp_path, [row(1, gw1, priority=10), row(2, gw2)])
    try:
        gw1_uri, gw2_uri = f"sip:{gw1.hostport}", f"sip:{gw2.hostport}"
        assert flags(proxy) == {gw1_uri: "AX", gw2_uri: "AX"}
        invite, final = alice.invite("sip:service@127.0.0.1", proxy.v4)
        assert final.status == 200, final
        assert "INVITE" in methods(gw1)  # tried first (priority), then failed over
        alice.ack(invite, final, proxy.v4)
        gw2.wait_request("ACK")
        assert alice.bye(invite, final, proxy.v4).status == 200
        assert methods(gw2) == ["INVITE", "ACK", "BYE"]
        # failure_route marked it inactive + probing; it does not answer pings
        assert flags(proxy)[gw1_uri] == "IP"
        # the next call goes to the second destination straight away
        seen = len(gw1.received)
        second, final = alice.invite("sip:service@127.0.0.1", proxy.v4)
        assert final.status == 200
        alice.ack(second, final, proxy.v4)
        assert "INVITE" not in methods_after(gw1, seen)
        assert methods(gw2).count("INVITE") == 2
        # once it answers OPTIONS again, probing makes it active (probing flag stays)
        gw1.answer("OPTIONS", 200)
        wait_until(lambda: flags(proxy)[gw1_uri] == "AP", "gw1 active again")
        assert "OPTIONS" in methods(gw1)
    finally:
        proxy.proc.stop()


def methods_after(ua: SipUA, index: int) -> list[str]:
    return [i.msg.method for i in ua.received[index:] if i.is_request]


def test_probing_marks_a_silent_destination_inactive_then_active(
        tmp_path: Path, uas: tuple[SipUA, SipUA, SipUA]) -> None:
    gw1, gw2, _alice = uas
    gw2.answer("OPTIONS", 200)
    # both probed (flags 8); gw1 does not answer OPTIONS yet
    proxy, _url = start(tmp_path, [row(1, gw1, flags=8), row(2, gw2, flags=8)])
    try:
        gw1_uri, gw2_uri = f"sip:{gw1.hostport}", f"sip:{gw2.hostport}"
        wait_until(lambda: flags(proxy)[gw1_uri] == "IP", "gw1 inactive")
        ping = gw1.wait_request("OPTIONS").msg
        assert (ping.get_header("From") or "").startswith("<sip:dispatcher@localhost>")
        assert flags(proxy)[gw2_uri] == "AP"  # answered every ping
        gw1.answer("OPTIONS", 200)
        wait_until(lambda: flags(proxy)[gw1_uri] == "AP", "gw1 active again")
        # it stops answering again (503 is not an answer by default): inactive again
        gw1.answer("OPTIONS", 503)
        wait_until(lambda: flags(proxy)[gw1_uri] == "IP", "gw1 inactive again")
        assert flags(proxy)[gw2_uri] == "AP"
    finally:
        proxy.proc.stop()


class Traffic:
    """OPTIONS through kamproxy to the dispatcher set, one after another in a thread,
    until stopped (at most ``limit``); every final status kept with the destination."""

    def __init__(self, proxy: TmProxy, limit: int = 2000) -> None:
        self.proxy = proxy
        self.limit = limit
        self.results: list[int] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="traffic", daemon=True)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=15)

    def count(self) -> int:
        return len(self.results) + len(self.errors)

    def wait_for_more(self, n: int = 5) -> None:
        target = self.count() + n
        wait_until(lambda: self.count() >= target, f"{n} more requests")

    def _run(self) -> None:
        with SipUA(name="caller") as caller:
            for _ in range(self.limit):
                if self._stop.is_set():
                    return
                request = caller.request("OPTIONS", "sip:service@127.0.0.1")
                try:
                    self.results.append(caller.transact(request, self.proxy.v4,
                                                        timeout=3).status)
                except TimeoutError as exc:
                    self.errors.append(str(exc))


def test_reloads_under_traffic(tmp_path: Path) -> None:
    with SipUA(name="gw1") as gw1, SipUA(name="gw2") as gw2, SipUA(name="gw3") as gw3:
        for ua in (gw1, gw2, gw3):
            ua.answer("OPTIONS", 200)
        # round-robin, so every destination serves
        proxy, url = start(tmp_path, [row(1, gw1), row(2, gw2)], alg=4)
        try:
            with Traffic(proxy) as traffic:
                traffic.wait_for_more()
                # a good reload: a third destination appears and serves
                insert(url, "dispatcher", [row(3, gw3)])
                assert proxy.rpc("dispatcher.reload") == "Ok. Dispatcher successfully reloaded."
                assert len(flags(proxy)) == 3
                wait_until(lambda: "OPTIONS" in methods(gw3), "gw3 serves")
                # a bad row: the reload fails, the three destinations keep serving
                insert(url, "dispatcher", [{"id": 4, "setid": 1, "destination": "gw4"}])
                with pytest.raises(RemoteError, match="row id 4") as failed:
                    proxy.rpc("dispatcher.reload")
                assert failed.value.code == 500
                assert len(flags(proxy)) == 3
                served = [len(methods(ua)) for ua in (gw1, gw2, gw3)]
                traffic.wait_for_more(6)
                after = [len(methods(ua)) for ua in (gw1, gw2, gw3)]
                assert all(b > a for a, b in zip(served, after, strict=True)), (served, after)
            assert traffic.errors == []
            assert traffic.results and set(traffic.results) == {200}, traffic.results
        finally:
            proxy.proc.stop()
