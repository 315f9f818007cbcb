"""REGISTER processing as pure functions (RFC 3261 10.3, RFC 3327 Path).

:func:`read_register` checks everything a REGISTER says (Contacts, Expires, Call-ID,
CSeq, Path, the source address) and turns it into a :class:`RegisterRequest`, or
raises :class:`Reject` with the reply to send. :func:`apply_register` computes an
AoR's new contact list from its live contacts; it is all-or-nothing (an out-of-order
CSeq or too many contacts change nothing) and has no side effects, so the location
store can run it in memory or inside a database transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from proxy.modules.usrloc.contact import METHODS_ALL, Q_UNSPECIFIED, Contact, new_ruid
from proxy.sip import Request, SipParseError, Uri, split_commas
from proxy.transport import ReceiveInfo
from proxy.transport.address import hostport, normalize_ip

#: Kamailio's method bits (the ``methods`` column)
METHOD_BITS = {
    "INVITE": 1, "CANCEL": 2, "ACK": 4, "BYE": 8, "INFO": 16, "REGISTER": 32,
    "SUBSCRIBE": 64, "NOTIFY": 128, "MESSAGE": 256, "OPTIONS": 512, "PRACK": 1024,
    "UPDATE": 2048, "REFER": 4096, "PUBLISH": 8192,
}
_MAX_SECONDS = 2**31 - 1
_LIMITS = {"Contact": 512, "Call-ID": 255, "Path": 512, "received address": 128}


class Reject(Exception):  # noqa: N818 - it is the reply, not an error of ours
    """The reply that ends a REGISTER which cannot be saved."""

    def __init__(self, code: int, reason: str, headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(f"{code} {reason}")
        self.code = code
        self.reason = reason
        self.headers = headers


@dataclass(frozen=True)
class SaveResult:
    """The reply save() sent; true for the 200."""

    code: int
    reason: str
    headers: tuple[tuple[str, str], ...] = ()
    contacts: tuple[Contact, ...] = field(default=(), compare=False)

    def __bool__(self) -> bool:
        return self.code == 200


@dataclass(frozen=True)
class Limits:
    """The registrar parameters one REGISTER is processed with (a snapshot)."""

    default_expires: int = 3600
    min_expires: int = 60
    min_expires_mode: int = 1
    max_expires: int = 0
    max_contacts: int = 0
    use_path: int = 1
    path_mode: int = 2
    store_received: int = 1
    server_id: int = 0

    @classmethod
    def from_params(cls, snap: Any) -> Limits:
        values = {name: snap.get_int("registrar", name) for name in cls.__dataclass_fields__
                  if name != "server_id"}
        return cls(server_id=snap.get_int("usrloc", "server_id"), **values)


@dataclass(frozen=True)
class Binding:
    """One Contact of the REGISTER, checked; ``expires`` in seconds (0: remove)."""

    uri: str
    expires: int
    q: float
    received: str | None
    instance: str | None
    reg_id: int


@dataclass(frozen=True)
class RegisterRequest:
    """What a REGISTER asks for, checked."""

    aor: str
    star: bool
    bindings: tuple[Binding, ...]
    callid: str
    cseq: int
    user_agent: str
    socket: str | None
    tcpconn_id: int
    path: str | None
    path_values: tuple[str, ...]
    echo_path: bool
    methods: int


def _check_length(what: str, text: str) -> None:
    if len(text) > _LIMITS[what]:
        raise Reject(400, f"{what} too long")


def read_register(request: Request, info: ReceiveInfo | None, aor: str, limits: Limits
                  ) -> RegisterRequest:
    """Check the REGISTER; Reject (400, 420, 423) when it cannot be saved."""
    try:
        star = request.contact_star
        contacts = request.contacts
        header_expires = request.expires
        callid = request.call_id
        cseq = request.cseq.seq
    except SipParseError as exc:
        raise Reject(400, _reason(exc)) from None
    _check_length("Call-ID", callid)
    if star:
        if header_expires != 0:
            raise Reject(400, "Invalid Contact * (Expires must be 0)")
        return RegisterRequest(aor, True, (), callid, cseq, "", None, -1, None, (), False,
                               METHODS_ALL)
    path_values, echo_path = _path(request, limits)
    bindings = tuple(_binding(c, header_expires, info, limits) for c in contacts)
    short = [b for b in bindings if 0 < b.expires < limits.min_expires]
    if short and limits.min_expires_mode:
        raise Reject(423, "Interval Too Brief", (("Min-Expires", str(limits.min_expires)),))
    if short:
        bindings = tuple(
            Binding(b.uri, limits.min_expires, b.q, b.received, b.instance, b.reg_id)
            if 0 < b.expires < limits.min_expires else b
            for b in bindings
        )
    user_agent = (request.get_header("user-agent") or "")[:255]
    path = ",".join(path_values) or None
    return RegisterRequest(
        aor=aor,
        star=False,
        bindings=bindings,
        callid=callid,
        cseq=cseq,
        user_agent=user_agent,
        socket=str(info.socket) if info is not None else None,
        tcpconn_id=info.conn_id if info is not None and info.conn_id is not None else -1,
        path=path,
        path_values=path_values,
        echo_path=echo_path,
        methods=_methods(request),
    )


def _reason(exc: SipParseError) -> str:
    """A parser message as a reason phrase (``bad Contact header: ...`` -> ``Bad Contact
    header: ...``), one line, not too long."""
    text = " ".join(str(exc).split())[:120]
    return text[:1].upper() + text[1:]


def _binding(contact: Any, header_expires: int | None, info: ReceiveInfo | None,
             limits: Limits) -> Binding:
    uri: Uri = contact.uri
    if uri.scheme not in ("sip", "sips") or not uri.host:
        raise Reject(400, "Bad Contact URI (sip: or sips: expected)")
    text = str(uri)
    _check_length("Contact", text)
    try:
        expires = contact.expires
        q = contact.q
    except SipParseError as exc:
        raise Reject(400, _reason(exc)) from None
    if expires is None:
        expires = header_expires if header_expires is not None else limits.default_expires
    expires = min(expires, _MAX_SECONDS)
    if limits.max_expires and expires > limits.max_expires:
        expires = limits.max_expires
    instance = contact.param("+sip.instance")
    if instance is not None:
        instance = instance.strip('"')
        if len(instance) > 255:
            instance = None
    reg_id_text = contact.param("reg-id")
    reg_id = int(reg_id_text) if reg_id_text and reg_id_text.isdigit() and \
        len(reg_id_text) < 10 else 0
    received = _received(uri, info) if limits.store_received else None
    if received is not None:
        _check_length("received address", received)
    return Binding(text, expires, q if q is not None else Q_UNSPECIFIED, received, instance,
                   reg_id)


def _received(uri: Uri, info: ReceiveInfo | None) -> str | None:
    """``sip:SRC:PORT[;transport=tcp]`` when the REGISTER came from elsewhere than the
    Contact says (a client behind NAT), else None."""
    if info is None:
        return None
    port = uri.port if uri.port is not None else (5061 if uri.is_secure else 5060)
    transport = (uri.transport or ("tls" if uri.is_secure else "udp")).lower()
    if (normalize_ip(uri.host_bare) == normalize_ip(info.src_host)
            and port == info.src_port and transport == info.proto):
        return None
    text = f"sip:{hostport(info.src_host, info.src_port)}"
    return text if info.proto == "udp" else f"{text};transport={info.proto}"


def _path(request: Request, limits: Limits) -> tuple[tuple[str, ...], bool]:
    """(Path values to store, echo them in the 200?)."""
    values = request.get_headers("path")
    if not values or not limits.use_path:
        return (), False
    try:
        parts = tuple(v for value in values for v in split_commas(value))
    except SipParseError as exc:
        raise Reject(400, _reason(exc)) from None
    _check_length("Path", ",".join(parts))
    supported = any(
        token.strip().lower() == "path"
        for value in request.get_headers("supported")
        for token in value.split(",")
    )
    if limits.path_mode == 1 and not supported:
        raise Reject(420, "Bad Extension", (("Unsupported", "path"),))
    return parts, limits.path_mode != 0 and supported


def _methods(request: Request) -> int:
    allows = request.get_headers("allow")
    if not allows:
        return METHODS_ALL
    bits = 0
    for value in allows:
        for name in value.split(","):
            bits |= METHOD_BITS.get(name.strip().upper(), 0)
    return bits or METHODS_ALL


def aor_from_uri(uri: Uri, use_domain: bool) -> str:
    """The AoR of a To or Request-URI: ``user@host`` (user unescaped, host lower case)
    with use_domain, else the user alone; Reject 400 when there is no user part."""
    if uri.scheme not in ("sip", "sips") or not uri.user:
        raise Reject(400, "Bad To URI (no user part)")
    user = unquote(uri.user)
    return f"{user}@{uri.host_bare.lower()}" if use_domain else user


# -- the change of an AoR ---------------------------------------------------------------


def apply_register(req: RegisterRequest, live: list[Contact], now: float, limits: Limits
                   ) -> tuple[list[Contact] | None, SaveResult]:
    """The AoR's new contacts and the reply (nothing changes when it is not a 200)."""
    try:
        new = _changed(req, live, now, limits)
    except Reject as exc:
        return None, SaveResult(exc.code, exc.reason, exc.headers)
    current = new if new is not None else live
    return new, SaveResult(200, "OK", reply_headers(req, current, now), tuple(current))


