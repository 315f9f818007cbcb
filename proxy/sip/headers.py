"""Header names and typed header values (RFC 3261 sections 7.3 and 20).

Names: :func:`header_key` maps any spelling or compact form to one lower-case key
(``"i"``, ``"CALL-ID"`` -> ``"call-id"``) used for lookups, and :func:`canonical_name` gives
the spelling we write (``"Call-ID"``). :data:`LIST_HEADERS` holds the headers whose value is a
comma-separated list (:func:`~proxy.sip.syntax.split_commas` splits it).

Values: :class:`NameAddr` (From, To, Contact, Route, Record-Route, ...), :class:`Via` and
:class:`CSeq` are immutable; each has a ``parse_*`` function raising
:class:`~proxy.sip.errors.SipParseError` and a ``str()`` that writes a valid header value.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from proxy.sip.errors import SipParseError, snip
from proxy.sip.syntax import (
    EMPTY_PARAMS,
    TOKEN_RE,
    Params,
    parse_header_params,
    quote,
    quoted_end,
    split_commas,
    unquote,
)
from proxy.sip.uri import Uri, parse_uri

# -- names ------------------------------------------------------------------------------------

#: Compact forms (RFC 3261 7.3.3 and the extensions that registered one).
COMPACT_FORMS: dict[str, str] = {
    "a": "Accept-Contact",
    "b": "Referred-By",
    "c": "Content-Type",
    "d": "Request-Disposition",
    "e": "Content-Encoding",
    "f": "From",
    "i": "Call-ID",
    "j": "Reject-Contact",
    "k": "Supported",
    "l": "Content-Length",
    "m": "Contact",
    "n": "Identity-Info",
    "o": "Event",
    "r": "Refer-To",
    "s": "Subject",
    "t": "To",
    "u": "Allow-Events",
    "v": "Via",
    "x": "Session-Expires",
    "y": "Identity",
}

_CANONICAL_NAMES = [
    *COMPACT_FORMS.values(),
    "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow",
    "Authentication-Info", "Authorization", "Call-Info", "Content-Disposition",
    "Content-Language", "CSeq", "Date", "Diversion", "Error-Info", "Expires", "History-Info",
    "In-Reply-To", "Max-Forwards", "Min-Expires", "Min-SE", "MIME-Version", "Organization",
    "P-Asserted-Identity", "P-Associated-URI", "P-Preferred-Identity", "Path", "Priority",
    "Privacy", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Require", "RAck", "Reason",
    "Record-Route", "Replaces", "Reply-To", "Require", "Retry-After", "Route", "RSeq",
    "Security-Client", "Security-Server", "Security-Verify", "Server", "Service-Route",
    "SIP-ETag", "SIP-If-Match", "Subscription-State", "Timestamp", "Unsupported",
    "User-Agent", "Warning", "WWW-Authenticate",
]
_CANONICAL: dict[str, str] = {name.lower(): name for name in _CANONICAL_NAMES}
_COMPACT_KEYS: dict[str, str] = {k: v.lower() for k, v in COMPACT_FORMS.items()}

#: Keys of headers whose value is a comma-separated list (several may also be repeated).
LIST_HEADERS = frozenset({
    "accept", "accept-contact", "accept-encoding", "accept-language", "alert-info", "allow",
    "allow-events", "call-info", "contact", "content-encoding", "content-language",
    "diversion", "error-info", "history-info", "in-reply-to", "p-asserted-identity",
    "p-associated-uri", "p-preferred-identity", "path", "proxy-require", "reason",
    "record-route", "reject-contact", "request-disposition", "require", "route",
    "security-client", "security-server", "security-verify", "service-route", "supported",
    "unsupported", "via", "warning",
})


def header_key(name: str) -> str:
    """The lookup key of a header name: lower case, compact forms expanded."""
    key = name.lower()
    return _COMPACT_KEYS.get(key, key)


def canonical_name(name: str) -> str:
    """The spelling we write: ``"i"``/``"call-id"`` -> ``"Call-ID"``; unknown names as given."""
    return _CANONICAL.get(header_key(name), name)


def is_list_header(name: str) -> bool:
    """True when the header's value is a comma-separated list (Via, Contact, Allow, ...)."""
    return header_key(name) in LIST_HEADERS


# -- small values -----------------------------------------------------------------------------


def parse_uint(value: str, what: str, maximum: int = 2**32 - 1) -> int:
    """A header that is one unsigned decimal number (Max-Forwards, Content-Length, Expires)."""
    text = value.strip(" \t")
    if not text or not text.isascii() or not text.isdigit():
        raise SipParseError(f"bad {what} header: not a number")
    if len(text) > 10 or int(text) > maximum:
        raise SipParseError(f"bad {what} header: number too large")
    return int(text)


def parse_call_id(value: str) -> str:
    """Call-ID: one word (no blanks), returned stripped."""
    text = value.strip(" \t")
    if not text or not text.isprintable() or " " in text:
        raise SipParseError("bad Call-ID header")
    return text


