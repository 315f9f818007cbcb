"""The client side of transactions: the branches a request is relayed on (RFC 3261 17.1).

:class:`Branches` sends a branch (the transaction's branch hook, resolution, socket,
the outgoing hook, the core's forwarder with a tm branch id), retransmits it over UDP
(timers A and E: T1 doubling up to T2; an INVITE until its first provisional reply),
times it out (timers B and F: ``fr_timer``, ``fr_inv_timer`` once an INVITE branch
rang) with a local 408, ends it with a local reply when it cannot be sent (477, 478,
483, 482), sends its CANCEL (RFC 3261 9.1: not before a provisional reply; then
retransmitted over UDP, and the branch ends after ``fr_timer`` at the latest) and the
ACK of a negative final reply (17.1.1.3).

What a reply *means* for the transaction (relay it upstream, cancel the other branches,
pick the best reply) is the manager's: :class:`Branches` tells it through
:class:`BranchEvents`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from proxy.core import ForwardError, SipCore, loop_hash
from proxy.log import get_logger
from proxy.sip import Request, Response, SipParseError
from proxy.tm.clock import Clock
from proxy.tm.messages import Ids, build_ack, build_cancel, local_reply
from proxy.tm.stats import TmCounters
from proxy.tm.transaction import (
    BRANCH_COMPLETED,
    BRANCH_PROCEEDING,
    CALLING,
    Branch,
    Target,
    Transaction,
)
from proxy.transport import Destination

log = get_logger("tm")


def reason(code: int, text: str) -> str:
    """A Reason header value (RFC 3326)."""
    return f'SIP;cause={code};text="{text}"'


#: Reason values of CANCELs tm sends by itself (tm.local_cancel_reason)
REASON_2XX = reason(200, "Call completed elsewhere")
REASON_6XX = reason(600, "Busy Everywhere")
REASON_TIMEOUT = reason(408, "Request Timeout")


def local_reasons(txn: Transaction, value: str) -> list[str]:
    return [value] if txn.settings.local_cancel_reason else []


class BranchEvents(Protocol):
    """What the transaction manager does when a branch hears something."""

    def branch_provisional(self, branch: Branch, reply: Response, keep: bool) -> None:
        """A provisional reply (``keep``: the reply hook did not drop it)."""

    def branch_final(self, branch: Branch, reply: Response, check: bool) -> None:
        """The branch ended: a final reply received or made here (``branch.local``)."""

    def branch_2xx_again(self, branch: Branch, reply: Response) -> None:
        """A 2xx on a branch that had ended (a retransmission, or after a timeout)."""


class Branches:
    """Every branch of every transaction, by branch id."""

    def __init__(self, core: SipCore, clock: Clock, ids: Ids, counters: TmCounters,
                 events: BranchEvents, spawn: Callable[[Awaitable[None]], None]) -> None:
        self.core = core
        self.transports = core.transports
        self.clock = clock
        self.ids = ids
        self.counters = counters
        self.events = events
        self._spawn = spawn
        self.table: dict[str, Branch] = {}

    def get(self, branch_id: str | None) -> Branch | None:
        return self.table.get(branch_id) if branch_id else None

    def forget(self, txn: Transaction) -> None:
        """The transaction is freed: its branch ids and timers go."""
        for branch in txn.branches:
            if self.table.get(branch.id) is branch:
                del self.table[branch.id]
            for timer in (branch.retr_timer, branch.fr_timer, branch.cancel_timer):
                _cancel(timer)

    # -- sending -----------------------------------------------------------------------

    def start(self, txn: Transaction, target: Target) -> bool:
        """Create and send one branch of ``txn`` to ``target``; False when it was not
        created (a bad target, or the branch hook dropped it)."""
        request = txn.request.copy()
        try:
            if target.uri is not None:
                request.ruri = target.uri
            for route in reversed(target.path):
                request.add_header("Route", route, first=True)
        except (SipParseError, ValueError) as exc:
            log.err("%s: bad branch target %s: %s", txn.name, target.uri, exc)
            return False
        index = txn.next_index
        txn.next_index += 1
        hook = txn.hooks.branch
        if hook is not None:
            try:
                changed = hook(txn, request, target, index)
            except Exception:
                log.err("%s: branch hook failed; branch dropped", txn.name, exc_info=True)
                return False
            if changed is None:
                log.dbg("%s: branch %d dropped by the branch hook", txn.name, index)
                return False
            target = changed
        try:
            loop = loop_hash(request)
        except SipParseError:
            loop = "0"
        branch = Branch(txn, index, self.ids.branch(txn.seq, index, loop), target)
        txn.branches.append(branch)
        self.table[branch.id] = branch
        if txn.canceled:
            branch.cancel_pending = True
            branch.cancel_reasons = list(txn.cancel_reason)
        try:
            dest = self.core.resolver.now(target.dst_uri or request.ruri)
        except ForwardError as exc:
            self.fail(branch, exc.status, exc.reason, exc.detail)
            return True
        except SipParseError as exc:
            self.fail(branch, 478, "Unresolvable destination", str(exc))
            return True
        if dest is None:
            self._spawn(self._resolve_and_send(branch, request))
        else:
            self._send(branch, request, dest)
        return True

    async def _resolve_and_send(self, branch: Branch, request: Request) -> None:
        try:
            dest = await self.core.resolver.resolve(branch.target.dst_uri or request.ruri)
        except ForwardError as exc:
            self.fail(branch, exc.status, exc.reason, exc.detail)
            return
        if branch.pending and not branch.txn.freed:
            self._send(branch, request, dest)

    def _send(self, branch: Branch, request: Request, dest: Destination) -> None:
        txn = branch.txn
        sock = branch.target.socket or dest.socket or self.transports.pick_socket(
            dest.proto, dest.host)
        if sock is None:
            self.fail(branch, 477, "Send failed",
                      f"no {dest.proto} socket for the address family of {dest}")
            return
        dest = Destination(dest.proto, dest.host, dest.port, None, sock)
        outgoing = txn.hooks.outgoing
        if outgoing is not None:
            try:
                outgoing(txn, request, dest)
            except Exception:
                log.err("%s: outgoing hook failed", txn.name, exc_info=True)
        try:
            sent = self.core.forwarder.request(
                request, txn.info, dest, branch=branch.id,
                on_error=lambda exc: self.fail(branch, exc.status, exc.reason, exc.detail))
        except ForwardError as exc:
            self.fail(branch, exc.status, exc.reason, exc.detail)
            return
        branch.data = request.serialize()
        branch.dest = sent
        branch.state = CALLING
        settings = txn.settings
        if sent.proto == "udp":
            branch.interval = settings.t1
            branch.retr_timer = self.clock.call_later(settings.t1,
                                                      lambda: self._retransmit(branch))
        branch.fr_timer = self.clock.call_later(settings.fr, lambda: self.timeout(branch))
        log.dbg("%s.%d: %s %s relayed to %s", txn.name, branch.index, txn.method,
                request.ruri_text, sent)

    def _retransmit(self, branch: Branch) -> None:
        """Timers A and E: the request again over UDP."""
        branch.retr_timer = None
        txn = branch.txn
        if not branch.pending or branch.data is None or branch.dest is None:
            return
        if txn.invite and branch.provisional:
            return
        self.transports.send(branch.data, branch.dest)
        t2 = txn.settings.t2
        branch.interval = t2 if branch.provisional else min(branch.interval * 2, t2)
        branch.retr_timer = self.clock.call_later(branch.interval,
                                                  lambda: self._retransmit(branch))

    # -- ending ---------------------------------------------------------------------------

    def timeout(self, branch: Branch, *, check: bool = True) -> None:
        """Timers B and F (fr_timer, fr_inv_timer): the branch ends with a local 408
        (a ringing INVITE branch is cancelled)."""
        branch.fr_timer = None
        if not branch.pending or branch.txn.freed:
            return
        txn = branch.txn
        if txn.invite and branch.provisional and not branch.cancel_sent and branch.sent:
            self._send_cancel(branch, local_reasons(txn, REASON_TIMEOUT))
        self.fail(branch, 408, "Request Timeout", "no final reply in time", check=check)

    def fail(self, branch: Branch, status: int, text: str, detail: str = "", *,
             check: bool = True) -> None:
        """End a branch with a local reply (timeout, send error)."""
        if not branch.pending:
            return
        txn = branch.txn
        log.dbg("%s.%d: %d %s (%s)", txn.name, branch.index, status, text, detail)
        branch.local = True
        self._final(branch, local_reply(txn.request, status, text, txn.to_tag,
                                        self.core.sl.server), check)

    def _final(self, branch: Branch, reply: Response, check: bool = True) -> None:
        txn = branch.txn
        branch.reply = reply
        branch.status = reply.status
        branch.state = BRANCH_COMPLETED
        _cancel(branch.retr_timer)
        _cancel(branch.fr_timer)
        branch.retr_timer = branch.fr_timer = None
        if txn.invite and reply.status >= 300 and not branch.local:
            self._send_ack(branch, reply)
        if not branch.local:
            log.dbg("%s.%d: final %d received", txn.name, branch.index, reply.status)
        self.events.branch_final(branch, reply, check)

    # -- CANCEL and ACK -----------------------------------------------------------------

    def cancel(self, branch: Branch, reasons: Sequence[str]) -> None:
        """CANCEL a pending INVITE branch now, or once it had a provisional reply."""
        if not branch.pending or branch.cancel_sent or branch.cancel_pending:
            return
        if not branch.provisional or not branch.sent:
            branch.cancel_pending = True  # RFC 3261 9.1: not before a provisional reply
            branch.cancel_reasons = list(reasons)
            return
        self._send_cancel(branch, reasons)

    def _send_cancel(self, branch: Branch, reasons: Sequence[str]) -> None:
        assert branch.dest is not None
        txn = branch.txn
        try:
            data = build_cancel(branch.request(), reasons).serialize()
        except (SipParseError, ValueError) as exc:
            log.err("%s.%d: cannot build a CANCEL: %s", txn.name, branch.index, exc)
            return
        branch.cancel_sent = True
        branch.cancel_pending = False
        branch.cancel_request = data
        log.dbg("%s.%d: CANCEL sent to %s", txn.name, branch.index, branch.dest)
        self.transports.send(data, branch.dest)
        settings = txn.settings
        if branch.dest.proto == "udp":
            branch.cancel_interval = settings.t1
            branch.cancel_timer = self.clock.call_later(settings.t1,
                                                        lambda: self._retransmit_cancel(branch))
        # a branch that never answers the CANCEL ends after fr_timer (RFC 3261 16.10)
        _cancel(branch.fr_timer)
        branch.fr_timer = self.clock.call_later(settings.fr, lambda: self.timeout(branch))

    def _retransmit_cancel(self, branch: Branch) -> None:
        branch.cancel_timer = None
        if not branch.pending or branch.cancel_request is None or branch.dest is None:
            return
        self.transports.send(branch.cancel_request, branch.dest)
        branch.cancel_interval = min(branch.cancel_interval * 2, branch.txn.settings.t2)
        branch.cancel_timer = self.clock.call_later(branch.cancel_interval,
                                                    lambda: self._retransmit_cancel(branch))

    def _send_ack(self, branch: Branch, reply: Response) -> None:
        """The hop-by-hop ACK of a negative final reply (RFC 3261 17.1.1.3)."""
        if branch.data is None or branch.dest is None:
            return
        try:
            data = build_ack(branch.request(), reply).serialize()
        except (SipParseError, ValueError) as exc:
            log.err("%s.%d: cannot build the ACK: %s", branch.txn.name, branch.index, exc)
            return
        self.transports.send(data, branch.dest)

    # -- replies --------------------------------------------------------------------------

    def receive(self, branch: Branch, reply: Response) -> None:
        """A reply whose top Via carries ``branch``'s id."""
        txn = branch.txn
        method = reply.cseq.method
        if method == "CANCEL":  # the answer to our CANCEL: stop retransmitting it
            _cancel(branch.cancel_timer)
            branch.cancel_timer = None
            self.counters.rpl_absorbed.inc()
            return
        if method != txn.method:
            self.counters.rpl_absorbed.inc()
            return
        self.counters.rpl_received.inc()
        if not branch.pending:
            self._late(branch, reply)
            return
        keep = True
        hook = txn.hooks.reply
        if hook is not None:
            try:
                keep = hook(txn, branch, reply) is not False
            except Exception:
                log.err("%s: reply hook failed", txn.name, exc_info=True)
        if reply.status < 200:
            self._provisional(branch, reply, keep)
        else:
            self._final(branch, reply)

    def _late(self, branch: Branch, reply: Response) -> None:
        """A reply on an ended branch: a retransmission, or one after a local timeout."""
        txn = branch.txn
        status = reply.status
        if txn.invite and status >= 300:
            self._send_ack(branch, reply)
        if txn.invite and 200 <= status < 300:
            self.events.branch_2xx_again(branch, reply)
            return
        if txn.invite and status < 200 and branch.local and not branch.cancel_sent \
                and branch.sent:
            self._send_cancel(branch, local_reasons(txn, REASON_TIMEOUT))
        self.counters.rpl_absorbed.inc()

    def _provisional(self, branch: Branch, reply: Response, keep: bool) -> None:
        txn = branch.txn
        settings = txn.settings
        first = not branch.provisional
        branch.provisional = True
        if branch.state == CALLING:
            branch.state = BRANCH_PROCEEDING
        if txn.invite:
            _cancel(branch.retr_timer)
            branch.retr_timer = None
            if (first or settings.restart_fr) and not branch.cancel_sent:
                _cancel(branch.fr_timer)
                branch.fr_timer = self.clock.call_later(settings.fr_inv,
                                                        lambda: self.timeout(branch))
            if branch.cancel_pending:
                self._send_cancel(branch, branch.cancel_reasons)
        self.events.branch_provisional(branch, reply, keep)


def _cancel(timer: Any) -> None:
    if timer is not None:
        timer.cancel()
