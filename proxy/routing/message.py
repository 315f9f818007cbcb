"""What the routing script receives: :class:`SipMsg`, one message and its routing state.

In ``request_route`` and ``failure_route`` it wraps a request, in ``branch_route`` the
copy of the request for one branch, in ``reply_route`` a reply. Reading is through
properties (``msg.method``, ``msg.ruri``, ``msg.from_uri``, ``msg.src_ip``, ...);
header edits (``msg.add_header``, ``set_header``, ``remove_header``) apply at once to
the message that will be sent. Actions (reply, relay, record-route, ...) are the
``api`` object's methods, each taking ``msg`` first.

``msg.vars`` is a dict the script may fill in ``request_route`` and read again in the
``failure_route``, ``branch_route`` and ``reply_route`` of the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from proxy.sip import Request, Response, SipParseError, Uri
from proxy.tm import Target, Transaction
from proxy.transport import ReceiveInfo, SocketInfo

if TYPE_CHECKING:
    from proxy.routing.script import Script

REQUEST, FAILURE, BRANCH, REPLY = "request", "failure", "branch", "reply"


class RoutingError(Exception):
    """The script called the API wrongly (a bad URI, an action not allowed here)."""


@dataclass
class RoutingState:
    """What lives as long as the transaction: the script it started with, its vars,
    record-routing, the dispatcher's failover list."""

    script: Script
    vars: dict[str, Any] = field(default_factory=dict)
    #: None: no record-routing; else the extra URI parameters ("" for none)
    record_route: str | None = None
    #: dispatcher: the failover list (URIs), the set, the index of the current one
    ds_list: list[str] = field(default_factory=list)
    ds_set: int = -1
    ds_index: int = 0


class SipMsg:
    """One message as the script sees it (see the module docstring)."""

    __slots__ = ("raw", "info", "txn", "kind", "state", "dst_uri", "path", "targets",
                 "socket", "reply", "branch_index", "dropped", "replied", "relayed")

    def __init__(self, raw: Request | Response, info: ReceiveInfo | None,
                 txn: Transaction | None, kind: str, state: RoutingState) -> None:
        #: the underlying proxy.sip message
        self.raw = raw
        self.info = info
        self.txn = txn
        self.kind = kind
        self.state = state
        #: where the request goes instead of its Request-URI (Kamailio's $du)
        self.dst_uri: str | None = None
        #: Route values put on top when relaying (a registered contact's Path)
        self.path: tuple[str, ...] = ()
        #: more branches to fork to (api.append_branch, a lookup with several contacts)
        self.targets: list[Target] = []
        #: the socket to send from (api.set_socket), or None
        self.socket: SocketInfo | None = None
        #: failure_route: the reply that ended the last branches
        self.reply: SipMsg | None = None
        #: branch_route: the branch number (0 for the first)
        self.branch_index = -1
        self.dropped = False
        self.replied = False
        self.relayed = False

    def __repr__(self) -> str:
        if isinstance(self.raw, Request):
            return f"<SipMsg {self.kind} {self.raw.method} {self.raw.ruri_text}>"
        return f"<SipMsg {self.kind} {self.raw.status} {self.raw.reason}>"

    # -- what it is -------------------------------------------------------------------

    @property
    def request(self) -> Request:
        """The request (RoutingError for a reply)."""
        if not isinstance(self.raw, Request):
            raise RoutingError("this message is a reply, not a request")
        return self.raw

    @property
    def is_request(self) -> bool:
        return isinstance(self.raw, Request)

    @property
    def is_reply(self) -> bool:
        return isinstance(self.raw, Response)

    @property
    def method(self) -> str:
        """The request method (for a reply: the method of its CSeq)."""
        return self.raw.method

    @property
    def status(self) -> int | None:
        """A reply's status code (None for a request)."""
        return self.raw.status

    @property
    def reason(self) -> str | None:
        return self.raw.reason

    @property
    def vars(self) -> dict[str, Any]:
        """The script's own data for this transaction."""
        return self.state.vars

    @property
    def canceled(self) -> bool:
        """The transaction was cancelled by the caller (Kamailio's t_is_canceled)."""
        return self.txn is not None and self.txn.canceled

    # -- Request-URI -------------------------------------------------------------------

    @property
    def ruri(self) -> str:
        """The Request-URI as text ("" for a reply); assign to change it."""
        return self.raw.ruri_text if isinstance(self.raw, Request) else ""

    @ruri.setter
    def ruri(self, value: str) -> None:
        try:
            self.request.ruri = value
        except SipParseError as exc:
            raise RoutingError(f"bad Request-URI {value!r}: {exc}") from None

    @property
    def uri(self) -> Uri:
        """The Request-URI parsed."""
        return self.request.ruri

    @property
    def ruri_user(self) -> str | None:
        return self.request.ruri.user if self.is_request else None

    @property
    def ruri_host(self) -> str:
        return self.request.ruri.host if self.is_request else ""

    @property
    def ruri_port(self) -> int | None:
        return self.request.ruri.port if self.is_request else None

    # -- dialog fields ------------------------------------------------------------------

    @property
    def call_id(self) -> str:
        return self.raw.call_id

    @property
    def cseq(self) -> int:
        return self.raw.cseq.seq

    @property
    def from_uri(self) -> str:
        return str(self.raw.from_.uri)

    @property
    def from_user(self) -> str | None:
        return self.raw.from_.uri.user

    @property
    def from_host(self) -> str:
        return self.raw.from_.uri.host

    @property
    def from_tag(self) -> str | None:
        return self.raw.from_.tag

    @property
    def to_uri(self) -> str:
        return str(self.raw.to.uri)

    @property
    def to_user(self) -> str | None:
        return self.raw.to.uri.user

    @property
    def to_host(self) -> str:
        return self.raw.to.uri.host

    @property
    def to_tag(self) -> str | None:
        return self.raw.to.tag

    @property
    def body(self) -> bytes:
        return self.raw.body

    @property
    def content_type(self) -> str | None:
        return self.raw.content_type

    # -- where it came from -----------------------------------------------------------

    @property
    def src_ip(self) -> str:
        return self.info.src_host if self.info else ""

    @property
    def src_port(self) -> int:
        return self.info.src_port if self.info else 0

    @property
    def proto(self) -> str:
        """``udp`` or ``tcp``: how it arrived."""
        return self.info.proto if self.info else ""

    @property
    def local_ip(self) -> str:
        """The address of the socket it arrived on."""
        return self.info.socket.host if self.info else ""

    @property
    def local_port(self) -> int:
        return self.info.socket.port if self.info else 0

    # -- headers --------------------------------------------------------------------------

    @property
    def headers(self) -> list[tuple[str, str]]:
        return self.raw.headers

    def get_header(self, name: str) -> str | None:
        """The first ``name`` header's value, or None."""
        return self.raw.get_header(name)

    def get_headers(self, name: str) -> list[str]:
        return self.raw.get_headers(name)

    def has_header(self, name: str) -> bool:
        return self.raw.has_header(name)

    def add_header(self, name: str, value: str, first: bool = False) -> None:
        """Add a header (after the others of that name; ``first``: before them)."""
        try:
            self.raw.add_header(name, value, first)
        except ValueError as exc:
            raise RoutingError(str(exc)) from None

    def set_header(self, name: str, value: str) -> None:
        """Replace every ``name`` header by one with ``value``."""
        try:
            self.raw.set_header(name, value)
        except ValueError as exc:
            raise RoutingError(str(exc)) from None

    def remove_header(self, name: str) -> int:
        """Remove every ``name`` header; returns how many."""
        return self.raw.remove_header(name)
