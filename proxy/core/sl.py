"""Stateless replies (Kamailio's ``sl`` module): answer a request without a transaction.

:meth:`StatelessReplier.send_reply` builds the reply (RFC 3261 8.2.6: Vias, From,
To with our tag, Call-ID, CSeq), adds ``Server``, and sends it where RFC 3261 18.2.2
and RFC 3581 say: over the connection the request came on, else to the top Via's
``received``/``rport`` (or sent-by) from the socket the request arrived on.

The To tag is ``<prefix>.<hash of the request>``: the same for a retransmission, and the
prefix lets :meth:`is_own_ack` recognise (and absorb) the ACK of one of our replies.

Statistics (group ``sl``, Kamailio's names): one counter per code Kamailio singles out
(``200_replies``, ``404_replies``, ...), else the class counter (``4xx_replies``), else
``xxx_replies``; ``sent_replies`` counts every reply, ``sent_err_replies`` replies to
requests we could not process (malformed), ``failures`` replies that could not be
sent, ``received_ACKs`` absorbed ACKs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from proxy import version
from proxy.core.stats import Counter, Statistics
from proxy.core.via import reply_target
from proxy.log import get_logger
from proxy.sip import Request, Response, SipParseError, make_response
from proxy.transport import Destination, ReceiveInfo, Transports, ip_family

log = get_logger("sl")

SPECIFIC_CODES = (200, 202, 300, 301, 302, 400, 401, 403, 404, 407, 408, 483, 500)
SERVER = f"{version.NAME} ({version.VERSION} ({version.version_line().rsplit('(', 1)[1]})"


class SlCounters:
    def __init__(self, stats: Statistics) -> None:
        group = stats.group("sl")
        self.codes = {code: group.counter(f"{code}_replies") for code in SPECIFIC_CODES}
        self.classes = [group.counter(f"{n}xx_replies") for n in range(1, 7)]
        self.xxx = group.counter("xxx_replies")
        self.sent = group.counter("sent_replies")
        self.sent_err = group.counter("sent_err_replies")
        self.failures = group.counter("failures")
        self.received_acks = group.counter("received_ACKs")

    def count(self, code: int) -> None:
        counter: Counter | None = self.codes.get(code)
        if counter is None:
            n = code // 100
            counter = self.classes[n - 1] if 1 <= n <= 6 else self.xxx
        counter.inc()
        self.sent.inc()


class StatelessReplier:
    """Builds, sends and counts stateless replies."""

    def __init__(self, transports: Transports, stats: Statistics, tag_seed: str,
                 server: str | None = SERVER) -> None:
        self.transports = transports
        self.counters = SlCounters(stats)
        self.server = server
        self.tag_prefix = hashlib.md5(f"kamproxy-sl:{tag_seed}".encode()).hexdigest()

    def to_tag(self, request: Request) -> str:
        """Our To tag for replies to ``request`` (stable across retransmissions)."""
        try:
            key = f"{request.call_id}\n{request.from_.tag}\n{request.via.branch}"
        except SipParseError:  # a malformed request still gets a tag
            key = request.get_header("call-id") or ""
        return f"{self.tag_prefix}.{hashlib.blake2s(key.encode(), digest_size=4).hexdigest()}"

    def is_own_ack(self, request: Request) -> bool:
        """An ACK to one of our stateless replies (its To tag is ours)."""
        tag = request.to.tag
        return tag is not None and tag.startswith(self.tag_prefix) and \
            tag[len(self.tag_prefix):len(self.tag_prefix) + 1] == "."

    def build(self, request: Request, code: int, reason: str | None = None,
              headers: Iterable[tuple[str, str]] = (), body: bytes = b"",
              content_type: str | None = None) -> Response:
        """The reply, not sent (for callers that want to change it first)."""
        extra = list(headers)
        if self.server and not any(name.lower() == "server" for name, _ in extra):
            extra.append(("Server", self.server))
        tag = self.to_tag(request) if code > 100 else None
        return make_response(request, code, reason, to_tag=tag, headers=extra, body=body,
                             content_type=content_type)

    def send_reply(
        self,
        request: Request,
        info: ReceiveInfo | None,
        code: int,
        reason: str | None = None,
        *,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        content_type: str | None = None,
        error: bool = False,
    ) -> bool:
        """Reply to ``request`` statelessly; False when nothing could be sent.

        ``info`` is how the request arrived (None: reply by the Via alone). ``error``
        marks a reply to a request we could not process (``sent_err_replies``). An ACK
        is never answered.
        """
        if request.method == "ACK":
            log.dbg("not replying %d to an ACK", code)
            return False
        try:
            reply = self.build(request, code, reason, headers, body, content_type)
            dest = reply_destination(request, info)
        except (SipParseError, ValueError) as exc:
            self.counters.failures.inc()
            log.err("cannot build a %d reply: %s", code, exc)
            return False
        return self.send_built(reply, dest, error=error)

    def send_built(self, reply: Response, dest: Destination, *, error: bool = False) -> bool:
        """Send a reply made with :meth:`build` to ``dest``, counting it."""
        if not self.transports.send(reply.serialize(), dest):
            self.counters.failures.inc()
            return False
        self.counters.count(reply.status)
        if error:
            self.counters.sent_err.inc()
        return True


def reply_destination(request: Request, info: ReceiveInfo | None) -> Destination:
    """Where a reply to ``request`` goes (RFC 3261 18.2.2, RFC 3581 4).

    Over the connection the request came on while it is open; otherwise to the top
    Via's received/rport (else sent-by), from the socket the request arrived on.
    """
    proto, host, port = reply_target(request.via)
    if info is None:
        return Destination(proto, host, port)
    if ip_family(host) is None:  # a name without received: the source address is it
        host = info.src_host
    return Destination(info.proto, host, port, info.conn_id, info.socket)