def _changed(req: RegisterRequest, live: list[Contact], now: float, limits: Limits
             ) -> list[Contact] | None:
    if req.star:
        _check_order(req, live)
        return []
    if not req.bindings:
        return None  # a query: the 200 lists the bindings
    contacts = list(live)
    for binding in req.bindings:
        at = _find(contacts, binding)
        if at is not None:
            old = contacts[at]
            if old.callid == req.callid and req.cseq <= old.cseq:
                raise Reject(500, "Out of Order Request")
            if binding.expires == 0:
                del contacts[at]
            else:
                contacts[at] = old.changed(**_fields(req, binding, now, limits))
        elif binding.expires != 0:
            contacts.append(Contact(aor=req.aor, ruid=new_ruid(),
                                    **_fields(req, binding, now, limits)))
    if limits.max_contacts and len(contacts) > limits.max_contacts:
        raise Reject(503, "Too Many Registered Contacts")
    return contacts


def _check_order(req: RegisterRequest, live: list[Contact]) -> None:
    for contact in live:
        if contact.callid == req.callid and req.cseq <= contact.cseq:
            raise Reject(500, "Out of Order Request")


def _find(contacts: list[Contact], binding: Binding) -> int | None:
    """The stored contact this binding refreshes: same instance and reg-id (RFC 5626)
    when it has an instance, else the same URI (as written)."""
    for i, contact in enumerate(contacts):
        if binding.instance is not None and contact.instance == binding.instance \
                and contact.reg_id == binding.reg_id:
            return i
        if binding.instance is None and contact.uri == binding.uri:
            return i
    return None


