"""Transactions with a fake transport and a manual clock: state machines, timers,
retransmissions, CANCEL, ACK, forking, failure hook, best reply, statistics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from proxy.sip import Request, Response
from proxy.tm import Target, Transaction
from proxy.tm.select import aggregate_challenges, best_reply
from tests.tm.harness import UAC, Net, ack_for, cancel_for, request

BOB = "sip:bob@127.0.0.3:5080"
CAROL = "sip:carol@127.0.0.3:5090"


def relayed(net: Net, method: str = "INVITE") -> Request:
    """The one request relayed downstream since the last take (the rest is dropped)."""
    found = net.requests(net.take(), method)
    assert len(found) == 1, found
    return found[0]


def test_invite_call_relayed_and_freed_after_wait() -> None:
    net = Net()
    invite = request("INVITE")
    net.from_uac(invite)
    sent = net.take()
    up = [m for m, _ in sent if isinstance(m, Response)]
    assert [r.status for r in up] == [100]  # tm.auto_inv_100
    assert up[0].reason == "trying -- your call is important to us"
    (down,) = net.requests(sent, "INVITE")
    assert down.via.branch.startswith("z9hG4bKkpt") and down.via.sent_by == "127.0.0.1:5060"
    assert down.max_forwards == 69
    net.answer(down, 100)
    net.answer(down, 180)
    net.answer(down, 200)
    up = net.take_up()
    assert [r.status for r in up] == [180, 200]  # 100 absorbed, the others relayed
    assert all(r.via.branch == invite.via.branch for r in up)  # our Via is off
    assert len(up[1].vias) == 1
    stats = net.tm.rpc_stats()
    assert (stats["current"], stats["waiting"], stats["2xx"]) == (1, 1, 1)
    net.clock.advance(4.9)
    assert net.tm.alive == 1
    net.clock.advance(0.2)  # wt_timer (5 s) passed
    stats = net.tm.rpc_stats()
    assert (stats["current"], stats["waiting"], stats["freed"]) == (0, 0, 1)
    assert (stats["rpl_received"], stats["rpl_generated"], stats["rpl_sent"]) == (3, 1, 3)


def test_branch_retransmitted_over_udp_until_a_provisional_reply() -> None:
    net = Net()
    net.from_uac(request("INVITE"))
    down = relayed(net)
    start = net.clock.now()
    times = []
    for _ in range(8):
        net.clock.advance(0.25)
        if net.requests(net.take(), "INVITE"):
            times.append(net.clock.now() - start)
    assert times == [0.5, 1.5]  # T1, then 2 * T1 later
    net.answer(down, 100)
    net.take()
    net.clock.advance(10)
    assert net.requests(net.take(), "INVITE") == []


def test_non_invite_retransmissions_capped_at_t2() -> None:
    net = Net(retr_timer1=500, retr_timer2=1000, fr_timer=10000)
    net.from_uac(request("MESSAGE"))
    net.take()
    gaps = []
    last = net.clock.now()
    for _ in range(60):
        net.clock.advance(0.25)
        if net.requests(net.take(), "MESSAGE"):
            gaps.append(net.clock.now() - last)
            last = net.clock.now()
    assert gaps[:4] == [0.5, 1.0, 1.0, 1.0]


def test_timer_b_408_then_retransmitted_until_ack() -> None:
    net = Net(fr_timer=2000)
    invite = request("INVITE")
    net.from_uac(invite)
    net.take()
    net.clock.advance(1.9)
    assert not [r for r in net.take_up()]
    net.clock.advance(0.2)
    up = net.take_up()
    assert [(r.status, r.reason) for r in up] == [(408, "Request Timeout")]
    # no provisional came: no CANCEL downstream; the 408 is retransmitted (timer G)
    net.clock.advance(0.5)
    assert [r.status for r in net.take_up()] == [408]
    net.from_uac(ack_for(invite, up[0]))
    assert net.take() == []  # the ACK is absorbed, not relayed
    net.clock.advance(10)
    assert [r.status for r in net.take_up()] == []
    assert net.tm.alive == 0
    assert net.tm.rpc_stats()["4xx"] == 1


def test_fr_inv_timer_after_a_provisional_cancels_the_branch() -> None:
    net = Net(fr_timer=1000, fr_inv_timer=3000)
    net.from_uac(request("INVITE"))
    down = relayed(net)
    net.answer(down, 180)
    net.take()
    net.clock.advance(2.9)  # past fr_timer: fr_inv_timer rules now
    assert net.take() == []
    net.clock.advance(0.2)
    sent = net.take()
    (cancel,) = net.requests(sent, "CANCEL")
    assert cancel.via.branch == down.via.branch and cancel.ruri_text == down.ruri_text
    assert cancel.get_header("reason") == 'SIP;cause=408;text="Request Timeout"'
    assert [r.status for r, _ in sent if isinstance(r, Response)] == [408]
    net.answer(down, 487)  # the late 487 is ACKed and absorbed
    sent = net.take()
    assert [m.method for m in net.requests(sent)] == ["ACK"]
    assert not [m for m, _ in sent if isinstance(m, Response)]


def test_timer_f_non_invite() -> None:
    net = Net(fr_timer=1500)
    bye = request("BYE", to_tag="b1", cseq=2)
    net.from_uac(bye)
    net.take()
    net.clock.advance(1.6)
    assert [r.status for r in net.take_up()] == [408]
    net.clock.advance(5.1)
    assert net.tm.alive == 0


def test_timers_changed_at_run_time_apply_to_new_transactions_only() -> None:
    net = Net(fr_timer=10000)
    net.from_uac(request("MESSAGE", call_id="old"))
    net.params.set("tm", "fr_timer", 1000)
    net.from_uac(request("MESSAGE", call_id="new"))
    net.take()
    net.clock.advance(1.1)
    up = net.take_up()
    assert [(r.status, r.call_id) for r in up] == [(408, "new")]
    net.clock.advance(9)
    assert [(r.status, r.call_id) for r in net.take_up()] == [(408, "old")]


def test_retransmitted_invite_gets_the_last_provisional_reply() -> None:
    net = Net()
    invite = request("INVITE")
    net.from_uac(invite)
    down = relayed(net)
    net.answer(down, 180)
    net.take()
    net.from_uac(invite)  # retransmission
    sent = net.take()
    assert net.requests(sent) == []  # not relayed again
    assert [m.status for m, _ in sent] == [180]


def test_retransmitted_bye_answered_from_the_transaction() -> None:
    net = Net()
    bye = request("BYE", to_tag="b1", cseq=2)
    net.from_uac(bye)
    down = relayed(net, "BYE")
    net.answer(down, 200)
    assert [r.status for r in net.take_up()] == [200]
    net.from_uac(bye)
    sent = net.take()
    assert net.requests(sent) == [] and [m.status for m, _ in sent] == [200]
    net.from_uac(bye)
    assert [m.status for m, _ in net.take()] == [200]


def test_cancel_after_a_provisional_reply() -> None:
    net = Net()
    invite = request("INVITE")
    net.from_uac(invite)
    down = relayed(net)
    net.answer(down, 180)
    net.take()
    net.from_uac(cancel_for(invite).serialize())
    sent = net.take()
    replies = [m for m, _ in sent if isinstance(m, Response)]
    assert [(r.status, r.cseq.method) for r in replies] == [(200, "CANCEL")]
    (cancel,) = net.requests(sent, "CANCEL")
    assert cancel.via.branch == down.via.branch and cancel.cseq.seq == down.cseq.seq
    assert cancel.get_headers("via") == [down.get_headers("via")[0]]
    net.answer(cancel, 200)  # the UAS's 200 to the CANCEL: absorbed
    net.answer(down, 487)
    sent = net.take()
    assert [m.method for m in net.requests(sent)] == ["ACK"]
    final = [m for m, _ in sent if isinstance(m, Response)]
    assert [(r.status, r.cseq.method) for r in final] == [(487, "INVITE")]
    assert net.tm.find(invite) is not None and net.tm.find(invite).canceled  # type: ignore[union-attr]


def test_cancel_before_any_reply_waits_for_a_provisional_one() -> None:
    net = Net()
    invite = request("INVITE")
    net.from_uac(invite)
    down = relayed(net)
    net.from_uac(cancel_for(invite))
    assert net.requests(net.take(), "CANCEL") == []  # RFC 3261 9.1: not yet
    net.answer(down, 180)
    sent = net.take()
    assert len(net.requests(sent, "CANCEL")) == 1


def test_cancel_of_a_branch_that_never_answers_ends_with_a_local_487() -> None:
    net = Net(fr_timer=2000)
    invite = request("INVITE")
    net.from_uac(invite)
    net.take()
    net.from_uac(cancel_for(invite))
    net.take()
    net.clock.advance(2.1)
    assert [(r.status, r.reason) for r in net.take_up()] == [(487, "Request Terminated")]


def test_retransmitted_cancel_gets_its_200_again_and_unmatched_goes_to_routing() -> None:
    net = Net()
    routed: list[str] = []

    def route(req: Request, info: object, txn: Transaction | None) -> None:
        routed.append(req.method)
        if txn is not None:
            net.tm.relay(txn)

    net.route = route  # type: ignore[assignment]
    invite = request("INVITE")
    net.from_uac(invite)
    net.from_uac(cancel_for(invite))
    net.take()
    net.from_uac(cancel_for(invite))
    assert [(m.status, m.cseq.method) for m, _ in net.take()] == [(200, "CANCEL")]
    net.from_uac(cancel_for(request("INVITE", call_id="other")))
    assert routed == ["INVITE", "CANCEL"]


def test_negative_reply_acked_hop_by_hop_and_uac_ack_absorbed() -> None:
    net = Net()
    invite = request("INVITE")
    net.from_uac(invite)
    down = relayed(net)
    reply = net.answer(down, 486)
    sent = net.take()
    (ack,) = net.requests(sent, "ACK")
    assert ack.via.branch == down.via.branch and ack.to.tag == reply.to.tag
    assert ack.ruri_text == down.ruri_text and ack.cseq.method == "ACK"
    up = [m for m, _ in sent if isinstance(m, Response)]
    assert [r.status for r in up] == [486]
    net.from_uac(ack_for(invite, up[0]))
    assert net.take() == []
    net.answer(down, 486)  # retransmitted by the UAS: ACKed again, not relayed
    assert [m.method for m in net.requests(net.take())] == ["ACK"]


def test_parallel_forking_first_2xx_wins_and_cancels_the_others() -> None:
    net = Net()
    net.targets = [Target(BOB), Target(CAROL)]
    net.from_uac(request("INVITE"))
    sent = net.take()
    to_bob, to_carol = net.requests(sent, "INVITE")
    assert to_bob.via.branch != to_carol.via.branch
    net.answer(to_bob, 180, tag="b")
    net.answer(to_carol, 180, tag="c", port=5090)
    net.take()
    net.answer(to_carol, 200, tag="c", port=5090)
    sent = net.take()
    assert [(m.status, m.to.tag) for m, _ in sent if isinstance(m, Response)] == [(200, "c")]
    (cancel,) = net.requests(sent, "CANCEL")
    assert cancel.via.branch == to_bob.via.branch
    assert cancel.get_header("reason") == 'SIP;cause=200;text="Call completed elsewhere"'
    net.answer(to_bob, 487, tag="b")
    sent = net.take()
    assert [m.method for m in net.requests(sent)] == ["ACK"]
    assert not [m for m, _ in sent if isinstance(m, Response)]
    net.answer(to_bob, 200, tag="b")  # a second 2xx: relayed too (RFC 6026)
    assert [(r.status, r.to.tag) for r in net.take_up()] == [(200, "b")]


def test_parallel_forking_best_reply() -> None:
    net = Net()
    net.targets = [Target(BOB), Target(CAROL), Target("sip:dave@127.0.0.3:5100")]
    net.from_uac(request("INVITE"))
    downs = net.requests(net.take(), "INVITE")
    net.answer(downs[0], 486, port=5080)
    net.answer(downs[1], 404, port=5090)
    assert not net.take_up()  # waits for the last branch
    net.answer(downs[2], 503, port=5100)
    up = net.take_up()
    assert [r.status for r in up] == [404]  # 4xx before 5xx; the lowest 4xx


def test_six_hundred_cancels_the_other_branches() -> None:
    net = Net()
    net.targets = [Target(BOB), Target(CAROL)]
    net.from_uac(request("INVITE"))
    to_bob, to_carol = net.requests(net.take(), "INVITE")
    net.answer(to_bob, 180, tag="b")
    net.take()
    net.answer(to_carol, 603, tag="c", port=5090)
    sent = net.take()
    assert len(net.requests(sent, "CANCEL")) == 1
    assert not [m for m, _ in sent if isinstance(m, Response)]
    net.answer(to_bob, 487, tag="b")
    assert [r.status for r in net.take_up()] == [603]


def test_503_becomes_500() -> None:
    net = Net()
    net.from_uac(request("MESSAGE"))
    net.answer(relayed(net, "MESSAGE"), 503)
    (up,) = net.take_up()
    assert up.status == 500


def test_failure_hook_serial_forking() -> None:
    net = Net()
    seen: list[int] = []

    def failure(txn: Transaction, reply: Response) -> None:
        seen.append(reply.status)
        if len(seen) == 1:
            net.tm.relay(txn, [Target(CAROL)])

    def route(req: Request, info: object, txn: Transaction | None) -> None:
        assert txn is not None
        txn.hooks.failure = failure
        net.tm.relay(txn)

    net.route = route  # type: ignore[assignment]
    net.from_uac(request("INVITE"))
    net.answer(relayed(net), 486)
    to_carol = relayed(net)
    assert to_carol.ruri_text == CAROL
    assert not net.take_up()
    net.answer(to_carol, 480, port=5090)
    up = net.take_up()
    assert seen == [486, 480] and [r.status for r in up] == [480]


def test_send_error_ends_the_branch_and_the_failure_hook_tries_the_next() -> None:
    net = Net()
    net.transports.refuse.add(5080)

    def failure(txn: Transaction, reply: Response) -> None:
        assert (reply.status, reply.reason) == (477, "Send failed")
        net.tm.relay(txn, [Target(CAROL)])

    def route(req: Request, info: object, txn: Transaction | None) -> None:
        assert txn is not None
        txn.hooks.failure = failure
        net.tm.relay(txn)

    net.route = route  # type: ignore[assignment]
    net.from_uac(request("INVITE"))
    assert relayed(net).ruri_text == CAROL


def test_send_error_without_hook_is_answered() -> None:
    net = Net()
    net.from_uac(request("MESSAGE", "sip:bob@[::1]:5080"))  # no IPv6 socket here
    assert [(r.status, r.reason) for r in net.take_up()] == [(477, "Send failed")]
    net.from_uac(request("MESSAGE", "sip:bob@127.0.0.3:5080;transport=sctp"))
    assert [r.status for r in net.take_up()] == [478]


def test_max_inv_lifetime() -> None:
    net = Net(max_inv_lifetime=5000, fr_inv_timer=60000)
    net.from_uac(request("INVITE"))
    down = relayed(net)
    net.answer(down, 180)
    net.take()
    net.clock.advance(5.1)
    sent = net.take()
    assert len(net.requests(sent, "CANCEL")) == 1
    assert [m.status for m, _ in sent if isinstance(m, Response)] == [408]


def test_reply_hook_may_drop_provisional_replies() -> None:
    net = Net()

    def route(req: Request, info: object, txn: Transaction | None) -> None:
        assert txn is not None
        txn.hooks.reply = lambda t, b, r: r.status != 183
        net.tm.relay(txn)

    net.route = route  # type: ignore[assignment]
    net.from_uac(request("INVITE"))
    down = relayed(net)
    net.answer(down, 183)
    net.answer(down, 180)
    assert [r.status for r in net.take_up()] == [180]


def test_branch_hook_changes_or_drops_branches() -> None:
    net = Net()
    net.targets = [Target(BOB), Target(CAROL)]

    def branch(txn: Transaction, req: Request, target: Target, index: int) -> Target | None:
        if index == 1:
            return None
        req.add_header("X-Branch", str(index))
        return target

    def route(req: Request, info: object, txn: Transaction | None) -> None:
        assert txn is not None
        txn.hooks.branch = branch
        net.tm.relay(txn, net.targets)

    net.route = route  # type: ignore[assignment]
    net.from_uac(request("INVITE"))
    (down,) = net.requests(net.take(), "INVITE")
    assert down.get_header("X-Branch") == "0"


def test_local_reply_statefully_and_its_ack_absorbed() -> None:
    net = Net()

    def route(req: Request, info: object, txn: Transaction | None) -> None:
        assert txn is not None
        net.tm.reply(txn, 404, "Not Found")

    net.route = route  # type: ignore[assignment]
    invite = request("INVITE")
    net.from_uac(invite)
    up = net.take_up()
    assert [r.status for r in up] == [100, 404]
    assert up[1].to.tag and up[1].to.tag.startswith(net.tm.ids.tag_prefix)
    net.from_uac(ack_for(invite, up[1]))
    assert net.take() == []
    net.from_uac(invite)  # a late retransmission: the 404 again
    assert [m.status for m, _ in net.take()] == [404]


def test_routing_that_drops_an_invite_frees_its_transaction() -> None:
    net = Net()
    net.route = lambda req, info, txn: None
    net.from_uac(request("INVITE"))
    assert net.tm.alive == 0


def test_routing_exception_answers_default_code() -> None:
    net = Net()

    def route(req: Request, info: object, txn: Transaction | None) -> None:
        raise RuntimeError("script bug")

    net.route = route  # type: ignore[assignment]
    net.from_uac(request("INVITE"))
    net.from_uac(request("MESSAGE"))
    assert [(r.status, r.reason) for r in net.take_up()] == [
        (100, "trying -- your call is important to us"), (500, "Server Internal Error"),
        (500, "Server Internal Error")]
    assert net.stats.value("core", "err_requests") == 2


def test_late_2xx_after_the_transaction_is_gone_still_reaches_the_caller() -> None:
    net = Net()
    net.from_uac(request("INVITE"))
    down = relayed(net)
    net.answer(down, 200)
    net.take()
    net.clock.advance(6)
    assert net.tm.alive == 0
    net.answer(down, 200)  # the UAS retransmits its 200
    assert [r.status for r in net.take_up()] == [200]
    net.answer(down, 404)
    assert net.take_up() == []


def test_tcp_branch_has_no_retransmissions() -> None:
    net = Net(fr_timer=3000)
    net.from_uac(request("INVITE", "sip:bob@127.0.0.3:5080;transport=tcp"))
    sent = net.take()
    assert [d.proto for m, d in sent if isinstance(m, Request)] == ["tcp"]
    net.clock.advance(2.9)
    assert net.requests(net.take()) == []


def test_tcp_uac_gets_no_reply_retransmissions() -> None:
    net = Net(fr_timer=1000)
    net.from_uac(request("INVITE", proto="TCP"), proto="tcp")
    net.take()
    net.clock.advance(1.1)
    sent = net.take()
    assert [(m.status, d.conn_id) for m, d in sent if isinstance(m, Response)] == [(408, 7)]
    net.clock.advance(3)
    assert net.take_up() == []


def test_local_request() -> None:
    import asyncio

    async def run() -> Response:
        net = Net()
        from proxy.tm.uac import options_request

        task = asyncio.ensure_future(net.tm.send_request(options_request(BOB, "sip:k@x")))
        await asyncio.sleep(0)
        down = relayed(net, "OPTIONS")
        assert down.via.sent_by == "127.0.0.1:5060"
        net.answer(down, 200)
        reply = await task
        assert net.tm.rpc_stats()["total_local"] == 1
        assert net.take() == []  # nothing relayed anywhere
        return reply

    assert asyncio.run(run()).status == 200


def test_best_reply_rules() -> None:
    def r(code: int) -> Response:
        return Response(code)

    assert best_reply([r(486), r(603), r(302)]).status == 603  # type: ignore[union-attr]
    assert best_reply([r(500), r(404), r(302)]).status == 302  # type: ignore[union-attr]
    assert best_reply([r(404), r(407), r(486)]).status == 407  # type: ignore[union-attr]
    assert best_reply([r(480), r(404)]).status == 404  # type: ignore[union-attr]
    timeout = r(408)
    assert best_reply([timeout, r(486)], [timeout]).status == 486  # type: ignore[union-attr]
    assert best_reply([]) is None
    a, b = r(401), r(407)
    a.add_header("WWW-Authenticate", 'Digest realm="a"')
    b.add_header("Proxy-Authenticate", 'Digest realm="b"')
    aggregate_challenges(a, [a, b])
    assert a.get_headers("Proxy-Authenticate") == ['Digest realm="b"']


TRANSCRIPT = Path("/work/shared/reference/kamailio-5.6/transcripts/fifo/16-tm.stats.reply")


def test_tm_stats_shape_is_kamailios() -> None:
    if not TRANSCRIPT.exists():
        pytest.skip("no Kamailio transcript here")
    theirs = json.loads(TRANSCRIPT.read_text())["result"]
    ours = Net().tm.rpc_stats()
    assert list(ours) == list(theirs)
    assert ours == theirs  # all zero at start


def test_tmx_statistics_names_are_kamailios() -> None:
    import re

    path = Path("/work/shared/reference/kamailio-5.6/transcripts/kamctl/13-stats.txt")
    if not path.exists():
        pytest.skip("no Kamailio transcript here")
    names = set(re.findall(r'"tmx:([A-Za-z0-9_]+) = ', path.read_text()))
    group = Net().stats.group("tmx")
    assert set(group.names()) == names


def test_uac_address_is_where_replies_go() -> None:
    net = Net()
    net.from_uac(request("MESSAGE"))
    sent = net.take()
    assert [(d.host, d.port) for m, d in sent if isinstance(m, Response)] == []
    (down,) = net.requests(sent)
    net.answer(down, 200)
    (_, dest), = net.take()
    assert (dest.host, dest.port) == UAC


def test_dispatcher_prober() -> None:
    import asyncio

    from proxy.tm import make_prober

    async def run() -> tuple[int | None, int | None, int | None]:
        net = Net()
        probe = make_prober(net.tm)
        answered = asyncio.ensure_future(probe(BOB, "sip:dispatcher@localhost", 1.0))
        for _ in range(10):  # bounded: a few loop turns until the request is out
            if net.transports.sent:
                break
            await asyncio.sleep(0)
        (down,) = net.requests(net.take(), "OPTIONS")
        assert (down.get_header("from") or "").startswith("<sip:dispatcher@localhost>;tag=")
        net.answer(down, 404)
        silent = await probe(CAROL, "sip:dispatcher@localhost", 0.05)
        bad = await probe("not a uri", "sip:dispatcher@localhost", 0.05)
        return await answered, silent, bad

    assert asyncio.run(run()) == (404, None, None)


def test_cancel_while_routing_still_waits() -> None:
    import asyncio

    async def run() -> list[tuple[int, str]]:
        net = Net()
        gate = asyncio.Event()

        async def slow(txn: Transaction | None) -> None:
            await gate.wait()  # a database lookup, say
            assert txn is not None
            assert net.tm.relay(txn) == 0  # cancelled meanwhile: not relayed

        net.route = lambda req, info, txn: slow(txn)
        invite = request("INVITE")
        net.from_uac(invite)
        await asyncio.sleep(0)
        net.from_uac(cancel_for(invite))
        net.from_uac(invite)  # a retransmission meanwhile: its 100 again
        gate.set()
        for _ in range(10):
            await asyncio.sleep(0)
        sent = net.take()
        assert net.requests(sent) == []
        return [(m.status, m.cseq.method) for m, _ in sent if isinstance(m, Response)]

    assert asyncio.run(run()) == [(100, "INVITE"), (200, "CANCEL"), (100, "INVITE"),
                                  (487, "INVITE")]


def test_retransmission_while_async_routing_runs_is_dropped() -> None:
    import asyncio

    async def run() -> tuple[int, list[int]]:
        net = Net()
        gate = asyncio.Event()
        calls = 0

        async def slow(req: Request, txn: Transaction | None) -> None:
            nonlocal calls
            calls += 1
            await gate.wait()
            net.tm.relay(net.tm.transaction_for(req, info))

        from proxy.transport import ReceiveInfo
        from tests.tm.harness import UDP

        info = ReceiveInfo("udp", UAC[0], UAC[1], UDP)
        net.route = lambda req, _info, txn: slow(req, txn)
        message = request("MESSAGE")
        net.from_uac(message)
        await asyncio.sleep(0)
        net.from_uac(message)  # dropped: routing still runs
        gate.set()
        for _ in range(10):
            await asyncio.sleep(0)
        down = net.requests(net.take(), "MESSAGE")
        net.answer(down[0], 200)
        net.from_uac(message)  # now the transaction answers it
        return calls, [m.status for m, _ in net.take()]

    assert asyncio.run(run()) == (1, [200, 200])