@dataclass(frozen=True, slots=True)
class CSeq:
    """The CSeq header: sequence number and method (``CSeq: 1 INVITE``)."""

    seq: int
    method: str

    def __post_init__(self) -> None:
        if not 0 <= self.seq <= 2**32 - 1:
            raise SipParseError("bad CSeq header: number out of range")
        if TOKEN_RE.fullmatch(self.method) is None:
            raise SipParseError("bad CSeq header: bad method")

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"


_CSEQ_RE = re.compile(r"[ \t]*(\S+)[ \t]+(\S+)[ \t]*")


def parse_cseq(value: str) -> CSeq:
    m = _CSEQ_RE.fullmatch(value)
    if m is None:
        raise SipParseError("bad CSeq header: expected number and method")
    number = m.group(1)
    if not number.isascii() or not number.isdigit():
        raise SipParseError("bad CSeq header: number is not an integer")
    if len(number) > 10:
        raise SipParseError("bad CSeq header: number out of range")
    return CSeq(int(number), m.group(2))


# -- name-addr / addr-spec --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NameAddr:
    """A URI with an optional display name and header parameters.

    The value of From, To, Contact, Route, Record-Route, Reply-To, Refer-To, P-Asserted-
    Identity ... Written back always in name-addr form (``"Alice" <sip:a@b>;tag=1``), which is
    valid wherever addr-spec is.

    Attributes:
        uri: the URI (parameters inside ``<...>`` belong to it).
        display_name: the display name, unquoted, or None.
        params: header parameters after the URI (tag, expires, q, +sip.instance, ...).
    """

    uri: Uri
    display_name: str | None = None
    params: Params = EMPTY_PARAMS

    def __post_init__(self) -> None:
        if self.display_name is not None and ("\r" in self.display_name
                                              or "\n" in self.display_name):
            raise SipParseError("bad display name: line break")

    def __str__(self) -> str:
        display = "" if self.display_name is None else quote(self.display_name) + " "
        return f"{display}<{self.uri}>{self.params}"

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    @property
    def tag(self) -> str | None:
        """The ``tag`` parameter (From/To), or None."""
        return self.params.get("tag")

    @property
    def expires(self) -> int | None:
        """The ``expires`` parameter of a Contact, or None; a bad value raises SipParseError."""
        value = self.params.get("expires")
        if value is None:
            return None
        return parse_uint(unquote(value), "Contact expires")

    @property
    def q(self) -> float | None:
        """The ``q`` parameter of a Contact (0.0 to 1.0), or None."""
        value = self.params.get("q")
        if value is None:
            return None
        try:
            q = float(value)
        except ValueError:
            raise SipParseError("bad Contact header: bad q value") from None
        if not 0.0 <= q <= 1.0:
            raise SipParseError("bad Contact header: q value out of range")
        return q

    def with_param(self, name: str, value: str | None = None) -> NameAddr:
        return dataclasses.replace(self, params=self.params.with_param(name, value))

    def without_param(self, name: str) -> NameAddr:
        return dataclasses.replace(self, params=self.params.without_param(name))

    def with_tag(self, tag: str) -> NameAddr:
        return self.with_param("tag", tag)

    def replace(self, **changes: Any) -> NameAddr:
        return dataclasses.replace(self, **changes)


def parse_name_addr(value: str, what: str = "address") -> NameAddr:
    """Read ``"Alice" <sip:a@b>;tag=1``, ``Alice <sip:a@b>``, ``<sip:a@b>`` or ``sip:a@b;tag=1``.

    In the bare addr-spec form the parameters after the URI belong to the header (RFC 3261
    20.10), so ``sip:a@b;tag=x`` has tag ``x`` and a URI without parameters.
    """
    text = value.strip(" \t")
    if not text:
        raise SipParseError(f"bad {what} header: empty")
    display: str | None = None
    try:
        if text[0] == '"':
            end = quoted_end(text, 0)
            display = unquote(text[:end])
            rest = text[end:].lstrip(" \t")
            if not rest.startswith("<"):
                raise SipParseError(f"bad {what} header: '<' expected after display name")
        else:
            lt = text.find("<")
            if lt < 0 or 0 <= text.find(";") < lt or 0 <= text.find('"') < lt:
                # no '<' before the header parameters: addr-spec (a quoted parameter
                # value may hold '<', as in ;+sip.instance="<urn:...>")
                return _parse_addr_spec(text, what)
            display = text[:lt].strip(" \t") or None
            if display is not None and any(ch in display for ch in '"<>;,'):
                raise SipParseError(f"bad {what} header: bad display name")
            rest = text[lt:]
        gt = rest.find(">")
        if gt < 0:
            raise SipParseError(f"bad {what} header: missing '>'")
        uri = parse_uri(rest[1:gt])
        params = parse_header_params(rest[gt + 1:], what)
    except SipParseError as err:
        raise _prefixed(err, what) from None
    return NameAddr(uri, display, params)


