"""Digest authentication headers (RFC 3261 22, RFC 7616, RFC 8760).

:func:`parse_credentials` reads an ``Authorization`` or ``Proxy-Authorization`` value
(``Digest username="alice", realm="example.com", nonce="...", ...``) into
:class:`DigestCredentials`; :func:`challenge_value` writes a ``WWW-Authenticate`` or
``Proxy-Authenticate`` value. Pure code: the digest arithmetic and the nonces live in
:mod:`proxy.modules.auth`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from proxy.sip.errors import SipParseError, snip
from proxy.sip.syntax import quote, quoted_end, unquote

_TOKEN = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
_NC = re.compile(r"[0-9A-Fa-f]{8}")
#: longest credentials value we read (a REGISTER's Authorization is ~300 bytes)
MAX_LENGTH = 4096


@dataclass(frozen=True, slots=True)
class DigestCredentials:
    """The Digest parameters a client answered a challenge with.

    Every value is unquoted. ``algorithm`` is as written (``MD5`` when absent, the
    RFC 2617 default); ``qop`` is None for an RFC 2069 style answer; ``nc`` is the
    8-hex-digit nonce count as an integer (None without qop).
    """

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: str = "MD5"
    qop: str | None = None
    nc: int | None = None
    nc_text: str | None = None
    cnonce: str | None = None
    opaque: str | None = None
    userhash: bool = False


def split_auth_params(text: str) -> list[tuple[str, str]]:
    """``a=b, c="d, e"`` -> ``[("a", "b"), ("c", '"d, e"')]`` (names lower-cased, values raw)."""
    params: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t,":
            i += 1
        if i >= n:
            break
        m = _TOKEN.match(text, i)
        if m is None:
            raise SipParseError(f"bad auth parameter at {snip(text[i:])}")
        name = m.group(0).lower()
        i = m.end()
        while i < n and text[i] in " \t":
            i += 1
        if i >= n or text[i] != "=":
            raise SipParseError(f"auth parameter {name!r} has no value")
        i += 1
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == '"':
            end = quoted_end(text, i)
            value = text[i:end]
            i = end
        else:
            m = _TOKEN.match(text, i)
            if m is None:
                raise SipParseError(f"bad value of auth parameter {name!r}")
            value = m.group(0)
            i = m.end()
        params.append((name, value))
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] != ",":
            raise SipParseError(f"',' expected after auth parameter {name!r}")
    return params


def parse_credentials(value: str) -> DigestCredentials:
    """An Authorization / Proxy-Authorization value; SipParseError when unusable."""
    if len(value) > MAX_LENGTH:
        raise SipParseError("credentials too long")
    text = value.strip(" \t")
    scheme, _, rest = text.partition(" ")
    if scheme.lower() != "digest":
        raise SipParseError(f"unsupported authentication scheme {snip(scheme)}")
    params: dict[str, str] = {}
    for name, raw in split_auth_params(rest):
        if name in params:
            raise SipParseError(f"auth parameter {name!r} given twice")
        params[name] = unquote(raw)
    missing = [p for p in ("username", "realm", "nonce", "uri", "response") if p not in params]
    if missing:
        raise SipParseError(f"credentials without {', '.join(missing)}")
    qop = params.get("qop")
    nc: int | None = None
    nc_text = params.get("nc")
    if qop is not None:
        qop = qop.lower()
        if nc_text is None or _NC.fullmatch(nc_text) is None:
            raise SipParseError("credentials with qop need an 8-digit hex nc")
        if not params.get("cnonce"):
            raise SipParseError("credentials with qop need a cnonce")
        nc = int(nc_text, 16)
    return DigestCredentials(
        username=params["username"],
        realm=params["realm"],
        nonce=params["nonce"],
        uri=params["uri"],
        response=params["response"].lower(),
        algorithm=params.get("algorithm", "MD5"),
        qop=qop,
        nc=nc,
        nc_text=nc_text if qop is not None else None,
        cnonce=params.get("cnonce"),
        opaque=params.get("opaque"),
        userhash=params.get("userhash", "").lower() == "true",
    )


def challenge_value(
    realm: str,
    nonce: str,
    *,
    algorithm: str | None = None,
    qop: str = "",
    stale: bool = False,
) -> str:
    """``Digest realm="r", nonce="n", qop="auth", stale=true, algorithm=SHA-256``."""
    parts = [f"Digest realm={quote(realm)}", f"nonce={quote(nonce)}"]
    if qop:
        parts.append(f"qop={quote(qop)}")
    if stale:
        parts.append("stale=true")
    if algorithm:
        parts.append(f"algorithm={algorithm}")
    return ", ".join(parts)
