"""The client side of digest authentication, written independently of kamproxy's code:
answer a challenge the way a SIP phone does (RFC 7616 arithmetic with hashlib)."""

from __future__ import annotations

import hashlib
import os
import re

_HASHES = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}
_PARAM = re.compile(r'([A-Za-z-]+)=("([^"]*)"|[^\s,]+)')


def challenge_params(value: str) -> dict[str, str]:
    """``Digest realm="r", nonce="n", ...`` -> {"realm": "r", "nonce": "n", ...}."""
    assert value.startswith("Digest "), value
    return {m.group(1).lower(): (m.group(3) if m.group(3) is not None else m.group(2))
            for m in _PARAM.finditer(value[7:])}


def h(algorithm: str, text: str) -> str:
    return hashlib.new(_HASHES[algorithm], text.encode()).hexdigest()


def authorization(
    challenge: dict[str, str],
    *,
    method: str,
    uri: str,
    username: str,
    password: str,
    nc: int = 1,
    cnonce: str | None = None,
    algorithm: str | None = None,
    realm: str | None = None,
    ha1: str | None = None,
) -> str:
    """An Authorization value answering ``challenge`` (qop=auth when offered)."""
    algorithm = algorithm or challenge.get("algorithm", "MD5")
    realm = realm or challenge["realm"]
    nonce = challenge["nonce"]
    cnonce = cnonce or os.urandom(4).hex()
    key = ha1 or h(algorithm, f"{username}:{realm}:{password}")
    ha2 = h(algorithm, f"{method}:{uri}")
    nc_text = f"{nc:08x}"
    if "auth" in challenge.get("qop", "").split(","):
        response = h(algorithm, f"{key}:{nonce}:{nc_text}:{cnonce}:auth:{ha2}")
        tail = f', qop=auth, nc={nc_text}, cnonce="{cnonce}"'
    else:
        response = h(algorithm, f"{key}:{nonce}:{ha2}")
        tail = ""
    return (f'Digest username="{username}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
            f'response="{response}", algorithm={algorithm}{tail}')
