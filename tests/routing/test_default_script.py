"""The default routing script on a real kamproxy: what Kamailio's default config does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from proxy.sip import Response
from tests.support.proxy import KamproxyProcess, free_sip_port
from tests.support.sipua import SipUA
from tests.tm.conftest import TmProxy


def start(base: Path, config: str = "") -> TmProxy:
    port = free_sip_port()
    args = ["-l", f"udp:127.0.0.1:{port}", "-l", f"tcp:127.0.0.1:{port}",
            "--alias", "proxy.test", "--db", f"sqlite:///{base}/kamailio.sqlite"]
    return TmProxy(KamproxyProcess(base, args=args, config=config).start(), port, None)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TmProxy]:
    proxy = start(tmp_path_factory.mktemp("ds"))
    try:
        yield proxy
    finally:
        proxy.proc.stop()


def ask(proxy: TmProxy, method: str, ruri: str, proto: str = "udp",
        **kwargs: object) -> Response:
    with SipUA(name="alice") as alice:
        request = alice.request(method, ruri, proto=proto, **kwargs)  # type: ignore[arg-type]
        return alice.transact(request, proxy.v4, proto)


@pytest.mark.parametrize("proto", ["udp", "tcp"])
def test_options_to_the_proxy_is_a_keepalive(proxy: TmProxy, proto: str) -> None:
    reply = ask(proxy, "OPTIONS", f"sip:127.0.0.1:{proxy.port}", proto)
    assert (reply.status, reply.reason) == (200, "Keepalive")
    assert ask(proxy, "OPTIONS", "sip:proxy.test").status == 200


def test_max_forwards_zero_and_proxy_require(proxy: TmProxy) -> None:
    reply = ask(proxy, "MESSAGE", "sip:bob@proxy.test", max_forwards=0)
    assert (reply.status, reply.reason) == (483, "Too Many Hops")
    reply = ask(proxy, "MESSAGE", "sip:bob@proxy.test", headers=[("Proxy-Require", "foo")])
    assert (reply.status, reply.reason) == (420, "Bad Extension")
    assert reply.get_header("Unsupported") == "foo"


def test_scanners_get_no_answer(proxy: TmProxy) -> None:
    with SipUA(name="alice") as alice:
        request = alice.request("OPTIONS", "sip:proxy.test",
                                headers=[("User-Agent", "friendly-scanner")])
        alice.send(request, proxy.v4)
        with pytest.raises(TimeoutError):
            alice.wait_response(request, final=False, timeout=0.7)


def test_foreign_domains_are_not_relayed(proxy: TmProxy) -> None:
    with SipUA(name="alice") as alice, SipUA(name="bob") as bob:
        invite, final = alice.invite(bob.uri("bob"), proxy.v4)
        assert (final.status, final.reason) == (403, "Not relaying")
        alice.ack(invite, final, proxy.v4)
        assert not bob.received


def test_local_requests_without_user_or_registration(proxy: TmProxy) -> None:
    assert ask(proxy, "INVITE", "sip:proxy.test").status == 484
    reply = ask(proxy, "MESSAGE", "sip:nobody@proxy.test")
    assert (reply.status, reply.reason) == (404, "Not Found")


def test_in_dialog_request_without_route(proxy: TmProxy) -> None:
    reply = ask(proxy, "BYE", "sip:bob@proxy.test", to_tag="x1")
    assert (reply.status, reply.reason) == (404, "Not here")


def test_register_then_a_call_to_the_registered_user(tmp_path: Path) -> None:
    # without authentication (with it: tests/registrar/test_register_e2e.py)
    proxy = start(tmp_path, config="[routing]\nauth = false\n")
    try:
        call_a_registered_user(proxy)
    finally:
        proxy.proc.stop()


def call_a_registered_user(proxy: TmProxy) -> None:
    with SipUA(name="alice") as alice, SipUA(name="bob") as bob:
        register = bob.request("REGISTER", "sip:proxy.test", from_uri="sip:bob@proxy.test",
                               to_uri="sip:bob@proxy.test", headers=[("Expires", "60")])
        assert bob.transact(register, proxy.v4).status == 200
        bob.answer("INVITE", 100, 180, 200)
        bob.answer("BYE", 200)
        invite, final = alice.invite("sip:bob@proxy.test", proxy.v4)
        assert [r.status for r in alice.responses(invite)] == [100, 180, 200]
        assert len(final.record_routes) == 1
        alice.ack(invite, final, proxy.v4)
        bob.wait_request("ACK")
        assert alice.bye(invite, final, proxy.v4).status == 200  # loose-routed
        assert [i.msg.method for i in bob.received if i.is_request] == ["INVITE", "ACK", "BYE"]
        # with auth = false a local user's request is not challenged either
        message = bob.request("MESSAGE", "sip:carol@proxy.test", from_uri="sip:bob@proxy.test")
        assert bob.transact(message, proxy.v4).status == 404


def test_relay_foreign_when_configured(tmp_path: Path) -> None:
    proxy = start(tmp_path, config="[routing]\nrelay_foreign = true\n")
    try:
        with SipUA(name="alice") as alice, SipUA(name="bob") as bob:
            bob.answer("MESSAGE", 200)
            reply = alice.transact(alice.request("MESSAGE", bob.uri("bob")), proxy.v4)
            assert reply.status == 200
            got = bob.wait_request("MESSAGE").msg
            assert got.get_header("P-Hint") == "outbound"
    finally:
        proxy.proc.stop()


def test_unmatched_cancel_is_dropped(proxy: TmProxy) -> None:
    with SipUA(name="alice") as alice:
        cancel = alice.request("CANCEL", "sip:bob@proxy.test")
        alice.send(cancel, proxy.v4)
        with pytest.raises(TimeoutError):
            alice.wait_response(cancel, timeout=0.7)


def test_auth_challenges_register_and_local_callers(proxy: TmProxy) -> None:
    # the module's kamproxy has no [routing] auth key: authentication is the default
    # (answering the challenges: tests/registrar/test_register_e2e.py)
    with SipUA(name="bob") as bob:
        register = bob.request("REGISTER", "sip:proxy.test", from_uri="sip:bob@proxy.test",
                               to_uri="sip:bob@proxy.test")
        reply = bob.transact(register, proxy.v4)
        assert reply.status == 401 and reply.get_header("WWW-Authenticate")
        invite = bob.request("INVITE", "sip:alice@proxy.test", from_uri="sip:bob@proxy.test")
        final = bob.transact(invite, proxy.v4)
        assert final.status == 407 and final.get_header("Proxy-Authenticate")
        bob.ack(invite, final, proxy.v4)
        message = bob.request("MESSAGE", "sip:alice@proxy.test", from_uri="sip:bob@proxy.test")
        assert bob.transact(message, proxy.v4).status == 407
        # a caller from elsewhere to a local user is not challenged (no such user: 404)
        assert bob.invite("sip:alice@proxy.test", proxy.v4)[1].status == 404
        # nor is a request inside a dialog (no Route: 404 Not here)
        bye = bob.request("BYE", "sip:alice@proxy.test", from_uri="sip:bob@proxy.test",
                          to_tag="t1")
        assert bob.transact(bye, proxy.v4).status == 404
