"""Full call flows through a stateful kamproxy (tests/tm/scripts/relay.py) between test
user agents, over UDP and TCP, IPv4 and IPv6 and across them."""

from __future__ import annotations

import time

import pytest

from proxy.sip import Request, Response
from tests.support.sipua import SipUA, require_ipv6
from tests.tm.conftest import TmProxy

SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"


def proxy_vias(msg: Request, proxy: TmProxy) -> list[str]:
    ports = {proxy.port, proxy.port6}
    return [v.sent_by for v in msg.vias if v.port in ports]


@pytest.mark.parametrize(("a_host", "a_proto", "b_host", "b_proto", "double"), [
    ("127.0.0.1", "udp", "127.0.0.1", "udp", False),
    ("127.0.0.1", "tcp", "127.0.0.1", "udp", True),
    ("127.0.0.1", "udp", "127.0.0.1", "tcp", True),
    ("127.0.0.1", "udp", "::1", "udp", True),
    ("::1", "tcp", "127.0.0.1", "tcp", True),
    ("::1", "udp", "::1", "tcp", True),
])
def test_invite_ringing_ok_ack_bye(tm_proxy: TmProxy, a_host: str, a_proto: str, b_host: str,
                                   b_proto: str, double: bool) -> None:
    if ":" in a_host + b_host:
        require_ipv6()
    entry = tm_proxy.addr(a_host)
    with SipUA(a_host, name="alice") as alice, SipUA(b_host, name="bob") as bob:
        bob.answer("INVITE", 100, 180, 200, body=SDP)
        bob.answer("BYE", 200)
        invite, final = alice.invite(bob.uri("bob", b_proto), entry, a_proto, body=SDP)
        assert final.status == 200 and final.body == SDP
        assert [r.status for r in alice.responses(invite)] == [100, 180, 200]
        assert final.get_header("X-Reply-Route") == "200"  # the reply hook ran
        got = bob.wait_request("INVITE")
        assert got.proto == b_proto and got.msg.get_header("X-Branch") == "0"
        assert len(final.record_routes) == (2 if double else 1)
        alice.ack(invite, final, entry, a_proto)
        ack = bob.wait_request("ACK").msg
        assert ack.call_id == invite.call_id and proxy_vias(ack, tm_proxy)  # via the proxy
        assert not ack.get_headers("route")  # our Route values are consumed
        bye = alice.bye(invite, final, entry, a_proto)
        assert bye.status == 200
        bye_at_bob = bob.wait_request("BYE").msg
        assert proxy_vias(bye_at_bob, tm_proxy)
        assert [i.msg.method for i in bob.received if i.is_request] == ["INVITE", "ACK", "BYE"]


def test_cancel(tm_proxy: TmProxy) -> None:
    with SipUA(name="alice") as alice, SipUA(name="bob") as bob:
        bob.answer("INVITE", 100, 180, 200, delay=3.0)  # rings until cancelled
        invite = alice.request("INVITE", bob.uri("bob"))
        alice.send(invite, tm_proxy.v4)
        assert alice.wait_response(invite, final=False).status == 100
        bob.wait_request("INVITE")
        alice.wait_for(lambda i: isinstance(i.msg, Response) and i.msg.status == 180)
        cancel = alice.cancel(invite, tm_proxy.v4)
        assert (cancel.status, cancel.reason) == (200, "canceling")
        final = alice.wait_response(invite)
        assert (final.status, final.reason) == (487, "Request Terminated")
        got = bob.wait_request("CANCEL").msg
        assert got.via.branch == bob.wait_request("INVITE").msg.via.branch
        alice.ack(invite, final, tm_proxy.v4)
        # the proxy ACKed bob's 487 itself (hop by hop); alice's ACK stays at the proxy
        ack = bob.wait_request("ACK").msg
        assert ack.via.branch == got.via.branch
        time.sleep(0.3)
        assert len([i for i in bob.received if i.is_request and i.msg.method == "ACK"]) == 1
        assert not [r for r in alice.responses(invite) if r.status == 200]


