"""Stateful transactions (layer 4): matching, relaying, forking, timers, replies.

:class:`TransactionManager` installs itself as the core's request and reply handler.

Requests (RFC 3261 17.2.3 matching by top Via branch and sent-by, and method):

* a retransmission of a request whose transaction exists gets the last reply again
  (or nothing yet) and goes no further; one whose (asynchronous) routing still runs is
  dropped;
* an ACK matching an INVITE answered with a negative final reply ends that
  transaction's retransmissions and is absorbed (hop by hop); any other ACK (the ACK
  of a 2xx, end to end) goes to routing;
* a CANCEL matching an INVITE gets ``200 canceling``, the INVITE's pending branches
  are cancelled, and the INVITE ends with the branches' 487 (or a local 487); an
  unmatched CANCEL goes by ``tm.unmatched_cancel``;
* a new INVITE gets its transaction at once and ``100 Trying`` (``tm.auto_inv_100``);
  other requests get one when routing relays or answers them statefully;
* then the request router (the routing layer) runs; it may return an awaitable.

Branches: :meth:`TransactionManager.relay` sends the request to one or more
:class:`~proxy.tm.transaction.Target` s (parallel forking); the branches themselves
(client transactions) are :class:`~proxy.tm.client.Branches`'. Each retransmits over
UDP (T1 doubling up to T2; INVITE until a provisional reply) and times out after
``fr_timer`` (INVITE: ``fr_inv_timer`` once a provisional reply came) with a local
408. A send error ends a branch with a local reply (477 send failed, 478
unresolvable, 483, 482). Provisional replies (but 100) and every 2xx are relayed at
once; a 2xx or 6xx to an INVITE cancels the other branches. When every branch ended
negatively the failure hook runs (it may relay again: serial forking) and then the
best reply (:mod:`proxy.tm.select`) goes upstream; a cancelled INVITE ends with 487.
A negative final reply on an INVITE branch is ACKed here.

A transaction is freed ``wt_timer`` after it completed (after the ACK, or timer H,
for a negative reply to an INVITE over UDP, which is retransmitted meanwhile).
Every timer value comes from :class:`~proxy.tm.params.TmSettings`, read when the
transaction is created; time comes from a :class:`~proxy.tm.clock.Clock`.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from proxy.cfg.params import Snapshot
from proxy.core import SipCore, Statistics, reply_destination
from proxy.log import get_logger
from proxy.sip import Request, Response, SipParseError
from proxy.tm.client import REASON_2XX, REASON_6XX, Branches, local_reasons
from proxy.tm.client import reason as reason_value
from proxy.tm.clock import Clock, LoopClock
from proxy.tm.messages import Ids, is_tm_branch, local_reply, server_key
from proxy.tm.params import SettingsCache
from proxy.tm.select import aggregate_challenges, best_reply
from proxy.tm.stats import TmCounters
from proxy.tm.transaction import (
    ACCEPTED,
    COMPLETED,
    CONFIRMED,
    MAX_BRANCHES,
    PROCEEDING,
    TERMINATED,
    TRYING,
    Branch,
    Target,
    Transaction,
)
from proxy.transport import ReceiveInfo

log = get_logger("tm")

Key = tuple[str, ...]
#: the routing layer: (request, how it came, its transaction or None) -> None/awaitable
RequestRouter = Callable[[Request, ReceiveInfo, Transaction | None], Awaitable[None] | None]
#: replies that belong to no transaction: (reply, how it came) -> None/awaitable
ReplyRouter = Callable[[Response, ReceiveInfo], Awaitable[None] | None]

CANCEL_200_REASON = "canceling"


class TransactionManager:
    """Every transaction of one kamproxy."""

    def __init__(self, core: SipCore, params: Snapshot, stats: Statistics,
                 clock: Clock | None = None, *, ids: Ids | None = None) -> None:
        self.core = core
        self.transports = core.transports
        self.params = params
        self.settings = SettingsCache(params)
        self.clock: Clock = clock or LoopClock()
        self.ids = ids or Ids()
        #: server transactions by key
        self.table: dict[Key, Transaction] = {}
        #: keys whose routing (asynchronous) still runs: retransmissions are dropped
        self.busy: set[Key] = set()
        self._seq = itertools.count(1)
        self._alive = 0
        self._waiting = 0
        self.counters = TmCounters(stats, lambda: self._alive, lambda: self._waiting)
        #: the client side: every branch by its id (server and local transactions)
        self.client = Branches(core, self.clock, self.ids, self.counters, self, self._spawn)
        self.branches = self.client.table
        self.request_router: RequestRouter = self._default_router
        self.reply_router: ReplyRouter | None = None
        self._tasks: set[asyncio.Future[Any]] = set()

    # -- wiring ----------------------------------------------------------------------

    def install(self) -> None:
        """Become the core's request and reply handler."""
        self.core.set_handlers(request=self.on_request, reply=self.on_reply)

    def set_router(self, request: RequestRouter | None = None,
                   reply: ReplyRouter | None = None) -> None:
        """Who routes requests (None: the core's stateless default routing) and
        replies that match no transaction (None: relayed statelessly)."""
        self.request_router = request or self._default_router
        self.reply_router = reply

    def _default_router(self, request: Request, info: ReceiveInfo,
                        txn: Transaction | None) -> Awaitable[None] | None:
        return self.core.default_routing.request(request, info)

    @property
    def alive(self) -> int:
        return self._alive

    @property
    def waiting(self) -> int:
        return self._waiting

    def rpc_stats(self) -> dict[str, int]:
        return self.counters.rpc_stats()

    # -- requests -------------------------------------------------------------------

    def on_request(self, request: Request, info: ReceiveInfo) -> Awaitable[None] | None:
        """The core's request handler."""
        method = request.method
        if method == "ACK":
            return self._on_ack(request, info)
        if method == "CANCEL":
            return self._on_cancel(request, info)
        key = server_key(request, method)
        txn = self.table.get(key)
        if txn is not None:
            self._retransmitted(txn)
            return None
        if key in self.busy:
            log.dbg("retransmitted %s %s dropped: still being routed", method,
                    request.ruri_text)
            return None
        if method == "INVITE":
            txn = self._new_server(request, info, key)
            if txn.settings.auto_100:
                self.reply(txn, 100, txn.settings.auto_100_reason)
            return self._route(request, info, txn, key)
        return self._route(request, info, None, key)

    def _route(self, request: Request, info: ReceiveInfo, txn: Transaction | None,
               key: Key | None) -> Awaitable[None] | None:
        if txn is not None:
            txn.routing = True
        try:
            result = self.request_router(request, info, txn)
        except Exception:
            self._route_failed(request, info, key)
            result = None
        if result is None:
            self._routed(key)
            return None
        if key is not None:
            self.busy.add(key)
        return self._route_later(result, request, info, key)

    async def _route_later(self, result: Awaitable[None], request: Request,
                           info: ReceiveInfo, key: Key | None) -> None:
        try:
            await result
        except Exception:
            self._route_failed(request, info, key)
        finally:
            if key is not None:
                self.busy.discard(key)
        self._routed(key)

    def _route_failed(self, request: Request, info: ReceiveInfo, key: Key | None) -> None:
        """The router raised: log it and answer what has no answer yet (tm.default_code)."""
        self.core.counters.err_requests.inc()
        log.err("routing %s %s (Call-ID %s) failed", request.method, request.ruri_text,
                request.get_header("call-id"), exc_info=True)
        code = self.params.get_int("tm", "default_code")
        reason = self.params.get_str("tm", "default_reason")
        txn = self.table.get(key) if key is not None else None
        if txn is not None:
            if not txn.branches and not txn.final_sent:
                self.reply(txn, code, reason)
        elif request.method != "ACK":
            self.core.reply(request, info, code, reason)

    def _routed(self, key: Key | None) -> None:
        """Request routing ended: finish what it left."""
        txn = self.table.get(key) if key is not None else None
        if txn is None or not txn.routing:
            return
        txn.routing = False
        if txn.freed:
            return
        if not txn.branches and not txn.final_sent:
            if txn.canceled:
                self.reply(txn, 487, "Request Terminated")
                return
            log.dbg("%s: routing ended without a reply or a relay: dropped", txn.name)
            self._free(txn)
            return
        self._check_done(txn)
        self._maybe_wait(txn)

    def _retransmitted(self, txn: Transaction) -> None:
        """A retransmitted request: the last reply again (RFC 3261 17.2.1, 17.2.2)."""
        if txn.last_reply is not None and txn.reply_dest is not None:
            log.dbg("%s: retransmitted %s, last reply %d sent again", txn.name, txn.method,
                    txn.last_status)
            self.transports.send(txn.last_reply, txn.reply_dest)
        else:
            log.dbg("%s: retransmitted %s absorbed", txn.name, txn.method)

    def _on_ack(self, request: Request, info: ReceiveInfo) -> Awaitable[None] | None:
        txn = self.table.get(server_key(request, "INVITE"))
        if txn is not None and txn.last_status >= 300:
            self._ack_received(txn)
            return None
        if self.ids.is_own_tag(request.to.tag):
            log.dbg("ACK of a local reply absorbed")
            return None
        return self._route(request, info, None, None)

    def _ack_received(self, txn: Transaction) -> None:
        if txn.state == COMPLETED:
            log.dbg("%s: ACK received", txn.name)
            txn.state = CONFIRMED
            _cancel(txn.retr_timer)
            _cancel(txn.end_timer)
            txn.retr_timer = txn.end_timer = None
            self._maybe_wait(txn)

    def _on_cancel(self, request: Request, info: ReceiveInfo) -> Awaitable[None] | None:
        ckey = server_key(request, "CANCEL")
        ctxn = self.table.get(ckey)
        if ctxn is not None:
            self._retransmitted(ctxn)
            return None
        invite = self.table.get(server_key(request, "INVITE"))
        if invite is None:
            mode = self.params.get_int("tm", "unmatched_cancel")
            if mode == 2:
                log.dbg("unmatched CANCEL %s dropped", request.ruri_text)
                return None
            if mode == 1:
                return self.core.forward(request, info)
            return self._route(request, info, None, ckey)
        ctxn = self._new_server(request, info, ckey)
        self.reply(ctxn, 200, CANCEL_200_REASON)
        reasons = request.get_headers("reason") if invite.settings.e2e_cancel_reason else []
        self.cancel(invite, reasons)
        return None

    # -- transactions ---------------------------------------------------------------

    def _new_server(self, request: Request, info: ReceiveInfo, key: Key) -> Transaction:
        seq = next(self._seq)
        settings = self.settings.get()
        txn = Transaction(key, seq, request, info, reply_destination(request, info), settings,
                          self.ids.to_tag(seq), self.clock.now())
        self.table[key] = txn
        self._alive += 1
        self.counters.created.inc()
        self.counters.uas.inc()
        txn.life_timer = self.clock.call_later(settings.lifetime(txn.invite),
                                               lambda: self._lifetime_over(txn))
        log.dbg("%s: new %s transaction from %s (Call-ID %s)", txn.name, txn.method,
                info.source, request.get_header("call-id"))
        return txn

    def find(self, request: Request) -> Transaction | None:
        """The server transaction of ``request`` (for ACK and CANCEL: of its INVITE)."""
        method = request.method
        return self.table.get(server_key(request, "INVITE" if method in ("ACK", "CANCEL")
                                         else method))

    def transaction_for(self, request: Request, info: ReceiveInfo) -> Transaction:
        """The server transaction of ``request``, created if needed (while routing it)."""
        key = server_key(request, request.method)
        txn = self.table.get(key)
        if txn is None:
            txn = self._new_server(request, info, key)
            txn.routing = True
        return txn

    def _free(self, txn: Transaction) -> None:
        if txn.freed:
            return
        txn.freed = True
        if txn.key is not None and self.table.get(txn.key) is txn:
            del self.table[txn.key]
        self.client.forget(txn)
        for timer in (txn.retr_timer, txn.end_timer, txn.life_timer, txn.wait_timer):
            _cancel(timer)
        if txn.waiting:
            self._waiting -= 1
        self._alive -= 1
        self.counters.freed.inc()
        if txn.result is not None and not txn.result.done():
            txn.result.cancel()
        log.dbg("%s: freed", txn.name)

    def _maybe_wait(self, txn: Transaction) -> None:
        """Put a completed transaction on wait (wt_timer), then free it."""
        if txn.freed or txn.waiting or txn.routing:
            return
        if txn.local:
            if not txn.branches or any(b.pending for b in txn.branches):
                return
        elif not txn.final_sent or (txn.invite and txn.state == COMPLETED):
            return  # no final reply yet, or a negative one to an INVITE awaits its ACK
        if any(b.pending for b in txn.branches):
            return
        txn.waiting = True
        self._waiting += 1
        _cancel(txn.life_timer)
        txn.life_timer = None
        txn.wait_timer = self.clock.call_later(txn.settings.wait, lambda: self._free(txn))

    def _lifetime_over(self, txn: Transaction) -> None:
        """max_inv_lifetime / max_noninv_lifetime passed without a final reply."""
        txn.life_timer = None
        if txn.freed or txn.final_sent:
            return
        log.dbg("%s: lifetime over", txn.name)
        pending = txn.pending_branches()
        for branch in pending:
            self.client.timeout(branch, check=False)
        if pending:
            self._check_done(txn)
        elif not txn.local:
            self.reply(txn, 408, "Request Timeout")
        self._maybe_wait(txn)

    # -- replies upstream -------------------------------------------------------------

    def reply(self, txn: Transaction, code: int, reason: str | None = None, *,
              headers: Iterable[tuple[str, str]] = (), body: bytes = b"",
              content_type: str | None = None) -> bool:
        """Send a local reply on ``txn`` (the script's, or tm's own); False when the
        transaction already has its final reply (or is local)."""
        if txn.freed or txn.reply_dest is None or (txn.final_sent and code >= 200):
            return False
        if code < 200 and txn.final_sent:
            return False
        try:
            resp = local_reply(txn.request, code, reason, txn.to_tag, self.core.sl.server,
                               headers, body, content_type)
        except (ValueError, SipParseError) as exc:
            log.err("%s: cannot build a %d reply: %s", txn.name, code, exc)
            return False
        self.counters.rpl_generated.inc()
        self._send_up(txn, resp.serialize(), code)
        if code >= 200:
            value = reason_value(code, resp.reason)
            for branch in txn.pending_branches():
                if txn.invite:
                    self.client.cancel(branch, [value])
            self._maybe_wait(txn)
        return True

    def _relay_up(self, txn: Transaction, reply: Response) -> None:
        """Relay a branch's reply upstream: our Via off, to the request's sender."""
        if txn.reply_dest is None:
            return
        try:
            reply.pop_via()
        except SipParseError:
            return
        self.counters.rpl_relayed.inc()
        self._send_up(txn, reply.serialize(), reply.status)

    def _send_up(self, txn: Transaction, data: bytes, status: int) -> None:
        assert txn.reply_dest is not None
        self.transports.send(data, txn.reply_dest)
        self.counters.rpl_sent.inc()
        if txn.final_sent:
            return  # another 2xx of a forked INVITE: relayed, the state stays
        txn.last_reply = data
        txn.last_status = status
        if status < 200:
            if txn.state == TRYING:
                txn.state = PROCEEDING
            return
        self.counters.completed(status)
        log.dbg("%s: final reply %d sent", txn.name, status)
        if not txn.invite:
            txn.state = COMPLETED
        elif status < 300:
            txn.state = ACCEPTED
        else:
            txn.state = COMPLETED
            if txn.reply_dest.proto == "udp":
                settings = txn.settings
                txn.interval = settings.t1
                txn.retr_timer = self.clock.call_later(settings.t1,
                                                       lambda: self._retransmit_final(txn))
                txn.end_timer = self.clock.call_later(64 * settings.t1,
                                                      lambda: self._ack_timeout(txn))
            else:
                txn.state = CONFIRMED  # reliable: no retransmissions; an ACK is absorbed

    def _retransmit_final(self, txn: Transaction) -> None:
        """Timer G: the negative final reply to an INVITE again, until the ACK."""
        txn.retr_timer = None
        if txn.freed or txn.state != COMPLETED or txn.last_reply is None:
            return
        assert txn.reply_dest is not None
        self.transports.send(txn.last_reply, txn.reply_dest)
        txn.interval = min(txn.interval * 2, txn.settings.t2)
        txn.retr_timer = self.clock.call_later(txn.interval, lambda: self._retransmit_final(txn))

    def _ack_timeout(self, txn: Transaction) -> None:
        """Timer H: no ACK came."""
        txn.end_timer = None
        if txn.freed or txn.state != COMPLETED:
            return
        log.dbg("%s: no ACK for the final reply", txn.name)
        _cancel(txn.retr_timer)
        txn.retr_timer = None
        txn.state = TERMINATED
        self._maybe_wait(txn)

    # -- cancelling -------------------------------------------------------------------

    def cancel(self, txn: Transaction, reasons: Sequence[str] = ()) -> None:
        """Cancel an INVITE transaction: CANCEL every pending branch; it ends with 487."""
        if txn.freed or txn.final_sent or not txn.invite:
            return
        log.dbg("%s: cancelled", txn.name)
        txn.canceled = True
        txn.cancel_reason = list(reasons)
        for branch in txn.pending_branches():
            self.client.cancel(branch, txn.cancel_reason)
        if not txn.branches and not txn.routing:
            self.reply(txn, 487, "Request Terminated")

    # -- branches -----------------------------------------------------------------------

    def relay(self, txn: Transaction, targets: Sequence[Target] = (Target(),)) -> int:
        """Send ``txn.request`` (as routing left it) to each target, one branch each.

        Returns how many branches were started. A branch that cannot be sent ends at
        once with a local reply (and the failure hook may try others). A cancelled
        transaction is not relayed (it gets its 487).
        """
        if txn.freed or (txn.final_sent and not txn.local):
            return 0
        if txn.canceled:
            if not txn.pending_branches():
                self.reply(txn, 487, "Request Terminated")
            return 0
        started = 0
        for target in targets:
            if txn.next_index >= MAX_BRANCHES:
                log.warn("%s: not relaying to %s: already %d branches", txn.name,
                         target.uri or txn.request.ruri_text, MAX_BRANCHES)
                break
            if self.client.start(txn, target):
                started += 1
        return started

    # -- replies from branches --------------------------------------------------------

    def on_reply(self, reply: Response, info: ReceiveInfo) -> Awaitable[None] | None:
        """The core's reply handler."""
        branch_id = reply.via.branch
        branch = self.client.get(branch_id)
        if branch is None:
            return self._unmatched_reply(reply, info, branch_id)
        self.client.receive(branch, reply)
        return None

    def _unmatched_reply(self, reply: Response, info: ReceiveInfo,
                         branch_id: str | None) -> Awaitable[None] | None:
        if is_tm_branch(branch_id):
            # ours, but the transaction is gone: a late 2xx still reaches the caller
            if 200 <= reply.status < 300 and reply.cseq.method == "INVITE":
                self.core.forward_reply(reply, info)
            else:
                self.counters.rpl_absorbed.inc()
            return None
        if self.reply_router is not None:
            return self.reply_router(reply, info)
        self.core.forward_reply(reply, info)
        return None

    def branch_provisional(self, branch: Branch, reply: Response, keep: bool) -> None:
        """Relay a provisional reply upstream (but 100, those the reply hook dropped,
        and any after the final reply)."""
        txn = branch.txn
        if txn.local or (reply.status == 100 and not txn.settings.relay_100) or not keep \
                or txn.final_sent:
            self.counters.rpl_absorbed.inc()
            return
        log.dbg("%s.%d: %d relayed", txn.name, branch.index, reply.status)
        self._relay_up(txn, reply)

    def branch_2xx_again(self, branch: Branch, reply: Response) -> None:
        """Every 2xx reaches the caller (RFC 6026), also a late or repeated one."""
        if branch.txn.local:
            self.counters.rpl_absorbed.inc()
            return
        log.dbg("%s.%d: 2xx again: relayed", branch.txn.name, branch.index)
        self._relay_up(branch.txn, reply)

    def branch_final(self, branch: Branch, reply: Response, check: bool) -> None:
        """A branch ended: relay a 2xx at once, cancel the others on 2xx and 6xx, and
        when every branch ended, the failure hook or the best reply."""
        txn = branch.txn
        status = reply.status
        if txn.local:
            if txn.result is not None and not txn.result.done():
                txn.last_status = status
                self.counters.completed(status)
                txn.result.set_result(reply)
            self._maybe_wait(txn)
            return
        if 200 <= status < 300:
            if txn.invite or not txn.final_sent:
                self._relay_up(txn, reply)
            if txn.invite:
                for other in txn.pending_branches():
                    self.client.cancel(other, local_reasons(txn, REASON_2XX))
            self._maybe_wait(txn)
            return
        if status >= 600 and txn.invite and not txn.settings.disable_6xx_block:
            for other in txn.pending_branches():
                self.client.cancel(other, local_reasons(txn, REASON_6XX))
        if check:
            self._check_done(txn)
            self._maybe_wait(txn)

    # -- completing ----------------------------------------------------------------------

    def _check_done(self, txn: Transaction) -> None:
        """Every branch ended negatively: the failure hook, then the best reply."""
        if txn.final_sent or txn.routing or txn.freed or txn.local or not txn.branches:
            return
        if any(b.pending for b in txn.branches):
            return
        finals = [b for b in txn.branches if b.reply is not None and b.status >= 300]
        best = best_reply([b.reply for b in finals if b.reply is not None],
                          [b.reply for b in finals if b.local and b.reply is not None])
        hook = txn.hooks.failure
        if hook is not None and best is not None and not txn.canceled \
                and txn.failure_mark != len(txn.branches):
            txn.failure_mark = len(txn.branches)
            if self._run_failure(txn, best, hook):
                self._check_done(txn)  # the hook may have relayed to branches that failed
            return
        self._send_best(txn, finals, best)

    def _run_failure(self, txn: Transaction, best: Response,
                     hook: Callable[[Transaction, Response], Awaitable[None] | None]) -> bool:
        """Run the failure hook; True when it finished at once."""
        txn.routing = True
        try:
            result = hook(txn, best)
        except Exception:
            log.err("%s: failure hook failed", txn.name, exc_info=True)
            result = None
        if result is None:
            txn.routing = False
            return True
        self._spawn(self._failure_later(txn, result))
        return False

    async def _failure_later(self, txn: Transaction, result: Awaitable[None]) -> None:
        try:
            await result
        except Exception:
            log.err("%s: failure hook failed", txn.name, exc_info=True)
        txn.routing = False
        self._check_done(txn)
        self._maybe_wait(txn)

    def _send_best(self, txn: Transaction, finals: list[Branch], best: Response | None) -> None:
        best_branch = next((b for b in finals if b.reply is best), None)
        if txn.canceled and (best_branch is None or best_branch.local):
            self.reply(txn, 487, "Request Terminated")
            return
        if best is None or best_branch is None:
            self.reply(txn, 408, "Request Timeout")
            return
        if best_branch.local:
            self.counters.rpl_generated.inc()
            self._send_up(txn, best.serialize(), best.status)
        elif best.status == 503:
            self.reply(txn, 500, "Server Internal Error",
                       headers=[("Warning", '399 kamproxy "the next hop answered 503"')])
        else:
            if txn.settings.aggregate_challenges:
                aggregate_challenges(best, [b.reply for b in finals if b.reply is not None])
            self._relay_up(txn, best)
        self._maybe_wait(txn)

    # -- local requests ----------------------------------------------------------------

    async def send_request(self, request: Request, target: Target | None = None) -> Response:
        """Send a request kamproxy makes itself (a client transaction of its own) and
        return its final reply: the one received, or a local 408 (no answer within
        fr_timer), 477 (send failed) or 478 (unresolvable)."""
        seq = next(self._seq)
        settings = self.settings.get()
        txn = Transaction(None, seq, request, None, None, settings, self.ids.to_tag(seq),
                          self.clock.now())
        txn.result = asyncio.get_running_loop().create_future()
        self._alive += 1
        self.counters.created.inc()
        self.counters.uac.inc()
        txn.life_timer = self.clock.call_later(settings.lifetime(txn.invite),
                                               lambda: self._lifetime_over(txn))
        if not self.client.start(txn, target or Target()):
            self._free(txn)
            raise ValueError(f"cannot send {request.method} to {request.ruri_text}")
        return await asyncio.shield(txn.result)

    # -- helpers --------------------------------------------------------------------------

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop every timer and task (kamproxy is stopping)."""
        for txn in list(self.table.values()):
            self._free(txn)
        for branch in list(self.branches.values()):
            self._free(branch.txn)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def listing(self) -> list[dict[str, Any]]:
        """``tm.list``: one entry per transaction."""
        now = self.clock.now()
        out = []
        seen: set[int] = set()
        for txn in [*self.table.values(), *(b.txn for b in self.branches.values())]:
            if id(txn) in seen:
                continue
            seen.add(id(txn))
            request = txn.request
            out.append({
                "tindex": txn.seq,
                "method": txn.method,
                "from": request.get_header("from") or "",
                "to": request.get_header("to") or "",
                "callid": request.get_header("call-id") or "",
                "cseq": request.get_header("cseq") or "",
                "uas_request": not txn.local,
                "state": txn.state,
                "status": txn.final_status,
                "branches": len(txn.branches),
                "canceled": int(txn.canceled),
                "age": round(now - txn.created, 3),
            })
        return out


def _cancel(timer: Any) -> None:
    if timer is not None:
        timer.cancel()


__all__ = ["CONFIRMED", "TERMINATED", "TransactionManager"]
