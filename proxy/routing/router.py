"""Running the script: tm's request router, and the hooks of each transaction.

For each request tm hands over (:meth:`Router.request`), the *current* script's
``request_route`` runs with a fresh :class:`~proxy.routing.message.SipMsg`. When the
request gets a transaction, the transaction is bound (:meth:`Router.bind`) to that
script: its ``branch_route``, ``reply_route`` and ``failure_route`` are the ones of the
script the request started with, even after a reload. Replies that match no
transaction pass the current script's ``reply_route`` and are relayed statelessly.

A hook may be a plain function or a coroutine function (``async def``) for
``request_route`` and ``failure_route``; ``branch_route`` and ``reply_route`` must not
wait (they run while tm sends a branch or relays a reply): an awaitable they return
is an error, logged.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Mapping
from typing import Any

from proxy.core import SipCore
from proxy.log import get_logger
from proxy.routing.api import RoutingApi
from proxy.routing.message import BRANCH, FAILURE, REPLY, REQUEST, RoutingState, SipMsg
from proxy.routing.rr import add_record_route
from proxy.routing.script import Script, Scripts
from proxy.sip import Request, Response
from proxy.tm import Branch, Target, Transaction, TransactionManager
from proxy.transport import Destination, ReceiveInfo

log = get_logger("routing")

STATE = "routing"


class Router:
    """The routing layer of one kamproxy."""

    def __init__(self, core: SipCore, tm: TransactionManager, modules: Any,
                 config: Mapping[str, Any], script_path: str | None) -> None:
        self.core = core
        self.tm = tm
        self.api = RoutingApi(self, core, tm, modules, config)
        self.scripts = Scripts(script_path, self.api)
        self._tasks: set[asyncio.Future[Any]] = set()

    def start(self) -> None:
        """Load the script (ScriptError when it cannot be used) and take the traffic."""
        self.scripts.load()
        self.tm.set_router(request=self.request, reply=self.reply)
        self.tm.install()

    # -- requests ----------------------------------------------------------------------

    def request(self, request: Request, info: ReceiveInfo,
                txn: Transaction | None) -> Awaitable[None] | None:
        """tm's request router: the current script's request_route."""
        script = self.scripts.current
        state = RoutingState(script)
        msg = SipMsg(request, info, txn, REQUEST, state)
        if txn is not None:
            self.bind(txn, state)
        try:
            result = script.request_route(msg)
        except Exception:
            self._failed(msg)
            return None
        return self._later(msg, result) if inspect.isawaitable(result) else None

    async def _later(self, msg: SipMsg, result: Awaitable[Any]) -> None:
        try:
            await result
        except Exception:
            self._failed(msg)

    def _failed(self, msg: SipMsg) -> None:
        """request_route raised: log it, count it, and answer what has no answer yet
        (tm.default_code, default_reason)."""
        request = msg.request
        self.core.counters.err_requests.inc()
        log.err("request_route failed on %s %s (Call-ID %s)", request.method,
                request.ruri_text, request.get_header("call-id"), exc_info=True)
        if msg.replied or request.method == "ACK" or (msg.txn and msg.txn.branches):
            return
        params = self.core.params
        self.api.reply(msg, params.get_int("tm", "default_code"),
                       params.get_str("tm", "default_reason"))

    def bind(self, txn: Transaction, state: RoutingState) -> None:
        """Tie ``txn`` to the routing state (and so the script) it started with."""
        if STATE in txn.data:
            return
        txn.data[STATE] = state
        hooks = txn.hooks
        hooks.outgoing = self._outgoing
        script = state.script
        if script.branch_route is not None:
            hooks.branch = self._branch
        if script.reply_route is not None:
            hooks.reply = self._reply_hook
        if script.failure_route is not None:
            hooks.failure = self._failure

    # -- transaction hooks ---------------------------------------------------------------

    @staticmethod
    def _state(txn: Transaction) -> RoutingState:
        state = txn.data[STATE]
        assert isinstance(state, RoutingState)
        return state

    def _outgoing(self, txn: Transaction, request: Request, dest: Destination) -> None:
        params = self._state(txn).record_route
        if params is None or txn.info is None or dest.socket is None:
            return
        add_record_route(request, txn.info.socket, dest.socket, txn.info.src_host, dest.host,
                         params)

    def _branch(self, txn: Transaction, request: Request, target: Target,
                index: int) -> Target | None:
        state = self._state(txn)
        hook = state.script.branch_route
        assert hook is not None
        msg = SipMsg(request, txn.info, txn, BRANCH, state)
        msg.dst_uri = target.dst_uri
        msg.socket = target.socket
        msg.branch_index = index
        self._no_wait(hook(msg), "branch_route")
        if msg.dropped:
            return None
        return Target(None, msg.dst_uri, (), msg.socket)

    def _reply_hook(self, txn: Transaction, branch: Branch, reply: Response) -> bool:
        state = self._state(txn)
        hook = state.script.reply_route
        assert hook is not None
        msg = SipMsg(reply, None, txn, REPLY, state)
        msg.branch_index = branch.index
        self._no_wait(hook(msg), "reply_route")
        return not msg.dropped

    def _failure(self, txn: Transaction, reply: Response) -> Awaitable[None] | None:
        state = self._state(txn)
        hook = state.script.failure_route
        assert hook is not None
        msg = SipMsg(txn.request, txn.info, txn, FAILURE, state)
        msg.reply = SipMsg(reply, None, txn, REPLY, state)
        result = hook(msg)
        return result if inspect.isawaitable(result) else None

    def _no_wait(self, result: Any, name: str) -> None:
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()
            log.err("%s must not be a coroutine (it cannot wait); its result is ignored",
                    name)

    # -- replies without a transaction -----------------------------------------------------

    def reply(self, reply: Response, info: ReceiveInfo) -> Awaitable[None] | None:
        """Replies that match no transaction: reply_route, then relayed statelessly."""
        script = self.scripts.current
        if script.reply_route is not None:
            msg = SipMsg(reply, info, None, REPLY, RoutingState(script))
            try:
                self._no_wait(script.reply_route(msg), "reply_route")
            except Exception:
                log.err("reply_route failed", exc_info=True)
            if msg.dropped:
                return None
        self.core.forward_reply(reply, info)
        return None

    # -- helpers ---------------------------------------------------------------------------

    def spawn(self, result: Awaitable[None]) -> None:
        task = asyncio.ensure_future(result)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def script(self) -> Script:
        return self.scripts.current