def _fields(req: RegisterRequest, binding: Binding, now: float, limits: Limits
            ) -> dict[str, Any]:
    return {
        "uri": binding.uri,
        "expires": now + binding.expires,
        "q": binding.q,
        "callid": req.callid,
        "cseq": req.cseq,
        "user_agent": req.user_agent,
        "received": binding.received,
        "path": req.path,
        "socket": req.socket,
        "methods": req.methods,
        "instance": binding.instance,
        "reg_id": binding.reg_id,
        "server_id": limits.server_id,
        "tcpconn_id": req.tcpconn_id,
        "last_modified": now,
    }


def reply_headers(req: RegisterRequest, contacts: list[Contact], now: float
                  ) -> tuple[tuple[str, str], ...]:
    """The 200's Contact header (every live binding with its expires) and Path echo."""
    parts = []
    for c in contacts:
        if not c.alive(now):
            continue
        text = f"<{c.uri}>"
        if c.expires:
            text += f";expires={c.seconds_left(now)}"
        if c.q != Q_UNSPECIFIED:
            text += f";q={c.q:.3g}"
        if c.received:
            text += f';received="{c.received}"'
        parts.append(text)
    headers: list[tuple[str, str]] = []
    if parts:
        headers.append(("Contact", ", ".join(parts)))
    if req.echo_path and req.path_values:
        headers.append(("Path", ", ".join(req.path_values)))
    return tuple(headers)