def _parse_addr_spec(text: str, what: str) -> NameAddr:
    semi = text.find(";")
    uri_text = text if semi < 0 else text[:semi]
    if any(ch in uri_text for ch in " \t,?>"):
        raise SipParseError(f"bad {what} header: bad address {snip(uri_text)}")
    params = EMPTY_PARAMS if semi < 0 else parse_header_params(text[semi:], what)
    return NameAddr(parse_uri(uri_text), None, params)


def parse_name_addr_list(value: str, what: str = "address") -> list[NameAddr]:
    """A comma-separated list of name-addrs (Contact, Route, Record-Route, Path, ...)."""
    try:
        parts = split_commas(value)
    except SipParseError as err:
        raise _prefixed(err, what) from None
    return [parse_name_addr(part, what) for part in parts]


def _prefixed(err: SipParseError, what: str) -> SipParseError:
    """Make sure the message names the header (``bad From header: ...``)."""
    if err.message.startswith("bad " + what):
        return err
    return SipParseError(f"bad {what} header: {err.message}", status=err.status)


# -- Via ------------------------------------------------------------------------------------

_VIA_RE = re.compile(
    r"[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*/[ \t]*"
    r"([A-Za-z0-9\-.!%*_+`'~]+)[ \t]+(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_][A-Za-z0-9_\-.]*)"
    r"(?:[ \t]*:[ \t]*([0-9]{1,5}))?"
)

_VIA_HOST_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-.]*")


@dataclass(frozen=True, slots=True)
class Via:
    """One Via value: ``SIP/2.0/UDP host:port;branch=z9hG4bK...;received=...;rport``.

    Attributes:
        transport: upper case (``UDP``, ``TCP``, ``TLS``, ``SCTP``, ``WS``, ``WSS``).
        host: sent-by host as written (IPv6 with brackets).
        port: sent-by port, or None.
        params: via parameters in order.
        protocol: ``SIP/2.0``.
    """

    transport: str
    host: str
    port: int | None = None
    params: Params = EMPTY_PARAMS
    protocol: str = "SIP/2.0"

    def __post_init__(self) -> None:
        if TOKEN_RE.fullmatch(self.transport) is None:
            raise SipParseError("bad Via header: bad transport")
        if self.port is not None and not 0 <= self.port <= 65535:
            raise SipParseError("bad Via header: port out of range")
        if self.host.startswith("["):
            try:
                ipaddress.IPv6Address(self.host[1:-1])
            except ValueError:
                raise SipParseError(f"bad Via header: bad IPv6 address {snip(self.host)}") \
                    from None
        elif _VIA_HOST_RE.fullmatch(self.host) is None:
            raise SipParseError(f"bad Via header: bad host {snip(self.host)}")
        for name, checked in (("rport", 65535), ("ttl", 255)):
            value = self.params.get(name)
            if value and (not value.isascii() or not value.isdigit() or len(value) > 5
                          or int(value) > checked):
                raise SipParseError(f"bad Via header: bad {name}")

    def __str__(self) -> str:
        return f"{self.protocol}/{self.transport} {self.sent_by}{self.params}"

    @property
    def sent_by(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    @property
    def host_bare(self) -> str:
        """Host without the brackets of an IPv6 reference."""
        return self.host[1:-1] if self.host.startswith("[") else self.host

    @property
    def branch(self) -> str | None:
        return self.params.get("branch")

    @property
    def received(self) -> str | None:
        return self.params.get("received")

    @property
    def has_rport(self) -> bool:
        """True when the ``rport`` parameter is present (with or without a value)."""
        return "rport" in self.params

    @property
    def rport(self) -> int | None:
        """The value of ``rport=N``; None when absent or empty (a request for rport)."""
        value = self.params.get("rport")
        return int(value) if value else None

    @property
    def maddr(self) -> str | None:
        return self.params.get("maddr")

    @property
    def ttl(self) -> int | None:
        value = self.params.get("ttl")
        return int(value) if value else None

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    def with_param(self, name: str, value: str | None = None) -> Via:
        return dataclasses.replace(self, params=self.params.with_param(name, value))

    def without_param(self, name: str) -> Via:
        return dataclasses.replace(self, params=self.params.without_param(name))

    def replace(self, **changes: Any) -> Via:
        return dataclasses.replace(self, **changes)


def parse_via(value: str) -> Via:
    """One via-parm (not a comma list; see :func:`parse_via_list`)."""
    m = _VIA_RE.match(value)
    if m is None:
        raise SipParseError(f"bad Via header: cannot read {snip(value.strip())}")
    port_text = m.group(5)
    port = int(port_text) if port_text else None
    if port is not None and port > 65535:
        raise SipParseError("bad Via header: port out of range")
    try:
        params = parse_header_params(value[m.end():], "Via")
    except SipParseError as err:
        raise _prefixed(err, "Via") from None
    return Via(m.group(3).upper(), m.group(4), port, params, f"{m.group(1)}/{m.group(2)}")


def parse_via_list(value: str) -> list[Via]:
    """All via-parms of one Via header value."""
    try:
        parts = split_commas(value)
    except SipParseError as err:
        raise _prefixed(err, "Via") from None
    if not parts:
        raise SipParseError("bad Via header: empty")
    return [parse_via(part) for part in parts]
