"""What happens to every received SIP message (layer 3, stateless).

:meth:`SipCore.receive` is the transports' packet handler:

1. parse (lazily: the start line and header lines are split, values are read on use);
   unreadable: ``bad_msg_hdr``, a 400 (or 416, 505) when the request can still be
   answered, else dropped with a log line at ``core.corelog``;
2. count it (``core:`` statistics);
3. requests: sanity (Request-URI, top Via, From, To, Call-ID, CSeq, Max-Forwards, CSeq
   method; a Content-Length on streams unless ``tcp.accept_no_cl``), then ``received``
   and ``rport`` on the top Via; an ACK of one of our stateless replies is absorbed;
4. the request handler or reply handler runs (see :mod:`proxy.core.handlers`).

Upper layers use the same object to answer (:meth:`SipCore.reply`), relay
(:meth:`SipCore.forward`, :meth:`SipCore.forward_reply`, or
:attr:`SipCore.forwarder` for the raising form), check addresses
(:meth:`SipCore.is_myself`) and loops (:meth:`SipCore.detect_loop`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from proxy.cfg.params import Snapshot
from proxy.core.branch import seen_before
from proxy.core.counters import CoreCounters
from proxy.core.errors import ForwardError, LoopDetected
from proxy.core.forward import Forwarder
from proxy.core.handlers import DefaultRouting, ReplyHandler, RequestHandler
from proxy.core.myself import LocalAddresses
from proxy.core.resolve import Resolver, Target
from proxy.core.sl import StatelessReplier
from proxy.core.stats import Counter, Statistics
from proxy.core.via import apply_received
from proxy.log import get_logger
from proxy.sip import Request, Response, SipParseError, Uri, parse_message
from proxy.transport import ReceiveInfo, Transports

log = get_logger("core")


class SipCore:
    """The stateless core: receive, check, count, hand over; reply and relay."""

    def __init__(self, transports: Transports, local: LocalAddresses, params: Snapshot,
                 stats: Statistics, *, tag_seed: str = "") -> None:
        self.transports = transports
        self.local = local
        self.params = params
        self.stats = stats
        self.counters = CoreCounters(stats)
        self.sl = StatelessReplier(transports, stats, tag_seed)
        self.resolver = Resolver(params, self._has_socket, stats)
        self.forwarder = Forwarder(transports, local, self.counters, params)
        self.default_routing = DefaultRouting(self)
        self.request_handler: RequestHandler = self.default_routing.request
        self.reply_handler: ReplyHandler = self.default_routing.reply
        self._tasks: set[asyncio.Future[Any]] = set()
        transports.on_packet = self.receive

    def set_handlers(self, request: RequestHandler | None = None,
                     reply: ReplyHandler | None = None) -> None:
        """Install the request and reply handlers (None: the default one)."""
        self.request_handler = request or self.default_routing.request
        self.reply_handler = reply or self.default_routing.reply

    def _has_socket(self, proto: str, family: int) -> bool:
        return any(s.proto == proto and s.family == family for s in self.transports.sockets)

    # -- receiving ------------------------------------------------------------------

    def receive(self, data: bytes, info: ReceiveInfo) -> None:
        """Handle one message (a datagram or a framed stream message)."""
        try:
            msg = parse_message(data)
        except SipParseError as err:
            self._malformed(err, info, counted=False)
            return
        if msg.is_request:
            assert isinstance(msg, Request)
            self._request(msg, info)
        else:
            assert isinstance(msg, Response)
            self._reply(msg, info)

    def _request(self, request: Request, info: ReceiveInfo) -> None:
        self.counters.request(request.method)
        try:
            self._sanity(request, info)
        except SipParseError as err:
            self._malformed(err, info, counted=True)
            return
        if request.method == "ACK" and self.sl.is_own_ack(request):
            self.sl.counters.received_acks.inc()
            return
        self._call(self.request_handler, request, info, self.counters.err_requests)

    def _sanity(self, request: Request, info: ReceiveInfo) -> None:
        try:
            request.ruri  # noqa: B018 - parse it
        except SipParseError:
            self.counters.bad_uris_rcvd.inc()
            raise
        request.validate()
        if (info.is_stream and request.content_length is None
                and not self.params.get_int("tcp", "accept_no_cl")):
            raise SipParseError("missing Content-Length on a stream", request=request)
        apply_received(request, info, bool(self.params.get_int("core", "force_rport")))

    def _reply(self, reply: Response, info: ReceiveInfo) -> None:
        try:
            method: str | None = reply.cseq.method
        except SipParseError:
            method = None
        self.counters.reply(reply.status, method)
        try:
            reply.via  # noqa: B018 - parse what every reply handler needs
            reply.call_id  # noqa: B018
            if method is None:
                reply.cseq  # noqa: B018 - raises
        except SipParseError as err:
            self.counters.bad_msg_hdr.inc()
            self.counters.err_replies.inc()
            self.counters.drop_replies.inc()
            log.log(self._corelog(), "dropping malformed reply from %s: %s", info.source, err)
            return
        self._call(self.reply_handler, reply, info, self.counters.err_replies)

    def _malformed(self, err: SipParseError, info: ReceiveInfo, *, counted: bool) -> None:
        self.counters.bad_msg_hdr.inc()
        request = err.request
        if request is None:
            log.log(self._corelog(), "dropping malformed message from %s: %s", info.source, err)
            return
        if not counted:
            self.counters.request(request.method)
        self.counters.err_requests.inc()
        if request.method == "ACK":
            self.counters.drop_requests.inc()
            log.log(self._corelog(), "dropping malformed ACK from %s: %s", info.source, err)
            return
        log.log(self._corelog(), "malformed %s from %s: %s; answering %d", request.method,
                info.source, err, err.status)
        with contextlib.suppress(SipParseError, ValueError):
            apply_received(request, info, bool(self.params.get_int("core", "force_rport")))
        self.sl.send_reply(request, info, err.status, err.message, error=True)

    def _corelog(self) -> int:
        return self.params.get_int("core", "corelog")

    # -- running handlers ---------------------------------------------------------------

    def _call(self, handler: Callable[[Any, ReceiveInfo], Awaitable[None] | None],
              msg: Request | Response, info: ReceiveInfo, errors: Counter) -> None:
        try:
            result = handler(msg, info)
        except Exception:
            errors.inc()
            log.err("handling %s from %s failed", _first_line(msg), info.source, exc_info=True)
            return
        if result is not None:
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(lambda done: self._finished(done, msg, info, errors))

    def _finished(self, task: asyncio.Future[Any], msg: Request | Response, info: ReceiveInfo,
                  errors: Counter) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            errors.inc()
            log.logger.error("handling %s from %s failed", _first_line(msg), info.source,
                             exc_info=exc)

    async def close(self) -> None:
        """Cancel handler tasks still running."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- for handlers: answering, relaying, checking ------------------------------------

    def reply(
        self,
        request: Request,
        info: ReceiveInfo | None,
        code: int,
        reason: str | None = None,
        *,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        content_type: str | None = None,
    ) -> bool:
        """Answer ``request`` statelessly (sl); False when nothing was sent."""
        return self.sl.send_reply(request, info, code, reason, headers=headers, body=body,
                                  content_type=content_type)

    def forward(self, request: Request, info: ReceiveInfo | None,
                target: Target | None = None) -> Awaitable[None] | None:
        """Relay ``request`` statelessly to ``target`` (default: its Request-URI).

        ``target`` is a URI (object or text, e.g. a destination URI
        ``sip:10.0.0.2:5080;transport=tcp``) or a Destination. Returns None when done,
        or an awaitable when a host name must be looked up first. A failure is
        answered (except for ACK) with the error's status: 483, 482, 478 or 477.
        """
        try:
            dest = self.resolver.now(target if target is not None else request.ruri)
            if dest is None:
                return self._forward_later(request, info, target)
            self.forwarder.request(request, info, dest,
                                   on_error=lambda exc: self._forward_failed(request, info, exc))
        except ForwardError as exc:
            self._forward_failed(request, info, exc)
        return None

    async def _forward_later(self, request: Request, info: ReceiveInfo | None,
                             target: Target | None) -> None:
        try:
            dest = await self.resolver.resolve(target if target is not None else request.ruri)
            self.forwarder.request(request, info, dest,
                                   on_error=lambda exc: self._forward_failed(request, info, exc))
        except ForwardError as exc:
            self._forward_failed(request, info, exc)

    def _forward_failed(self, request: Request, info: ReceiveInfo | None,
                        exc: ForwardError) -> None:
        self.counters.err_requests.inc()
        if isinstance(exc, LoopDetected):
            log.warn("not relaying %s %s: %s; if %s names this proxy, add it to [core] "
                     "aliases", request.method, request.ruri_text, exc.detail,
                     request.ruri.host)
        else:
            log.log(self._corelog(), "cannot relay %s %s: %s", request.method,
                    request.ruri_text, exc.detail)
        if request.method == "ACK":
            self.counters.drop_requests.inc()
        else:
            self.sl.send_reply(request, info, exc.status, exc.reason, error=True)

    def forward_reply(self, reply: Response, info: ReceiveInfo | None) -> bool:
        """Relay a reply statelessly to the next Via; False when it was dropped."""
        return self.forwarder.reply(reply, info)

    def is_myself(self, target: Uri | str, port: int | None = None,
                  proto: str | None = None) -> bool:
        """Is this URI (or host, port, protocol) this proxy? See :mod:`proxy.core.myself`."""
        if isinstance(target, Uri):
            return self.local.uri_is_myself(target)
        return self.local.is_myself(target, port, proto)

    def detect_loop(self, request: Request) -> bool:
        """True when the request already passed here in the same state (RFC 3261 16.3.4)."""
        values = request.get_headers("via")
        if len(values) < 2 and not any("," in v for v in values):
            return False
        text = ",".join(values).lower()
        if not any(sent_by in text for sent_by in self.local.sent_by_texts):
            return False
        try:
            ours = [via for via in request.vias if self.local.via_is_ours(via)]
        except SipParseError:
            return False
        return bool(ours) and seen_before(request, ours)


def _first_line(msg: Request | Response) -> str:
    if isinstance(msg, Request):
        return f"{msg.method} {msg.ruri_text}"
    return f"reply {msg.status} {msg.reason}"
