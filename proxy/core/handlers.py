"""The hook where routing plugs in, and the routing kamproxy does until it does.

The core calls a :class:`RequestHandler` for every received request that passed the
checks (parsed, sane, received/rport applied, not an ACK of our own reply) and a
:class:`ReplyHandler` for every received reply. A handler may do its work at once and
return None (cheapest), or return an awaitable: the core runs it as a task and counts
and logs an exception from it (``err_requests``/``err_replies``). Install handlers with
:meth:`~proxy.core.core.SipCore.set_handlers`; tm installs its own, and the routing
script runs from tm's.

:class:`DefaultRouting` is what runs before that:

1. Max-Forwards 0: ``483 Too Many Hops`` (RFC 3261 16.3 item 3; Kamailio's default
   config does the same, OPTIONS included).
2. One of our Vias carries the request's loop hash: ``482 Loop Detected``.
3. Request-URI is this proxy (see :mod:`proxy.core.myself`): OPTIONS without a user
   part gets ``200 OK`` with ``Allow`` and ``Accept``; an ACK is absorbed; a CANCEL gets
   ``481``; anything else gets ``404 Not Found`` (there is no user location yet).
4. Anything else is relayed statelessly to the Request-URI; when that would reach this
   proxy after all (a name of ours that is not an alias): ``482 Loop Detected`` and a
   warning suggesting the alias. DNS failure: ``478``; no socket or send failure:
   ``477``.

Replies are relayed statelessly (:meth:`~proxy.core.core.SipCore.forward_reply`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, Protocol

from proxy.sip import Request, Response
from proxy.transport import ReceiveInfo

if TYPE_CHECKING:
    from proxy.core.core import SipCore

#: what OPTIONS to the proxy says it allows
ALLOW = ("INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, MESSAGE, INFO, "
         "PRACK, UPDATE, REFER, PUBLISH")
ACCEPT = "*/*"


class RequestHandler(Protocol):
    """Called with each received request; may return an awaitable to finish later."""

    def __call__(self, request: Request, info: ReceiveInfo) -> Awaitable[None] | None: ...


class ReplyHandler(Protocol):
    """Called with each received reply; may return an awaitable to finish later."""

    def __call__(self, reply: Response, info: ReceiveInfo) -> Awaitable[None] | None: ...


class Replier(Protocol):
    """Sends a reply to a request: ``SipCore.reply``, or tm's stateful reply."""

    def __call__(
        self,
        request: Request,
        info: ReceiveInfo | None,
        code: int,
        reason: str | None = None,
        *,
        headers: Iterable[tuple[str, str]] = (),
    ) -> object: ...


class DefaultRouting:
    """Answer OPTIONS to us, refuse hops and loops, relay the rest statelessly."""

    def __init__(self, core: SipCore) -> None:
        self.core = core

    def request(self, request: Request, info: ReceiveInfo) -> Awaitable[None] | None:
        core = self.core
        if request.max_forwards == 0:
            core.reply(request, info, 483, "Too Many Hops")
            return None
        if core.detect_loop(request):
            core.reply(request, info, 482, "Loop Detected")
            return None
        if core.is_myself(request.ruri):
            if request.method == "ACK":
                return None
            if request.method == "OPTIONS" and request.ruri.user is None:
                core.reply(request, info, 200, "OK", headers=[("Allow", ALLOW),
                                                            ("Accept", ACCEPT)])
            elif request.method == "CANCEL":  # nothing here to cancel: no transactions
                core.reply(request, info, 481, "Call/Transaction Does Not Exist")
            else:
                core.reply(request, info, 404, "Not Found")
            return None
        return core.forward(request, info)

    def reply(self, reply: Response, info: ReceiveInfo) -> Awaitable[None] | None:
        self.core.forward_reply(reply, info)
        return None
