"""A small SIP user agent for tests: UDP and TCP, IPv4 and IPv6, client and server.

One :class:`SipUA` owns a UDP socket and a TCP listening socket on the same port of one
loopback address, and a background thread that receives on both (TCP messages are cut
with our StreamFramer). Everything received is kept in order in :attr:`SipUA.received`
and can be waited for.

As a client::

    with SipUA("127.0.0.1") as alice:
        req = alice.request("OPTIONS", f"sip:127.0.0.1:{port}")
        final = alice.transact(req, ("127.0.0.1", port))          # retransmits over UDP
        assert final.status == 200
        tcp = alice.request("OPTIONS", uri, proto="tcp")
        alice.transact(tcp, ("127.0.0.1", port), proto="tcp")    # one connection, reused

As a server, answers are set per method; a retransmitted request gets the last answer
again without running the rule twice; a CANCEL for an unanswered INVITE gets 200 and
the INVITE 487::

    bob.answer("INVITE", 100, 180, 200, delay=0.2)   # final answer after 0.2 s
    bob.answer("BYE", 200)
    bob.answer("*", 486)                             # every other method

Replies go where RFC 3261 18.2.2 says (same TCP connection; else the top Via's
received/rport or sent-by), so the proxy's Via handling is exercised for real. Call
flows: :meth:`SipUA.invite`, :meth:`SipUA.ack`, :meth:`SipUA.bye`, :meth:`SipUA.cancel`.
Every wait is bounded (``timeout``, default 5 s).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import selectors
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from proxy.sip import (
    PING,
    PONG,
    Request,
    Response,
    SipParseError,
    StreamFramer,
    make_response,
    parse_message,
)

Address = tuple[str, int]
DEFAULT_TIMEOUT = 5.0
T1 = 0.5


def ipv6_loopback() -> bool:
    """True when ::1 can be bound (UDP and TCP) in this environment."""
    try:
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            with socket.socket(socket.AF_INET6, kind) as probe:
                probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def require_ipv6() -> None:
    """Skip when ::1 is missing; under CI that is a failure unless KAMCTL_SKIP_IPV6=1."""
    import pytest

    from tests.support.tools import under_ci

    if ipv6_loopback():
        return
    message = "IPv6 loopback ::1 cannot be bound here"
    if under_ci() and os.environ.get("KAMCTL_SKIP_IPV6") != "1":
        pytest.fail(message + " (set KAMCTL_SKIP_IPV6=1 to skip the IPv6 tests explicitly)")
    pytest.skip(message)


def family_of(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _token() -> str:
    return os.urandom(6).hex()


@dataclass
class Incoming:
    """A message the UA received."""

    msg: Request | Response
    data: bytes
    proto: str
    source: Address
    conn: Connection | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def is_request(self) -> bool:
        return isinstance(self.msg, Request)


@dataclass
class Rule:
    """How the UA as a server answers one method."""

    codes: tuple[int, ...]
    delay: float = 0.0  #: seconds before the final code (provisional ones go at once)
    body: bytes = b""  #: body of a 2xx to INVITE (SDP)
    headers: tuple[tuple[str, str], ...] = ()


class Connection:
    """A TCP connection of the UA (accepted or opened), with its framer."""

    def __init__(self, sock: socket.socket, peer: Address, accepted: bool) -> None:
        self.sock = sock
        self.peer = peer
        self.accepted = accepted
        self.framer = StreamFramer(max_header_bytes=1 << 20, max_body_bytes=1 << 20)
        self.closed = False
        self.pongs = 0
        self._lock = threading.Lock()

    def send(self, data: bytes) -> None:
        with self._lock:
            self.sock.sendall(data)


class SipUA:
    """A test user agent on ``host`` (UDP and TCP on one port; 0 picks a free one)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, name: str = "ua",
                 tcp: bool = True) -> None:
        self.host = host
        self.name = name
        self.family = family_of(host)
        self.udp, self.listener = self._bind(port, tcp)
        self.port = int(self.udp.getsockname()[1])
        self.tag = _token()
        self.received: list[Incoming] = []
        self.connections: list[Connection] = []
        self.rules: dict[str, Rule] = {}
        self.sent_answers: dict[tuple[str, str], list[bytes]] = {}
        self.bad_input: list[bytes] = []
        self._pending: dict[str, tuple[Incoming, threading.Timer | None]] = {}
        self._outgoing: dict[Address, Connection] = {}
        self._cond = threading.Condition()
        self._cseq = itertools.count(1)
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._todo: list[Connection] = []
        self._stop = False
        self._selector.register(self.udp, selectors.EVENT_READ, "udp")
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        if self.listener is not None:
            self._selector.register(self.listener, selectors.EVENT_READ, "listen")
        self._thread = threading.Thread(target=self._run, name=f"sipua-{name}", daemon=True)
        self._thread.start()

    def _bind(self, port: int, tcp: bool) -> tuple[socket.socket, socket.socket | None]:
        """A UDP socket and (with ``tcp``) a TCP listener on the same port."""
        for _ in range(50 if port == 0 else 1):
            udp = socket.socket(self.family, socket.SOCK_DGRAM)
            udp.bind((self.host, port))
            if not tcp:
                return udp, None
            listener = socket.socket(self.family, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                listener.bind((self.host, udp.getsockname()[1]))
            except OSError:  # that TCP port is taken (an ephemeral port in use): next one
                listener.close()
                udp.close()
                if port:
                    raise
                continue
            listener.listen(64)
            return udp, listener
        raise OSError(f"no port free for both UDP and TCP on {self.host}")

    # -- life cycle -------------------------------------------------------------------

    def __enter__(self) -> SipUA:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop = True
        self._wake()
        self._thread.join(5)
        with self._cond:
            for _incoming, timer in self._pending.values():
                if timer is not None:
                    timer.cancel()
        for conn in self.connections:
            conn.sock.close()
        for sock in (self.udp, self.listener, self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._selector.close()

    @property
    def address(self) -> Address:
        return (self.host, self.port)

    @property
    def hostport(self) -> str:
        return hostport(self.host, self.port)

    def uri(self, user: str | None = None, proto: str | None = None) -> str:
        text = f"sip:{user + '@' if user else ''}{self.hostport}"
        return f"{text};transport={proto}" if proto and proto != "udp" else text

    # -- building requests ---------------------------------------------------------------

    def request(
        self,
        method: str,
        ruri: str,
        *,
        proto: str = "udp",
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        call_id: str | None = None,
        from_uri: str | None = None,
        to_uri: str | None = None,
        to_tag: str | None = None,
        cseq: int | None = None,
        max_forwards: int | None = 70,
        rport: bool = True,
        branch: str | None = None,
    ) -> Request:
        """A new request from this UA (Via, From with our tag, To, Call-ID, CSeq, Contact)."""
        via = f"SIP/2.0/{proto.upper()} {self.hostport};branch={branch or 'z9hG4bK' + _token()}"
        if rport:
            via += ";rport"
        to = f"<{to_uri or ruri}>" + (f";tag={to_tag}" if to_tag else "")
        fields = [
            ("Via", via),
            ("From", f"<{from_uri or self.uri(self.name)}>;tag={self.tag}"),
            ("To", to),
            ("Call-ID", call_id or f"{_token()}@{self.name}"),
            ("CSeq", f"{cseq if cseq is not None else next(self._cseq)} {method}"),
            ("Contact", f"<{self.uri(self.name, proto)}>"),
        ]
        if max_forwards is not None:
            fields.append(("Max-Forwards", str(max_forwards)))
        fields += list(headers)
        return Request(method, ruri, headers=fields, body=body)

    # -- sending ----------------------------------------------------------------------------

    def send(self, msg: Request | Response | bytes, dest: Address, proto: str = "udp") -> None:
        """Send a message (or raw bytes) to ``dest`` over ``proto``."""
        data = msg if isinstance(msg, bytes) else msg.serialize()
        if proto == "udp":
            self.udp.sendto(data, dest)
        else:
            self.connection(dest).send(data)

    def connection(self, dest: Address, *, new: bool = False) -> Connection:
        """Our TCP connection to ``dest`` (opened on first use, then reused)."""
        with self._cond:
            conn = self._outgoing.get(dest)
        if conn is not None and not conn.closed and not new:
            return conn
        sock = socket.create_connection(dest, timeout=DEFAULT_TIMEOUT,
                                        source_address=(self.host, 0))
        sock.settimeout(DEFAULT_TIMEOUT)
        conn = Connection(sock, dest, accepted=False)
        with self._cond:
            self._outgoing[dest] = conn
            self.connections.append(conn)
            self._todo.append(conn)
        self._wake()
        return conn

    # -- waiting for messages ---------------------------------------------------------------

    def wait_for(self, match: Callable[[Incoming], bool], timeout: float = DEFAULT_TIMEOUT,
                 after: int = 0) -> Incoming:
        """The first received message (from index ``after``) that ``match`` accepts."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for item in self.received[after:]:
                    if match(item):
                        return item
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [_first_line(i.msg) for i in self.received[after:]]
                    raise TimeoutError(f"{self.name}: nothing matching within {timeout} s; "
                                       f"received: {seen}")
                self._cond.wait(left)

    def wait_request(self, method: str, timeout: float = DEFAULT_TIMEOUT,
                     after: int = 0) -> Incoming:
        return self.wait_for(lambda i: i.is_request and i.msg.method == method, timeout, after)

    def responses(self, request: Request) -> list[Response]:
        """Every response received so far for ``request`` (same branch and method)."""
        branch, method = request.via.branch, request.method
        with self._cond:
            return [i.msg for i in self.received if isinstance(i.msg, Response)
                    and _branch(i.msg) == branch and i.msg.cseq.method == method]

    def wait_response(self, request: Request, *, final: bool = True,
                      timeout: float = DEFAULT_TIMEOUT) -> Response:
        """The first (final, unless ``final=False``) response for ``request``."""
        branch, method = request.via.branch, request.method
        found = self.wait_for(
            lambda i: isinstance(i.msg, Response) and _branch(i.msg) == branch
            and i.msg.cseq.method == method and (not final or i.msg.status >= 200),
            timeout,
        )
        assert isinstance(found.msg, Response)
        return found.msg

    def transact(self, request: Request, dest: Address, proto: str = "udp",
                 timeout: float = DEFAULT_TIMEOUT) -> Response:
        """Send ``request`` and return its final response.

        Over UDP the request is sent again after 0.5, 1, 2, 4 s ... (RFC 3261 timers A
        and E) until a response arrives.
        """
        self.send(request, dest, proto)
        deadline = time.monotonic() + timeout
        interval = T1
        while True:
            wait = min(interval, deadline - time.monotonic())
            try:
                if proto == "udp" and not self.responses(request):
                    self.wait_response(request, final=False, timeout=max(wait, 0.01))
                return self.wait_response(request, timeout=max(deadline - time.monotonic(),
                                                               0.01))
            except TimeoutError:
                if time.monotonic() >= deadline:
                    raise
                self.send(request, dest, proto)
                interval = min(interval * 2, 4.0)

    # -- call flows (UAC) ---------------------------------------------------------------

    def invite(self, ruri: str, dest: Address, proto: str = "udp", *, body: bytes = b"",
               headers: Iterable[tuple[str, str]] = (),
               timeout: float = DEFAULT_TIMEOUT) -> tuple[Request, Response]:
        """Send an INVITE and wait for its final response."""
        extra = list(headers)
        if body:
            extra.append(("Content-Type", "application/sdp"))
        invite = self.request("INVITE", ruri, proto=proto, headers=extra, body=body)
        return invite, self.transact(invite, dest, proto, timeout)

    def ack(self, invite: Request, final: Response, dest: Address, proto: str = "udp") -> Request:
        """ACK a final response: same branch for a non-2xx (hop-by-hop), a new one for 2xx."""
        to = final.get_header("to") or ""
        if final.status >= 300:
            ack = Request("ACK", invite.ruri_text, headers=[
                ("Via", invite.get_headers("via")[0]), ("From", invite.get_header("from") or ""),
                ("To", to), ("Call-ID", invite.call_id), ("CSeq", f"{invite.cseq.seq} ACK"),
                ("Max-Forwards", "70")])
        else:
            target = final.contacts[0].uri if final.contacts else invite.ruri
            ack = self.request("ACK", str(target), proto=proto, call_id=invite.call_id,
                               to_uri=str(invite.to.uri), to_tag=final.to.tag,
                               cseq=invite.cseq.seq)
            _route_set(ack, final)
        self.send(ack, dest, proto)
        return ack

    def bye(self, invite: Request, final: Response, dest: Address, proto: str = "udp",
            timeout: float = DEFAULT_TIMEOUT) -> Response:
        """End a confirmed dialog: BYE to the remote target, wait for its final response."""
        target = final.contacts[0].uri if final.contacts else invite.ruri
        bye = self.request("BYE", str(target), proto=proto, call_id=invite.call_id,
                           to_uri=str(invite.to.uri), to_tag=final.to.tag,
                           cseq=invite.cseq.seq + 1)
        _route_set(bye, final)
        return self.transact(bye, dest, proto, timeout)

    def cancel(self, invite: Request, dest: Address, proto: str = "udp",
               timeout: float = DEFAULT_TIMEOUT) -> Response:
        """CANCEL a pending INVITE (same branch, Request-URI, Call-ID, CSeq number)."""
        cancel = Request("CANCEL", invite.ruri_text, headers=[
            ("Via", invite.get_headers("via")[0]), ("From", invite.get_header("from") or ""),
            ("To", invite.get_header("to") or ""), ("Call-ID", invite.call_id),
            ("CSeq", f"{invite.cseq.seq} CANCEL"), ("Max-Forwards", "70")])
        return self.transact(cancel, dest, proto, timeout)

    # -- server side -----------------------------------------------------------------------

    def answer(self, method: str, *codes: int, delay: float = 0.0, body: bytes = b"",
               headers: Iterable[tuple[str, str]] = ()) -> None:
        """Answer requests of ``method`` (``*``: any other) with ``codes`` in order."""
        self.rules[method.upper() if method != "*" else "*"] = Rule(
            tuple(codes), delay, body, tuple(headers))

    def reply(self, incoming: Incoming, code: int, reason: str | None = None, *,
              headers: Iterable[tuple[str, str]] = (), body: bytes = b"") -> Response:
        """Send a reply to a received request (to-tag, Contact for dialogs)."""
        request = incoming.msg
        assert isinstance(request, Request)
        extra = list(headers)
        if request.method in ("INVITE", "SUBSCRIBE") and 100 < code < 300:
            extra.append(("Contact", f"<{self.uri(self.name, incoming.proto)}>"))
            extra += [("Record-Route", v) for v in request.get_headers("record-route")]
        if body:
            extra.append(("Content-Type", "application/sdp"))
        response = make_response(request, code, reason, to_tag=self.tag if code > 100 else None,
                                 headers=extra, body=body)
        data = response.serialize()
        key = (_branch(request) or "", request.method)
        with self._cond:
            self.sent_answers.setdefault(key, []).append(data)
        self._send_reply(data, incoming)
        return response

    def _send_reply(self, data: bytes, incoming: Incoming) -> None:
        if incoming.conn is not None and not incoming.conn.closed:
            incoming.conn.send(data)
            return
        via = incoming.msg.via
        host = via.received or via.host_bare
        port = via.rport or via.port or 5060
        if incoming.proto == "udp":
            self.udp.sendto(data, (host, port))
        else:
            self.connection((host, port)).send(data)

    def _serve(self, incoming: Incoming) -> None:
        request = incoming.msg
        assert isinstance(request, Request)
        key = (_branch(request) or "", request.method)
        with self._cond:
            previous = self.sent_answers.get(key)
        if previous:  # a retransmission: the last answer again
            self._send_reply(previous[-1], incoming)
            return
        if request.method == "ACK":
            return
        if request.method == "CANCEL":
            self._cancel(incoming)
            return
        rule = self.rules.get(request.method) or self.rules.get("*")
        if rule is None:
            return
        codes = list(rule.codes)
        final = codes.pop() if codes else 200
        for code in codes:
            self.reply(incoming, code, headers=rule.headers)
        body = rule.body if request.method == "INVITE" and final < 300 else b""
        if rule.delay > 0:
            timer = threading.Timer(rule.delay, self._final, (incoming, final, rule, body))
            with self._cond:
                self._pending[key[0]] = (incoming, timer)
            timer.start()
        else:
            self.reply(incoming, final, headers=rule.headers, body=body)

    def _final(self, incoming: Incoming, code: int, rule: Rule, body: bytes) -> None:
        with self._cond:
            if self._pending.pop(_branch(incoming.msg) or "", None) is None:
                return  # cancelled meanwhile
        self.reply(incoming, code, headers=rule.headers, body=body)

    def _cancel(self, incoming: Incoming) -> None:
        branch = _branch(incoming.msg) or ""
        with self._cond:
            pending = self._pending.pop(branch, None)
        if pending is None:
            self.reply(incoming, 481, "Call/Transaction Does Not Exist")
            return
        invite, timer = pending
        if timer is not None:
            timer.cancel()
        self.reply(incoming, 200)
        self.reply(invite, 487, "Request Terminated")

    # -- the receiver thread ----------------------------------------------------------------

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _run(self) -> None:
        while not self._stop:
            for key, _events in self._selector.select(0.5):
                with contextlib.suppress(OSError):
                    self._ready(key.data, key.fileobj)
            with self._cond:
                todo, self._todo = self._todo, []
            for conn in todo:
                self._selector.register(conn.sock, selectors.EVENT_READ, conn)

    def _ready(self, what: object, fileobj: object) -> None:
        if what == "wake":
            self._wake_r.recv(4096)
        elif what == "udp":
            data, addr = self.udp.recvfrom(65535)
            self._incoming(data, "udp", (addr[0], addr[1]), None)
        elif what == "listen":
            assert self.listener is not None
            sock, addr = self.listener.accept()
            sock.settimeout(DEFAULT_TIMEOUT)
            conn = Connection(sock, (addr[0], addr[1]), accepted=True)
            with self._cond:
                self.connections.append(conn)
            self._selector.register(sock, selectors.EVENT_READ, conn)
        elif isinstance(what, Connection):
            self._read(what)

    def _read(self, conn: Connection) -> None:
        try:
            data = conn.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            conn.closed = True
            self._selector.unregister(conn.sock)
            with self._cond:
                self._cond.notify_all()
            return
        for frame in conn.framer.feed(data):
            if frame == PONG:
                conn.pongs += 1
                with self._cond:
                    self._cond.notify_all()
            elif frame == PING:
                conn.send(PONG)
            else:
                self._incoming(frame, "tcp", conn.peer, conn)

    def _incoming(self, data: bytes, proto: str, source: Address, conn: Connection | None) -> None:
        try:
            msg = parse_message(data)
            msg.via  # noqa: B018 - must be readable to be useful here
        except SipParseError:
            with self._cond:
                self.bad_input.append(data)
            return
        item = Incoming(msg, data, proto, source, conn)
        with self._cond:
            self.received.append(item)
            self._cond.notify_all()
        if isinstance(msg, Request):
            self._serve(item)


def _branch(msg: Request | Response) -> str | None:
    try:
        return msg.via.branch
    except SipParseError:
        return None


def _first_line(msg: Request | Response) -> str:
    if isinstance(msg, Request):
        return f"{msg.method} {msg.ruri_text}"
    return f"{msg.status} {msg.reason} ({msg.cseq.method})"


def _route_set(request: Request, final: Response) -> None:
    """Route headers from the Record-Route of a 2xx, reversed (UAC side)."""
    for address in reversed(final.record_routes):
        request.add_header("Route", str(address))
