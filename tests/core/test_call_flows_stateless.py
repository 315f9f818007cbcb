"""Call flows relayed statelessly (no transactions yet): INVITE/180/200/ACK/BYE, CANCEL,
486, retransmissions. They exercise the test UA too, which the tm tests build on."""

from __future__ import annotations

import pytest

from proxy.sip import Response
from tests.core.conftest import SipProxy
from tests.support.sipua import SipUA, require_ipv6

SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"


@pytest.mark.parametrize(("a_proto", "b_host", "b_proto"),
                         [("udp", "127.0.0.1", "udp"), ("tcp", "127.0.0.1", "udp"),
                          ("udp", "::1", "tcp")])
def test_invite_ringing_ok_ack_bye(sip_proxy: SipProxy, a_proto: str, b_host: str,
                                   b_proto: str) -> None:
    if ":" in b_host:
        require_ipv6()
    with SipUA("127.0.0.1", name="alice") as alice, SipUA(b_host, name="bob") as bob:
        bob.answer("INVITE", 100, 180, 200, body=SDP)
        bob.answer("BYE", 200)
        invite, final = alice.invite(bob.uri("bob", b_proto), sip_proxy.v4, a_proto, body=SDP)
        assert final.status == 200 and final.body == SDP
        assert [r.status for r in alice.responses(invite)] == [100, 180, 200]
        alice.ack(invite, final, sip_proxy.v4, a_proto)
        ack = bob.wait_request("ACK")
        assert ack.msg.call_id == invite.call_id and ack.msg.to.tag == final.to.tag
        bye = alice.bye(invite, final, sip_proxy.v4, a_proto)
        assert bye.status == 200
        assert [i.msg.method for i in bob.received if i.is_request] == ["INVITE", "ACK", "BYE"]


def test_busy_then_ack(sip_proxy: SipProxy) -> None:
    with SipUA(name="alice") as alice, SipUA(name="bob") as bob:
        bob.answer("INVITE", 100, 486)
        invite, final = alice.invite(bob.uri("bob"), sip_proxy.v4)
        assert (final.status, final.reason) == (486, "Busy Here")
        ack = alice.ack(invite, final, sip_proxy.v4)
        got = bob.wait_request("ACK")
        # the ACK of a non-2xx has the INVITE's branch: relayed with the same stateless one
        assert got.msg.via.branch == bob.wait_request("INVITE").msg.via.branch
        assert ack.via.branch == invite.via.branch


def test_cancel(sip_proxy: SipProxy) -> None:
    with SipUA(name="alice") as alice, SipUA(name="bob") as bob:
        bob.answer("INVITE", 100, 180, 200, delay=3.0)  # rings until cancelled
        invite = alice.request("INVITE", bob.uri("bob"))
        alice.send(invite, sip_proxy.v4)
        assert alice.wait_response(invite, final=False).status in (100, 180)
        assert alice.cancel(invite, sip_proxy.v4).status == 200
        final = alice.wait_response(invite)
        assert (final.status, final.reason) == (487, "Request Terminated")
        alice.ack(invite, final, sip_proxy.v4)
        bob.wait_request("ACK")
        assert not [r for r in alice.responses(invite) if r.status == 200]


def test_retransmitted_invite_gets_the_last_answer_again(sip_proxy: SipProxy) -> None:
    with SipUA(name="alice") as alice, SipUA(name="bob") as bob:
        bob.answer("INVITE", 180, 200)
        invite, final = alice.invite(bob.uri("bob"), sip_proxy.v4)
        mark = len(alice.received)
        alice.send(invite, sip_proxy.v4)  # a retransmission (same branch)
        again = alice.wait_for(lambda i: isinstance(i.msg, Response)
                               and i.msg.cseq.method == "INVITE", after=mark)
        assert isinstance(again.msg, Response)
        assert again.msg.status == 200 and again.msg.to.tag == final.to.tag
        invites = [i for i in bob.received if i.is_request and i.msg.method == "INVITE"]
        assert len(invites) == 2  # stateless: the proxy relays the retransmission
        # bob's rule ran once (180, 200); the retransmission got the 200 again
        assert len(bob.sent_answers[(invites[0].msg.via.branch or "", "INVITE")]) == 2
        assert [r.status for r in alice.responses(invite)] == [180, 200, 200]