def test_busy_then_failover_to_a_second_destination(tm_proxy: TmProxy) -> None:
    with SipUA(name="alice") as alice, SipUA(name="bob") as bob, \
            SipUA(name="carol", tcp=True) as carol:
        bob.answer("INVITE", 100, 486)
        carol.answer("INVITE", 180, 200)
        carol.answer("BYE", 200)
        invite, final = alice.invite(bob.uri("bob"), tm_proxy.v4,
                                     headers=[("X-Failover", carol.uri("carol", "tcp"))])
        assert final.status == 200 and final.to.tag == carol.tag
        assert [r.status for r in alice.responses(invite)] == [100, 180, 200]
        assert bob.wait_request("ACK").msg.via.branch == bob.wait_request("INVITE").msg.via.branch
        alice.ack(invite, final, tm_proxy.v4)
        carol.wait_request("ACK")
        assert alice.bye(invite, final, tm_proxy.v4).status == 200


def test_parallel_fork_first_200_wins(tm_proxy: TmProxy) -> None:
    with SipUA(name="alice") as alice, SipUA(name="bob") as bob, SipUA(name="carol") as carol:
        bob.answer("INVITE", 180, 200, delay=3.0)
        carol.answer("INVITE", 180, 200, delay=0.2)
        invite, final = alice.invite(bob.uri("bob"), tm_proxy.v4,
                                     headers=[("X-Fork", carol.uri("carol"))])
        assert final.to.tag == carol.tag
        assert bob.wait_request("CANCEL").msg.get_header("reason") == \
            'SIP;cause=200;text="Call completed elsewhere"'
        assert bob.wait_request("INVITE").msg.get_header("X-Branch") == "0"
        assert carol.wait_request("INVITE").msg.get_header("X-Branch") == "1"
        alice.ack(invite, final, tm_proxy.v4)
        carol.wait_request("ACK")


def test_branch_route_drops_a_branch_and_reply_route_drops_183(tm_proxy: TmProxy) -> None:
    with SipUA(name="alice") as alice, SipUA(name="bob") as bob, SipUA(name="carol") as carol:
        carol.answer("INVITE", 183, 180, 486)
        invite, final = alice.invite(bob.uri("bob"), tm_proxy.v4,
                                     headers=[("X-Fork", carol.uri("carol")),
                                              ("X-Drop-Branch", "0")])
        assert final.status == 486
        assert [r.status for r in alice.responses(invite)] == [100, 180, 486]
        assert not [i for i in bob.received if i.is_request]


def test_retransmitted_invite_is_absorbed(tm_proxy: TmProxy) -> None:
    with SipUA(name="alice") as alice, SipUA(name="bob") as bob:
        bob.answer("INVITE", 180, 200, delay=1.0)
        invite = alice.request("INVITE", bob.uri("bob"))
        alice.send(invite, tm_proxy.v4)
        bob.wait_request("INVITE")
        alice.wait_for(lambda i: isinstance(i.msg, Response) and i.msg.status == 180)
        mark = len(alice.received)
        alice.send(invite, tm_proxy.v4)  # a retransmission: the last reply (180) again
        again = alice.wait_for(lambda i: isinstance(i.msg, Response), after=mark)
        assert isinstance(again.msg, Response) and again.msg.status == 180
        final = alice.wait_response(invite)
        assert final.status == 200
        assert len([i for i in bob.received if i.is_request]) == 1


def test_retransmitted_bye_is_answered_from_the_transaction(tm_proxy: TmProxy) -> None:
    with SipUA(name="alice") as alice, SipUA(name="bob") as bob:
        bob.answer("INVITE", 200)
        bob.answer("BYE", 200)
        invite, final = alice.invite(bob.uri("bob"), tm_proxy.v4)
        alice.ack(invite, final, tm_proxy.v4)
        target = final.contacts[0].uri
        bye = alice.request("BYE", str(target), call_id=invite.call_id,
                            to_uri=str(invite.to.uri), to_tag=final.to.tag,
                            cseq=invite.cseq.seq + 1)
        for address in reversed(final.record_routes):
            bye.add_header("Route", str(address))
        assert alice.transact(bye, tm_proxy.v4).status == 200
        mark = len(alice.received)
        alice.send(bye, tm_proxy.v4)
        again = alice.wait_for(lambda i: isinstance(i.msg, Response)
                               and i.msg.cseq.method == "BYE", after=mark)
        assert isinstance(again.msg, Response) and again.msg.status == 200
        time.sleep(0.2)
        assert len([i for i in bob.received if i.is_request and i.msg.method == "BYE"]) == 1


