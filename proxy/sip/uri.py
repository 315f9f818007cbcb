"""SIP, SIPS and TEL URIs (RFC 3261 sections 19.1 and 25.1, RFC 3966).

:func:`parse_uri` reads a URI into an immutable :class:`Uri`; ``str(uri)`` writes it back,
byte-exact for a parsed URI (escapes, case and parameter order are kept). ``uri == other``
follows the comparison rules of RFC 3261 19.1.4 (and RFC 3966 section 4 for tel:), and
:meth:`Uri.replace` / :meth:`Uri.with_param` build changed copies.

A tel: URI keeps its number in :attr:`Uri.user` and has an empty :attr:`Uri.host`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from proxy.sip.errors import SipParseError, snip
from proxy.sip.syntax import EMPTY_PARAMS, Params

SCHEMES = frozenset({"sip", "sips", "tel"})
DEFAULT_PORTS = {"sip": 5060, "sips": 5061}

_ESC = r"%[0-9A-Fa-f]{2}"
# user may hold user-unreserved "&=+$,;?/"; '#' is accepted too (feature codes like *21#).
_USER_RE = re.compile(rf"(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/#]|{_ESC})+")
_PASSWORD_RE = re.compile(rf"(?:[A-Za-z0-9\-_.!~*'()&=+$,]|{_ESC})*")
_HOSTNAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-.]*")
_IPV6_REF_RE = re.compile(r"\[[0-9A-Fa-f:.]+\]")
_PARAMCHARS_RE = re.compile(rf"(?:[A-Za-z0-9\-_.!~*'()\[\]/:&+$]|{_ESC})*")
_PNAME_RE = re.compile(rf"(?:[A-Za-z0-9\-_.!~*'()\[\]/:&+$]|{_ESC})+")
# hvalue: hnv-unreserved / unreserved / escaped; '@' is tolerated (seen unescaped in Replaces).
_HNAME_RE = re.compile(rf"(?:[A-Za-z0-9\-_.!~*'()\[\]/?:+$]|{_ESC})+")
_HVALUE_RE = re.compile(rf"(?:[A-Za-z0-9\-_.!~*'()\[\]/?:+$@]|{_ESC})*")
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")
_GLOBAL_NUMBER_RE = re.compile(r"\+[0-9\-.()]*[0-9][0-9\-.()]*")
_LOCAL_NUMBER_RE = re.compile(r"[0-9A-Fa-f*#\-.()]*[0-9A-Fa-f*#][0-9A-Fa-f*#\-.()]*")
_ESCAPE_RE = re.compile(r"%([0-9A-Fa-f]{2})")
_VISUAL_SEPARATORS = str.maketrans("", "", "-.()")

_RESERVED = frozenset(";/?:@&=+$,")
# Parameters that make two URIs different when only one of them has it (19.1.4).
_STRICT_PARAMS = ("user", "ttl", "method", "maddr", "transport")


@dataclass(frozen=True, slots=True, eq=False)
class Uri:
    """An immutable SIP, SIPS or TEL URI.

    Attributes:
        scheme: ``"sip"``, ``"sips"`` or ``"tel"`` (always lower case).
        host: host as written: a name, an IPv4 address or an IPv6 reference ``[::1]``;
            ``""`` for tel:.
        user: user part as written (escapes kept), the number of a tel: URI, or None.
        password: the part after ``user:``, or None.
        port: port number or None when absent (no default is filled in).
        params: URI parameters (``;transport=tcp;lr``), in order.
        headers: URI headers (``?Subject=x&Priority=urgent``) as (name, value) pairs.

    Components are validated on construction; a bad one raises :class:`SipParseError`.
    """

    scheme: str
    host: str = ""
    user: str | None = None
    password: str | None = None
    port: int | None = None
    params: Params = EMPTY_PARAMS
    headers: tuple[tuple[str, str], ...] = ()
    _text: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        _validate(self)

    # -- text ------------------------------------------------------------------------------

    def __str__(self) -> str:
        text = self._text
        if text is None:
            text = _format(self)
            object.__setattr__(self, "_text", text)
        return text

    # -- comparison (RFC 3261 19.1.4, RFC 3966 4) ---------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Uri):
            return NotImplemented
        return uri_equal(self, other)

    def __hash__(self) -> int:
        if self.scheme == "tel":
            return hash(("tel", _tel_digits(self.user or "")))
        return hash((self.scheme, _norm(self.user), _norm(self.password),
                     _host_key(self.host), self.port))

    # -- views ------------------------------------------------------------------------------

    @property
    def is_tel(self) -> bool:
        return self.scheme == "tel"

    @property
    def is_secure(self) -> bool:
        """True for sips: URIs."""
        return self.scheme == "sips"

    @property
    def is_ipv6(self) -> bool:
        return self.host.startswith("[")

    @property
    def host_bare(self) -> str:
        """Host without the brackets of an IPv6 reference (``::1`` for ``[::1]``)."""
        return self.host[1:-1] if self.host.startswith("[") else self.host

    @property
    def hostport(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    @property
    def default_port(self) -> int | None:
        """The port to use when :attr:`port` is None (5060, 5061 for sips:, None for tel:)."""
        return DEFAULT_PORTS.get(self.scheme)

    def param(self, name: str, default: str | None = None) -> str | None:
        """Value of URI parameter ``name`` (case-insensitive name); None when valueless."""
        return self.params.get(name, default)

    def has_param(self, name: str) -> bool:
        return name in self.params

    @property
    def transport(self) -> str | None:
        """The ``transport`` parameter in lower case, or None."""
        value = self.params.get("transport")
        return value.lower() if value else None

    @property
    def lr(self) -> bool:
        """True when the URI has the loose-routing ``;lr`` parameter."""
        return "lr" in self.params

    @property
    def maddr(self) -> str | None:
        return self.params.get("maddr")

    # -- building ---------------------------------------------------------------------------

    def replace(self, **changes: Any) -> Uri:
        """A copy with the given fields changed (``uri.replace(host="b.example", port=None)``)."""
        if "params" in changes and not isinstance(changes["params"], Params):
            changes["params"] = Params(changes["params"])
        if "headers" in changes:
            changes["headers"] = tuple(changes["headers"])
        return dataclasses.replace(self, **changes)

    def with_param(self, name: str, value: str | None = None) -> Uri:
        """A copy where URI parameter ``name`` has ``value`` (replaced or appended)."""
        key = name.lower()
        items = list(self.params)
        for i, (k, _) in enumerate(items):
            if k.lower() == key:
                items[i] = (k, value)
                break
        else:
            items.append((name, value))
        return dataclasses.replace(self, params=Params(items))

    def without_param(self, name: str) -> Uri:
        """A copy without URI parameter ``name``."""
        if name not in self.params:
            return self
        return dataclasses.replace(self, params=self.params.without_param(name))


def parse_uri(text: str) -> Uri:
    """Read a sip:, sips: or tel: URI. Raises :class:`SipParseError` (status 416 for others)."""
    colon = text.find(":")
    if colon <= 0 or _SCHEME_RE.fullmatch(text, 0, colon) is None:
        raise SipParseError(f"bad URI {snip(text)}: no scheme")
    scheme = text[:colon].lower()
    if scheme not in SCHEMES:
        raise SipParseError(f"unsupported URI scheme {snip(scheme)}", status=416)
    rest = text[colon + 1:]
    if scheme == "tel":
        number, params_text = _split_at(rest, ";")
        uri = Uri(scheme, user=number, params=_parse_uri_params(params_text, text))
    else:
        uri = _parse_sip(scheme, rest, text)
    object.__setattr__(uri, "_text", text)
    return uri


def uri_equal(a: Uri, b: Uri) -> bool:
    """Compare two URIs by RFC 3261 19.1.4 (sip/sips) or RFC 3966 section 4 (tel)."""
    if a.scheme != b.scheme:
        return False
    if a.scheme == "tel":
        return _tel_equal(a, b)
    if (
        _norm(a.user) != _norm(b.user)
        or _norm(a.password) != _norm(b.password)
        or a.port != b.port
        or _host_key(a.host) != _host_key(b.host)
    ):
        return False
    pa = _param_map(a.params)
    pb = _param_map(b.params)
    for name in _STRICT_PARAMS:
        if (name in pa or name in pb) and pa.get(name, "\0") != pb.get(name, "\0"):
            return False
    for name, value in pa.items():
        if name in pb and pb[name] != value:
            return False
    return _header_set(a.headers) == _header_set(b.headers)


# -- parsing helpers --------------------------------------------------------------------------


def _split_at(text: str, sep: str) -> tuple[str, str | None]:
    """(before the first ``sep``, after it); the second is None when ``sep`` is absent."""
    i = text.find(sep)
    if i < 0:
        return text, None
    return text[:i], text[i + 1:]


def _parse_sip(scheme: str, rest: str, text: str) -> Uri:
    user: str | None = None
    password: str | None = None
    at = rest.find("@")
    if at >= 0:
        userinfo = rest[:at]
        rest = rest[at + 1:]
        user, sep, pw = userinfo.partition(":")
        if sep:
            password = pw
        if not user:
            raise SipParseError(f"bad URI {snip(text)}: empty user part")
    hostpart, headers_text = _split_at(rest, "?")
    hostport, params_text = _split_at(hostpart, ";")
    port: int | None = None
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise SipParseError(f"bad URI {snip(text)}: unterminated IPv6 reference")
        host = hostport[:end + 1]
        after = hostport[end + 1:]
        if after:
            if after[0] != ":":
                raise SipParseError(f"bad URI {snip(text)}: junk after IPv6 reference")
            port = _parse_port(after[1:], text)
    else:
        host, sep, port_text = hostport.partition(":")
        if sep:
            port = _parse_port(port_text, text)
    if not host:
        raise SipParseError(f"bad URI {snip(text)}: no host")
    headers: tuple[tuple[str, str], ...] = ()
    if headers_text is not None:
        headers = _parse_uri_headers(headers_text, text)
    return Uri(scheme, host, user=user, password=password, port=port,
               params=_parse_uri_params(params_text, text), headers=headers)


def _parse_port(text: str, uri: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 5:
        raise SipParseError(f"bad URI {snip(uri)}: bad port")
    port = int(text)
    if port > 65535:
        raise SipParseError(f"bad URI {snip(uri)}: port out of range")
    return port


def _parse_uri_params(text: str | None, uri: str) -> Params:
    """``a=b;lr`` (what follows the first ``;``) -> Params."""
    if text is None:
        return EMPTY_PARAMS
    items: list[tuple[str, str | None]] = []
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if not name:
            raise SipParseError(f"bad URI {snip(uri)}: empty parameter")
        items.append((name, value if sep else None))
    return Params(items)


def _parse_uri_headers(text: str, uri: str) -> tuple[tuple[str, str], ...]:
    items: list[tuple[str, str]] = []
    for part in text.split("&"):
        name, sep, value = part.partition("=")
        if not sep:
            raise SipParseError(f"bad URI {snip(uri)}: URI header without '='")
        items.append((name, value))
    return tuple(items)


# -- validation and formatting ----------------------------------------------------------------


def _validate(uri: Uri) -> None:
    """Check every component so that ``str(uri)`` is a valid URI."""
    scheme = uri.scheme
    if scheme not in SCHEMES:
        raise SipParseError(f"unsupported URI scheme {snip(scheme)}", status=416)
    if not isinstance(uri.params, Params):
        raise SipParseError("bad URI: params must be a Params")
    for name, value in uri.params:
        if _PNAME_RE.fullmatch(name) is None:
            raise SipParseError(f"bad URI parameter name {snip(name)}")
        if value is not None and _PARAMCHARS_RE.fullmatch(value) is None:
            raise SipParseError(f"bad value for URI parameter {snip(name)}")
    if scheme == "tel":
        _validate_tel(uri)
        return
    user = uri.user
    if user is not None and _USER_RE.fullmatch(user) is None:
        raise SipParseError(f"bad URI user part {snip(user)}")
    if uri.password is not None:
        if user is None:
            raise SipParseError("bad URI: password without user")
        if _PASSWORD_RE.fullmatch(uri.password) is None:
            raise SipParseError("bad URI password")
    _validate_host(uri.host)
    port = uri.port
    if port is not None and (type(port) is not int or not 0 <= port <= 65535):
        raise SipParseError(f"bad URI port {snip(str(port))}")
    for name, value in uri.headers:
        if _HNAME_RE.fullmatch(name) is None or _HVALUE_RE.fullmatch(value) is None:
            raise SipParseError(f"bad URI header {snip(name)}")


def _validate_host(host: str) -> None:
    if host.startswith("["):
        if _IPV6_REF_RE.fullmatch(host) is None:
            raise SipParseError(f"bad IPv6 reference {snip(host)}")
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise SipParseError(f"bad IPv6 address {snip(host)}") from None
    elif _HOSTNAME_RE.fullmatch(host) is None:
        raise SipParseError(f"bad URI host {snip(host)}")


def _validate_tel(uri: Uri) -> None:
    number = uri.user or ""
    if uri.host or uri.password is not None or uri.port is not None or uri.headers:
        raise SipParseError("bad tel URI: only a number and parameters are allowed")
    pattern = _GLOBAL_NUMBER_RE if number.startswith("+") else _LOCAL_NUMBER_RE
    if pattern.fullmatch(number) is None:
        raise SipParseError(f"bad tel URI number {snip(number)}")


def _format(uri: Uri) -> str:
    if uri.scheme == "tel":
        return f"tel:{uri.user}{uri.params}"
    parts = [uri.scheme, ":"]
    if uri.user is not None:
        parts.append(uri.user)
        if uri.password is not None:
            parts += (":", uri.password)
        parts.append("@")
    parts.append(uri.host)
    if uri.port is not None:
        parts += (":", str(uri.port))
    parts.append(str(uri.params))
    if uri.headers:
        parts.append("?" + "&".join(f"{k}={v}" for k, v in uri.headers))
    return "".join(parts)


# -- comparison helpers ----------------------------------------------------------------------


def _unescape_unreserved(m: re.Match[str]) -> str:
    ch = chr(int(m.group(1), 16))
    return "%" + m.group(1).upper() if ch in _RESERVED else ch


def _norm(text: str | None) -> str | None:
    """Decode escapes of non-reserved characters (``%61`` == ``a``), upper-case the rest."""
    if text is None or "%" not in text:
        return text
    return _ESCAPE_RE.sub(_unescape_unreserved, text)


def _host_key(host: str) -> str:
    if host.startswith("["):
        try:
            return "[" + ipaddress.IPv6Address(host[1:-1]).compressed + "]"
        except ValueError:
            pass
    return host.lower()


def _param_map(params: Iterable[tuple[str, str | None]]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name, value in params:
        key = (_norm(name) or "").lower()
        if key not in out:
            out[key] = None if value is None else (_norm(value) or "").lower()
    return out


def _header_set(headers: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    return frozenset(((_norm(k) or "").lower(), (_norm(v) or "").lower()) for k, v in headers)


def _tel_digits(number: str) -> str:
    return (_norm(number) or "").translate(_VISUAL_SEPARATORS).lower()


def _tel_equal(a: Uri, b: Uri) -> bool:
    if _tel_digits(a.user or "") != _tel_digits(b.user or ""):
        return False
    return _tel_params(a) == _tel_params(b)


def _tel_params(uri: Uri) -> dict[str, str | None]:
    """Parameters by lower-case name; numbers (ext, isub, global phone-context) lose separators."""
    out = _param_map(uri.params)
    for name, value in out.items():
        if value and value[0] in "+0123456789":
            out[name] = value.translate(_VISUAL_SEPARATORS)
    return out
