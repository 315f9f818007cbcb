"""The routing API: the ``api`` object the script calls (Kamailio's ``KSR``).

Every action takes the message first: ``api.reply(msg, 404)``, ``api.relay(msg)``.
The reference, with the Kamailio function each one stands for, is docs/routing.md.
Module functions hang off sub-objects: ``api.domain``, ``api.permissions``,
``api.dispatcher``, ``api.registrar``, ``api.auth`` (:mod:`proxy.routing.modules_api`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from proxy.core import SipCore
from proxy.log import ModuleLog, get_logger
from proxy.routing.message import BRANCH, REPLY, RoutingError, SipMsg
from proxy.routing.modules_api import (
    AuthApi,
    DispatcherApi,
    DomainApi,
    PermissionsApi,
    RegistrarApi,
)
from proxy.routing.rr import loose_route
from proxy.sip import Request, SipParseError, Uri, parse_uri
from proxy.tm import Target, TransactionManager
from proxy.transport import SocketInfo, normalize_ip, parse_listen

if TYPE_CHECKING:
    from proxy.routing.router import Router

log = get_logger("routing")


def _is_uri_text(text: str) -> bool:
    return text[:5].lower().startswith(("sip:", "sips:", "tel:"))


def _uri(value: str | Uri, what: str = "URI") -> Uri:
    if isinstance(value, Uri):
        return value
    try:
        return parse_uri(value)
    except SipParseError as exc:
        raise RoutingError(f"bad {what} {value!r}: {exc}") from None


class RoutingApi:
    """What a routing script may do (see docs/routing.md)."""

    def __init__(self, router: Router, core: SipCore, tm: TransactionManager,
                 modules: Any, config: Mapping[str, Any]) -> None:
        self._router = router
        self._core = core
        self._tm = tm
        #: the ``[routing]`` section of the configuration (read-only)
        self.config: Mapping[str, Any] = dict(config)
        #: the script's logger (``api.log.info("...")``; levels as Kamailio's)
        self.log: ModuleLog = get_logger("script")
        self.domain = DomainApi(getattr(modules, "domain", None))
        self.permissions = PermissionsApi(getattr(modules, "permissions", None))
        self.dispatcher = DispatcherApi(getattr(modules, "dispatcher", None))
        self.registrar = RegistrarApi(getattr(modules, "registrar", None), self)
        self.auth = AuthApi(getattr(modules, "auth", None), self)

    @property
    def version(self) -> int:
        """The version of the running script (0 at start, +1 per reload)."""
        return self._router.scripts.version

    # -- replies ---------------------------------------------------------------------

    def reply(self, msg: SipMsg, code: int, reason: str | None = None, *,
              headers: Iterable[tuple[str, str]] = (), body: bytes = b"",
              content_type: str | None = None) -> bool:
        """Answer the request: statefully when it has a transaction (every INVITE,
        and any request relayed before), else statelessly. False if nothing was sent
        (also when the request already has its final reply)."""
        if msg.kind in (BRANCH, REPLY):
            raise RoutingError(f"reply() is not allowed in {msg.kind}_route")
        if not isinstance(code, int) or not 100 <= code <= 699:
            raise RoutingError(f"bad reply code {code!r}")
        request = msg.request
        if msg.replied:
            return False  # one final reply per request
        msg.replied = code >= 200
        if msg.txn is not None:
            return self._tm.reply(msg.txn, code, reason, headers=headers, body=body,
                                  content_type=content_type)
        return self._core.reply(request, msg.info, code, reason, headers=headers, body=body,
                                content_type=content_type)

    def replier(self, msg: SipMsg) -> Any:
        """A ``reply(request, info, code, reason=None, *, headers=())`` function that
        answers ``msg`` as :meth:`reply` does (what the modules take as ``reply=``)."""

        def reply(request: Request, info: object, code: int, reason: str | None = None, *,
                  headers: Iterable[tuple[str, str]] = (), **extra: Any) -> bool:
            return self.reply(msg, code, reason, headers=headers,
                              body=extra.get("body", b""),
                              content_type=extra.get("content_type"))

        return reply

    # -- relaying ----------------------------------------------------------------------

    def relay(self, msg: SipMsg) -> bool:
        """Relay statefully (Kamailio's t_relay) to the destination set: the
        Request-URI (or ``dst_uri``) plus the branches added with :meth:`append_branch`,
        in parallel. ACK, and a CANCEL that matches no transaction, are relayed
        statelessly. True when the request went (or is going) out; False when no
        branch could be started (a loop, answered 482; the caller cancelled, answered
        487; every branch dropped by branch_route): the script may answer then."""
        if msg.kind in (BRANCH, REPLY):
            raise RoutingError(f"relay() is not allowed in {msg.kind}_route")
        request = msg.request
        if request.method in ("ACK", "CANCEL"):
            return self.forward(msg)
        if msg.kind == "request" and self._core.detect_loop(request):
            self.reply(msg, 482, "Loop Detected")
            return False
        txn = msg.txn
        if txn is None:
            assert msg.info is not None
            txn = self._tm.transaction_for(request, msg.info)
            msg.txn = txn
        self._router.bind(txn, msg.state)
        targets = [Target(None, msg.dst_uri, msg.path, msg.socket), *msg.targets]
        msg.targets = []
        started = self._tm.relay(txn, targets)
        msg.relayed = msg.relayed or started > 0
        if txn.final_sent:
            msg.replied = True  # cancelled meanwhile: it got its 487
        return started > 0

    def forward(self, msg: SipMsg, uri: str | None = None) -> bool:
        """Relay statelessly (Kamailio's forward()) to ``uri``, else ``dst_uri``, else
        the Request-URI. Errors are answered (483, 482, 478, 477; never for ACK)."""
        if msg.kind in (BRANCH, REPLY):
            raise RoutingError(f"forward() is not allowed in {msg.kind}_route")
        target = uri or msg.dst_uri
        if target is not None:
            _uri(target, "destination")
        result = self._core.forward(msg.request, msg.info, target)
        if result is not None:
            self._router.spawn(result)
        msg.relayed = True
        return True

    # -- destinations -------------------------------------------------------------------

    def set_ruri(self, msg: SipMsg, uri: str) -> None:
        """Change the Request-URI (Kamailio's $ru)."""
        msg.ruri = str(_uri(uri, "Request-URI"))

    def set_ruri_user(self, msg: SipMsg, user: str | None) -> None:
        """Change the user part of the Request-URI (Kamailio's $rU)."""
        try:
            msg.ruri = str(msg.request.ruri.replace(user=user or None, password=None))
        except SipParseError as exc:
            raise RoutingError(f"bad Request-URI user {user!r}: {exc}") from None

    def set_ruri_host(self, msg: SipMsg, host: str, port: int | None = None) -> None:
        """Change the host (and port) of the Request-URI (Kamailio's $rd, $rp)."""
        try:
            msg.ruri = str(msg.request.ruri.replace(host=host, port=port))
        except SipParseError as exc:
            raise RoutingError(f"bad Request-URI host {host!r}: {exc}") from None

    def set_dst(self, msg: SipMsg, uri: str) -> None:
        """Send to ``uri`` (an outbound proxy, a gateway) instead of the Request-URI,
        keeping the Request-URI (Kamailio's $du)."""
        msg.dst_uri = str(_uri(uri, "destination URI"))

    def reset_dst(self, msg: SipMsg) -> None:
        msg.dst_uri = None

    def set_socket(self, msg: SipMsg, socket: str | None) -> None:
        """Send from this listening socket (``udp:127.0.0.1:5060``; Kamailio's
        force_send_socket); None: chosen by protocol and family."""
        if socket is None:
            msg.socket = None
            return
        found = self.find_socket(socket)
        if found is None:
            raise RoutingError(f"no listening socket {socket}")
        msg.socket = found

    def find_socket(self, text: str) -> SocketInfo | None:
        """The listening socket ``udp:127.0.0.1:5060`` names, or None."""
        try:
            specs = parse_listen(text)
        except ValueError as exc:
            raise RoutingError(f"bad socket {text!r}: {exc}") from None
        for spec in specs:
            for sock in self._core.transports.sockets:
                if (sock.proto, sock.port) == (spec.proto, spec.port) and \
                        normalize_ip(sock.host) == normalize_ip(spec.host):
                    return sock
        return None

    def append_branch(self, msg: SipMsg, uri: str | None = None,
                      dst: str | None = None) -> None:
        """Add a branch for parallel forking: to ``uri`` (default: the current
        Request-URI), sent to ``dst`` if given."""
        target = str(_uri(uri, "branch URI")) if uri else msg.ruri
        if dst is not None:
            _uri(dst, "destination URI")
        msg.targets.append(Target(target, dst, (), msg.socket))

    def clear_branches(self, msg: SipMsg) -> None:
        msg.targets = []

    # -- record-routing and dialogs ----------------------------------------------------

    def record_route(self, msg: SipMsg, params: str = "") -> None:
        """Stay on the path of the dialog this request creates: a Record-Route with
        ``;lr`` (two when it leaves on another transport or address family), added to
        every branch of this transaction. ``params`` is appended to the URI."""
        if msg.kind in (BRANCH, REPLY):
            raise RoutingError(f"record_route() is not allowed in {msg.kind}_route")
        msg.state.record_route = params

    def loose_route(self, msg: SipMsg) -> bool:
        """Route an in-dialog request by its Route set (RFC 3261 16.4, 16.12): our
        own Route values are removed and the next one becomes the destination; a
        Request-URI that is our Record-Route (a strict router before us) is replaced.
        False when the request has no Route header: route it by the Request-URI."""
        try:
            result = loose_route(msg.request, self._core.local.uri_is_myself)
        except SipParseError as exc:
            raise RoutingError(f"bad Route header: {exc}") from None
        if result.next_hop is not None:
            msg.dst_uri = result.next_hop
        return result.applied

    def has_to_tag(self, msg: SipMsg) -> bool:
        """True for a request inside a dialog."""
        return msg.to_tag is not None

    # -- checks -------------------------------------------------------------------------

    def is_myself(self, target: str | Uri) -> bool:
        """Is this URI (or host) this proxy: a listening address, an alias, or a
        name a module answers for (Kamailio's ``uri == myself``)."""
        if isinstance(target, Uri) or _is_uri_text(target):
            return self._core.is_myself(_uri(target))
        return self._core.is_myself(target)

    def is_local(self, target: str | Uri) -> bool:
        """This proxy, or a local domain of the domain module."""
        if self.is_myself(target):
            return True
        host = _uri(target).host if isinstance(target, Uri) or _is_uri_text(target) else target
        return self.domain.is_local(host)

    def maxfwd(self, msg: SipMsg, limit: int = 10) -> bool:
        """False when Max-Forwards is 0 (the script answers 483); a missing one is set
        to ``limit`` (Kamailio's mf_process_maxfwd_header)."""
        request = msg.request
        hops = request.max_forwards
        if hops is None:
            request.set_header("Max-Forwards", str(limit))
            return True
        return hops > 0

    def sanity(self, msg: SipMsg) -> bool:
        """Checks beyond the core's (which answers malformed requests with 400 before
        the script runs): a Proxy-Require naming extensions gets 420 Bad Extension
        (RFC 3261 16.3 item 5). False when the request was answered."""
        request = msg.request
        required = request.header_values("proxy-require")
        if required and request.method not in ("ACK", "CANCEL"):
            self.reply(msg, 420, "Bad Extension", headers=[("Unsupported", ", ".join(required))])
            return False
        return True

    def drop(self, msg: SipMsg) -> None:
        """In branch_route: do not send this branch. In reply_route: do not relay this
        provisional reply. In request_route: nothing is sent (same as returning)."""
        msg.dropped = True

    def api_list(self) -> list[dict[str, str]]:
        """Every API function: module ("" or the sub-object), name, parameters, return."""
        from proxy.routing.introspect import describe_api

        return describe_api(self)

