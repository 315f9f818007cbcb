"""The digest arithmetic of RFC 7616 section 3.4.1 (RFC 2617, RFC 8760 for SIP).

``response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)`` with qop, or
``H(HA1 ":" nonce ":" HA2)`` without (RFC 2069), where ``HA2 = H(method ":" uri)``
(``auth``) or ``H(method ":" uri ":" H(body))`` (``auth-int``).
"""

from __future__ import annotations

import hashlib
import hmac

from proxy.sip.auth_headers import DigestCredentials
from proxy.storage.ha1 import Algorithm

#: challenge name -> our algorithm key (proxy.storage.ha1)
BY_NAME: dict[str, Algorithm] = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512-256"}
_HASHLIB: dict[Algorithm, str] = {"md5": "md5", "sha256": "sha256", "sha512-256": "sha512_256"}
#: hex digits of each algorithm's digest
HEX_LENGTH: dict[Algorithm, int] = {"md5": 32, "sha256": 64, "sha512-256": 64}


def algorithm_of(name: str) -> Algorithm | None:
    """The algorithm a credentials' ``algorithm=`` names (case-insensitive), or None."""
    return BY_NAME.get(name.upper())


def h(algorithm: Algorithm, data: bytes) -> str:
    return hashlib.new(_HASHLIB[algorithm], data).hexdigest()


def expected_response(
    algorithm: Algorithm, ha1: str, creds: DigestCredentials, method: str, body: bytes
) -> str:
    """The response a client that knows ``ha1`` sends for these credentials."""
    if creds.qop == "auth-int":
        ha2 = h(algorithm, f"{method}:{creds.uri}:{h(algorithm, body)}".encode())
    else:
        ha2 = h(algorithm, f"{method}:{creds.uri}".encode())
    if creds.qop is None:
        text = f"{ha1}:{creds.nonce}:{ha2}"
    else:
        text = f"{ha1}:{creds.nonce}:{creds.nc_text}:{creds.cnonce}:{creds.qop}:{ha2}"
    return h(algorithm, text.encode("utf-8", "surrogateescape"))


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two hex digests."""
    return hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))