def test_timer_b_and_fr_inv_timer_set_by_rpc(tm_proxy: TmProxy) -> None:
    """No answer at all: 408 after tm.fr_timer; ringing only: 408 after fr_inv_timer and
    a CANCEL to the callee. Short timers set by RPC act on new transactions."""
    tm_proxy.rpc("cfg.seti", "tm", "fr_timer", 600)
    tm_proxy.rpc("cfg.seti", "tm", "fr_inv_timer", 900)
    try:
        with SipUA(name="alice") as alice, SipUA(name="bob") as bob:
            started = time.monotonic()
            invite, final = alice.invite(bob.uri("bob"), tm_proxy.v4)
            assert (final.status, final.reason) == (408, "Request Timeout")
            assert time.monotonic() - started < 4.5
            assert len([i for i in bob.received if i.msg.method == "INVITE"]) >= 2  # timer A
            alice.ack(invite, final, tm_proxy.v4)
            bob.answer("INVITE", 180)  # rings for ever
            invite, final = alice.invite(bob.uri("bob"), tm_proxy.v4)
            assert final.status == 408
            assert [r.status for r in alice.responses(invite)] == [100, 180, 408]
            bob.wait_request("CANCEL")
    finally:
        tm_proxy.rpc("cfg.seti", "tm", "fr_timer", 30000)
        tm_proxy.rpc("cfg.seti", "tm", "fr_inv_timer", 120000)


def test_unreachable_destination_gets_an_error(tm_proxy: TmProxy) -> None:
    from tests.support.proxy import free_port

    closed = free_port()  # nobody listens: the TCP connect is refused
    with SipUA(name="alice") as alice, SipUA(name="carol") as carol:
        request = alice.request("MESSAGE", "sip:nobody@127.0.0.1:9;transport=sctp")
        assert alice.transact(request, tm_proxy.v4).status == 478
        request = alice.request("MESSAGE", f"sip:nobody@127.0.0.1:{closed};transport=tcp")
        reply = alice.transact(request, tm_proxy.v4)
        assert (reply.status, reply.reason) == (477, "Send failed")
        # the failure route tries the next destination after a transport error
        carol.answer("INVITE", 200)
        invite, final = alice.invite(f"sip:bob@127.0.0.1:{closed};transport=tcp",
                                     tm_proxy.v4, headers=[("X-Failover", carol.uri("carol"))])
        assert final.status == 200 and final.to.tag == carol.tag
        alice.ack(invite, final, tm_proxy.v4)


def test_tm_statistics_move(tm_proxy: TmProxy) -> None:
    before = tm_proxy.rpc("tm.stats")
    with SipUA(name="alice") as alice, SipUA(name="bob") as bob:
        bob.answer("MESSAGE", 202)
        assert alice.transact(alice.request("MESSAGE", bob.uri("bob")), tm_proxy.v4).status == 202
    after = tm_proxy.rpc("tm.stats")
    assert after["total"] == before["total"] + 1 and after["2xx"] == before["2xx"] + 1
    assert after["rpl_received"] >= before["rpl_received"] + 1
    stats = tm_proxy.rpc("stats.fetchn", "tmx:")
    assert stats["tmx.UAS_transactions"] == after["total"]
    assert stats["tmx.rpl_relayed"] >= 1
    listing = tm_proxy.rpc("tm.list")
    assert isinstance(listing, list)


def test_tm_stats_shape_matches_kamailio(tm_proxy: TmProxy, kamailio_peer: object) -> None:
    from rpc.client import connect

    with connect(kamailio_peer.http_url, timeout=5) as client:  # type: ignore[attr-defined]
        theirs = client.call("tm.stats")
    ours = tm_proxy.rpc("tm.stats")
    assert list(ours) == list(theirs)
    assert all(isinstance(v, int) for v in ours.values())


def test_debug_3_logs_transactions(tmp_path_factory: pytest.TempPathFactory) -> None:
    from tests.tm.conftest import SCRIPTS, start_proxy

    proxy = start_proxy(tmp_path_factory.mktemp("dbg"), SCRIPTS / "relay.py", "-d", "3")
    try:
        with SipUA(name="alice") as alice, SipUA(name="bob") as bob:
            bob.answer("MESSAGE", 200)
            assert alice.transact(alice.request("MESSAGE", bob.uri("bob")), proxy.v4).status \
                == 200
    finally:
        proxy.proc.stop()
    log = proxy.proc.log()
    assert "<tm> T1: new MESSAGE transaction from udp:127.0.0.1:" in log
    assert "<tm> T1.0: MESSAGE sip:bob@" in log and "<tm> T1: final reply 200 sent" in log
