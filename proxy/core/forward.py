"""Stateless relaying of requests and replies (Kamailio's ``forward()``).

Requests (:meth:`Forwarder.request`): Max-Forwards is checked (0: :class:`TooManyHops`)
and decremented, or set to 70 when absent (RFC 3261 16.6 item 3); a destination that
is this proxy itself is refused (:class:`LoopDetected`: the FAQ's misrouting loop, where a
name of ours missing from the aliases makes a proxy send requests to itself until
Max-Forwards runs out); a UDP request larger than ``core.udp_mtu`` goes over TCP
(RFC 3261 18.1.1); our Via goes on top with a stateless branch and, for a request
that came over TCP, the id of its connection (``i=``) so that the reply finds it.

Replies (:meth:`Forwarder.reply`): the top Via must be ours; it is removed and the
reply goes to the next Via's received/rport (or sent-by), over the connection the
request came in on when the Via names one.
"""

from __future__ import annotations

from collections.abc import Callable

from proxy.cfg.params import Snapshot
from proxy.core.branch import stateless_branch
from proxy.core.counters import CoreCounters
from proxy.core.errors import ForwardError, LoopDetected, SendFailed, TooManyHops
from proxy.core.myself import LocalAddresses
from proxy.core.via import make_via, reply_target, via_conn_id
from proxy.log import get_logger
from proxy.sip import Request, Response, SipParseError
from proxy.transport import (
    Destination,
    ReceiveInfo,
    SendError,
    SocketInfo,
    Transports,
    ip_family,
    is_wildcard,
)

log = get_logger("core")

DEFAULT_MAX_FORWARDS = 70


def decrement_max_forwards(request: Request) -> None:
    """Max-Forwards - 1, or 70 when absent; TooManyHops at 0."""
    hops = request.max_forwards
    if hops is None:
        request.set_header("Max-Forwards", str(DEFAULT_MAX_FORWARDS))
    elif hops <= 0:
        raise TooManyHops("Max-Forwards is 0")
    else:
        request.set_header("Max-Forwards", str(hops - 1))


class Forwarder:
    def __init__(self, transports: Transports, local: LocalAddresses, counters: CoreCounters,
                 params: Snapshot) -> None:
        self.transports = transports
        self.local = local
        self.counters = counters
        self.params = params

    def request(self, request: Request, info: ReceiveInfo | None, dest: Destination,
                *, branch: str | None = None,
                on_error: Callable[[ForwardError], None] | None = None) -> Destination:
        """Relay ``request`` to ``dest``; returns where it went (the protocol may change).

        ``branch`` replaces the stateless branch (tm passes its own). The request is
        changed in place (Max-Forwards, our Via on top). Raises ForwardError subclasses
        (our Via removed again). When a TCP connection must be opened first and that
        fails later, our Via is removed and ``on_error`` gets a SendFailed.
        """
        if self.local.is_own_destination(dest):
            raise LoopDetected(f"{dest} is this proxy")
        if branch is None:
            branch = stateless_branch(request)
        decrement_max_forwards(request)
        sock = self._socket(dest)
        conn_id = info.conn_id if info is not None and info.is_stream else None
        request.prepend_via(self._via(sock, branch, conn_id, dest))
        data = request.serialize()
        mtu = self.params.get_int("core", "udp_mtu")
        if dest.proto == "udp" and mtu and len(data) > mtu:
            tcp = self.transports.pick_socket("tcp", dest.host)
            if tcp is not None:
                request.pop_via()
                dest = Destination("tcp", dest.host, dest.port, None, tcp)
                request.prepend_via(self._via(tcp, branch, conn_id, dest))
                data = request.serialize()
        sent_to = dest

        def failed_later(exc: SendError) -> None:
            request.pop_via()
            if on_error is not None:
                on_error(SendFailed(f"cannot send to {sent_to}: {exc}"))

        if not self.transports.send(data, dest, failed_later):
            request.pop_via()
            raise SendFailed(f"cannot send to {dest}")
        self.counters.fwd_requests.inc()
        return dest

    def _via(self, sock: SocketInfo, branch: str, conn_id: int | None,
             dest: Destination) -> str:
        if sock.advertise_host is None and is_wildcard(sock.host):
            # the sent-by is the local address that reaches dest: remember it as ours
            self.local.learn(sock.sent_by_for(dest.host)[0])
        return make_via(sock, branch, conn_id, dest.host)

    def _socket(self, dest: Destination) -> SocketInfo:
        sock = dest.socket
        if sock is None or sock.proto != dest.proto or sock.family != dest.family:
            sock = self.transports.pick_socket(dest.proto, dest.host)
        if sock is None:
            raise SendFailed(f"no {dest.proto} socket for the address family of {dest}")
        return sock

    def reply(self, reply: Response, info: ReceiveInfo | None) -> bool:
        """Relay a reply to the previous hop; False (counted, logged) when dropped."""
        try:
            top = reply.via
        except SipParseError:
            return self._drop(reply, "no readable Via")
        if not self.local.via_is_ours(top):
            return self._drop(reply, f"top Via {top.sent_by} is not ours")
        conn_id = via_conn_id(top)
        try:
            reply.pop_via()
            proto, host, port = reply_target(reply.via)
        except SipParseError:
            return self._drop(reply, "no Via left after ours (a reply to us)")
        if ip_family(host) is None:
            return self._drop(reply, f"next Via names host {host} without received")
        dest = Destination(proto, host, port, conn_id)
        if not self.transports.send(reply.serialize(), dest):
            self.counters.err_replies.inc()
            return False
        self.counters.fwd_replies.inc()
        return True

    def _drop(self, reply: Response, why: str) -> bool:
        self.counters.drop_replies.inc()
        log.log(self.params.get_int("core", "corelog"), "dropping reply %d %s: %s",
                reply.status, reply.reason, why)
        return False

