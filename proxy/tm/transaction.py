"""What one stateful transaction holds: the server side and its branches.

A :class:`Transaction` is Kamailio's transaction "cell": the server transaction of a
received request (RFC 3261 17.2: its state, the last reply sent, for retransmissions)
and one :class:`Branch` per destination the request was relayed to (17.1: a client
transaction each). A local transaction (a request kamproxy sends itself, such as a
keepalive probe) has branches but no server side.

The logic lives in :mod:`proxy.tm.manager`; these classes only hold state. Upper
layers read ``txn.request``, ``txn.info``, ``txn.branches``, ``txn.canceled``,
``txn.final_status`` and keep their own per-transaction data in ``txn.data``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from proxy.sip import Request, Response, parse_message
from proxy.tm.clock import TimerHandle
from proxy.tm.params import TmSettings
from proxy.transport import Destination, ReceiveInfo, SocketInfo

#: server transaction states (RFC 3261 17.2; ACCEPTED is RFC 6026's, after a 2xx)
TRYING, PROCEEDING, COMPLETED, CONFIRMED, ACCEPTED, TERMINATED = (
    "trying", "proceeding", "completed", "confirmed", "accepted", "terminated")

#: branch states
SENDING, CALLING, BRANCH_PROCEEDING, BRANCH_COMPLETED = (
    "sending", "calling", "proceeding", "completed")

#: most branches one transaction may have (Kamailio's default max_branches)
MAX_BRANCHES = 12


@dataclass(frozen=True, slots=True)
class Target:
    """Where one branch goes.

    Attributes:
        uri: the branch's Request-URI (None: the request's own).
        dst_uri: send there instead of the Request-URI (outbound proxy, next Route,
            a NATed contact's source), or None.
        path: Route header values to put on top, top first (RFC 3327 Path).
        socket: send from this socket (None: chosen by protocol and family).
    """

    uri: str | None = None
    dst_uri: str | None = None
    path: tuple[str, ...] = ()
    socket: SocketInfo | None = None


@dataclass(slots=True)
class TxnHooks:
    """What the routing layer runs for one transaction (the script it started with).

    * ``branch(txn, request, target, index)`` before a branch is sent: may change the
      branch request; returns the (possibly new) target, or None to drop the branch;
    * ``outgoing(txn, request, dest)`` right before sending, when the destination and
      the socket it leaves from (``dest.socket``) are known (record-routing adds its
      headers here);
    * ``reply(txn, branch, reply)`` for each reply received on a branch; returning
      False drops a provisional reply;
    * ``failure(txn, reply)`` when every branch ended with a negative final reply: may
      relay again (serial forking) or reply; may return an awaitable;
    * ``done(txn)`` when request routing (which may have been asynchronous) ended.
    """

    branch: Callable[[Transaction, Request, Target, int], Target | None] | None = None
    outgoing: Callable[[Transaction, Request, Destination], None] | None = None
    reply: Callable[[Transaction, Branch, Response], bool] | None = None
    failure: Callable[[Transaction, Response], Awaitable[None] | None] | None = None


class Branch:
    """One client transaction of a proxy transaction."""

    __slots__ = (
        "txn", "index", "id", "target", "data", "dest", "state", "status", "reply",
        "local", "provisional", "cancel_pending", "cancel_reasons", "cancel_sent", "cancel_request",
        "retr_timer", "fr_timer", "cancel_timer", "interval", "cancel_interval",
    )

    def __init__(self, txn: Transaction, index: int, branch_id: str, target: Target) -> None:
        self.txn = txn
        self.index = index
        self.id = branch_id
        self.target = target
        #: the request as sent (our Via on top), None until sent; kept as bytes (a
        #: retransmission sends them again; CANCEL and ACK parse them when needed)
        self.data: bytes | None = None
        self.dest: Destination | None = None
        self.state = SENDING
        #: final status (0 while pending); ``local``: generated here (timeout, error)
        self.status = 0
        self.reply: Response | None = None
        self.local = False
        self.provisional = False
        self.cancel_pending = False
        self.cancel_reasons: list[str] = []
        self.cancel_sent = False
        self.cancel_request: bytes | None = None
        self.retr_timer: TimerHandle | None = None
        self.fr_timer: TimerHandle | None = None
        self.cancel_timer: TimerHandle | None = None
        self.interval = 0.0
        self.cancel_interval = 0.0

    @property
    def pending(self) -> bool:
        """No final reply yet."""
        return self.state != BRANCH_COMPLETED

    @property
    def sent(self) -> bool:
        return self.data is not None and self.dest is not None

    def request(self) -> Request:
        """The request as sent (parsed again from :attr:`data`)."""
        assert self.data is not None
        parsed = parse_message(self.data)
        assert isinstance(parsed, Request)
        return parsed

    def __repr__(self) -> str:
        return f"<Branch {self.txn.name}.{self.index} {self.state} {self.status or ''}>"


class Transaction:
    """A server transaction and its branches, or a local client transaction."""

    __slots__ = (
        "key", "seq", "name", "method", "invite", "request", "info", "reply_dest",
        "settings", "state", "branches", "last_reply", "last_status", "to_tag", "local",
        "hooks", "canceled", "cancel_reason", "routing", "failure_mark", "waiting",
        "retr_timer", "end_timer", "life_timer", "wait_timer", "interval", "result",
        "data", "created", "freed", "next_index",
    )

    def __init__(self, key: tuple[str, ...] | None, seq: int, request: Request,
                 info: ReceiveInfo | None, reply_dest: Destination | None,
                 settings: TmSettings, to_tag: str, now: float) -> None:
        self.key = key
        self.seq = seq
        self.name = f"T{seq:x}"
        self.method = request.method
        self.invite = self.method == "INVITE"
        #: the request as received (replies are built from it)
        self.request = request
        self.info = info
        self.reply_dest = reply_dest
        self.settings = settings
        self.state = PROCEEDING if self.invite else TRYING
        self.branches: list[Branch] = []
        #: the last reply sent upstream (re-sent for a retransmitted request)
        self.last_reply: bytes | None = None
        self.last_status = 0
        self.to_tag = to_tag
        self.local = info is None and reply_dest is None
        self.hooks = TxnHooks()
        self.canceled = False
        self.cancel_reason: list[str] = []
        #: request routing (or a failure hook) still runs: do not finish yet
        self.routing = False
        #: how many branches existed when the failure hook last ran
        self.failure_mark = -1
        self.waiting = False
        self.retr_timer: TimerHandle | None = None
        self.end_timer: TimerHandle | None = None
        self.life_timer: TimerHandle | None = None
        self.wait_timer: TimerHandle | None = None
        self.interval = 0.0
        #: local transactions: resolved with the final reply
        self.result: asyncio.Future[Response] | None = None
        #: the routing layer's per-transaction data (the script's msg.vars, ...)
        self.data: dict[str, Any] = {}
        self.created = now
        self.freed = False
        #: the number of the next branch (dropped branches use one too)
        self.next_index = 0

    @property
    def final_sent(self) -> bool:
        return self.last_status >= 200

    @property
    def final_status(self) -> int:
        """The final status sent upstream (local: received), 0 before."""
        return self.last_status if self.last_status >= 200 else 0

    def pending_branches(self) -> list[Branch]:
        return [b for b in self.branches if b.pending]

    def __repr__(self) -> str:
        return f"<Transaction {self.name} {self.method} {self.state}>"
