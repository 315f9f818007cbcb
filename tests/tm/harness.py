"""tm without sockets or sleeping: a fake transport that records what is sent, the real
core and transaction manager, and a manual clock.

    net = Net(fr_timer=2000)
    net.route = lambda req, info, txn: net.relay(req, info)   # what routing would do
    net.from_uac(invite(...))
    sent = net.take()            # [(message, Destination), ...] sent since the last take
    net.clock.advance(0.5)       # timers fire
"""

from __future__ import annotations

import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from proxy.cfg.catalog import new_params
from proxy.core import LocalAddresses, SipCore, Statistics
from proxy.sip import Request, Response, make_response, parse_message
from proxy.tm import ManualClock, Target, Transaction, TransactionManager
from proxy.tm.messages import Ids
from proxy.transport import Destination, ReceiveInfo, SendError, SocketInfo, ip_family

PROXY = "127.0.0.1"
PORT = 5060
UAC = ("127.0.0.2", 5070)
UDP = SocketInfo("udp", PROXY, PORT, socket.AF_INET, PROXY)
TCP = SocketInfo("tcp", PROXY, PORT, socket.AF_INET, PROXY)


class FakeTransports:
    """What SipCore and tm need of Transports; sends are recorded, never fail (unless
    the destination's port is in ``refuse``)."""

    def __init__(self, sockets: Sequence[SocketInfo] = (UDP, TCP)) -> None:
        self.sockets = list(sockets)
        self.sent: list[tuple[Request | Response, Destination]] = []
        self.refuse: set[int] = set()
        self.on_packet: Any = None
        self.later_errors: list[tuple[Callable[[SendError], None], Destination]] = []

    def pick_socket(self, proto: str, host: str) -> SocketInfo | None:
        for sock in self.sockets:
            if sock.proto == proto and sock.family == ip_family(host):
                return sock
        return None

    def send(self, data: bytes, dest: Destination,
             on_error: Callable[[SendError], None] | None = None) -> bool:
        if dest.port in self.refuse:
            return False
        self.sent.append((parse_message(data), dest))
        return True


class Net:
    """The core and tm over a fake transport, with a manual clock."""

    def __init__(self, **tm_values: int | str) -> None:
        self.params = new_params()
        for name, value in tm_values.items():
            self.params.set("tm", name, value)
        self.clock = ManualClock()
        self.transports = FakeTransports()
        self.stats = Statistics()
        self.core = SipCore(self.transports, LocalAddresses(), self.params,  # type: ignore[arg-type]
                            self.stats)
        self.core.local.refresh(self.transports.sockets, [], [PROXY])
        self.tm = TransactionManager(self.core, self.params, self.stats, self.clock,
                                     ids=Ids(b"test"))
        self.tm.install()
        #: the request router (routing's part); default: relay to the Request-URI
        self.route: Callable[[Request, ReceiveInfo, Transaction | None],
                             Awaitable[None] | None] = self.relay_all
        self.tm.set_router(request=lambda r, i, t: self.route(r, i, t))
        self.targets: list[Target] = [Target()]

    def relay_all(self, request: Request, info: ReceiveInfo,
                  txn: Transaction | None) -> None:
        if request.method == "ACK":
            self.core.forward(request, info)
            return
        txn = txn or self.tm.transaction_for(request, info)
        self.tm.relay(txn, self.targets)

    # -- feeding messages ---------------------------------------------------------------

    def from_uac(self, msg: Request | Response | bytes, proto: str = "udp") -> None:
        data = msg if isinstance(msg, bytes) else msg.serialize()
        sock = UDP if proto == "udp" else TCP
        self.core.receive(data, ReceiveInfo(proto, UAC[0], UAC[1], sock,
                                            7 if proto == "tcp" else None))

    def from_uas(self, reply: Response, port: int = 5080) -> None:
        self.core.receive(reply.serialize(), ReceiveInfo("udp", "127.0.0.3", port, UDP))

    def answer(self, request: Request, code: int, reason: str | None = None,
               tag: str = "uas1", port: int = 5080) -> Response:
        """The UAS's reply to a request the proxy sent it."""
        reply = make_response(request, code, reason, to_tag=tag if code > 100 else None)
        self.from_uas(reply, port)
        return reply

    # -- looking at what went out ----------------------------------------------------------

    def take(self) -> list[tuple[Request | Response, Destination]]:
        sent, self.transports.sent = self.transports.sent, []
        return sent

    def take_up(self) -> list[Response]:
        """Replies sent upstream (to the UAC) since the last take."""
        return [m for m, _ in self.take() if isinstance(m, Response)]

    def requests(self, sent: list[tuple[Request | Response, Destination]],
                 method: str | None = None) -> list[Request]:
        return [m for m, _ in sent if isinstance(m, Request)
                and (method is None or m.method == method)]


def request(method: str, ruri: str = "sip:bob@127.0.0.3:5080", *, branch: str | None = None,
            cseq: int = 1, call_id: str = "call-1", to_tag: str | None = None,
            proto: str = "UDP", extra: Sequence[tuple[str, str]] = ()) -> Request:
    """A request as the UAC at 127.0.0.2:5070 sends it."""
    branch = branch or "z9hG4bK" + os.urandom(4).hex()
    to = "<sip:bob@example.com>" + (f";tag={to_tag}" if to_tag else "")
    return Request(method, ruri, headers=[
        ("Via", f"SIP/2.0/{proto} {UAC[0]}:{UAC[1]};branch={branch};rport"),
        ("From", "<sip:alice@example.com>;tag=a1"),
        ("To", to),
        ("Call-ID", call_id),
        ("CSeq", f"{cseq} {method}"),
        ("Max-Forwards", "70"),
        *extra,
    ])


def ack_for(invite: Request, reply: Response) -> Request:
    """The UAC's ACK of a negative final reply (same branch as the INVITE)."""
    return Request("ACK", invite.ruri_text, headers=[
        ("Via", invite.get_headers("via")[0]),
        ("From", invite.get_header("from") or ""),
        ("To", reply.get_header("to") or ""),
        ("Call-ID", invite.call_id),
        ("CSeq", f"{invite.cseq.seq} ACK"),
        ("Max-Forwards", "70"),
    ])


def cancel_for(invite: Request) -> Request:
    return Request("CANCEL", invite.ruri_text, headers=[
        ("Via", invite.get_headers("via")[0]),
        ("From", invite.get_header("from") or ""),
        ("To", invite.get_header("to") or ""),
        ("Call-ID", invite.call_id),
        ("CSeq", f"{invite.cseq.seq} CANCEL"),
        ("Max-Forwards", "70"),
    ])
