"""HA1 values: what the ``subscriber`` table stores instead of (or beside) the password.

Digest authentication (RFC 2617, RFC 7616) never needs the password itself, only
``HA1 = H(username ":" realm ":" password)`` in lower-case hex, where ``H`` is the
challenge's algorithm. Kamailio's kamctl stores two MD5 values with the realm set to
the subscriber's domain:

* ``ha1``  = MD5(``user:domain:password``), used when the client's digest username is
  ``user``;
* ``ha1b`` = MD5(``user@domain:domain:password``), used when it is ``user@domain``.

We add the same pair for SHA-256 (RFC 7616) and SHA-512-256 (RFC 7616; SIP: RFC 8760),
in the columns named by :data:`COLUMNS`. SHA-512-256 is SHA-512/256 of FIPS 180-4 (its
own initial values), not a truncated SHA-512.

Shared by kamctl (which writes the hashes) and kamproxy's auth (which reads them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Literal

Algorithm = Literal["md5", "sha256", "sha512-256"]
ALGORITHMS: tuple[Algorithm, ...] = ("md5", "sha256", "sha512-256")
#: The names of the algorithms in a digest challenge (``algorithm=...``).
DIGEST_NAMES: dict[Algorithm, str] = {
    "md5": "MD5",
    "sha256": "SHA-256",
    "sha512-256": "SHA-512-256",
}
#: algorithm -> (column for ``user``, column for ``user@domain``).
COLUMNS: dict[Algorithm, tuple[str, str]] = {
    "md5": ("ha1", "ha1b"),
    "sha256": ("ha1_sha256", "ha1b_sha256"),
    "sha512-256": ("ha1_sha512t256", "ha1b_sha512t256"),
}
#: Holds the ``ha1`` value the SHA columns were computed with (see extra_hashes_valid).
REF_COLUMN = "ha1_ref"
_HASHLIB_NAMES: dict[Algorithm, str] = {
    "md5": "md5",
    "sha256": "sha256",
    "sha512-256": "sha512_256",
}


def parse_algorithm(name: str) -> Algorithm:
    """``md5``, ``sha256``/``sha-256``, ``sha512-256``/``sha-512-256`` (any case)."""
    key = name.strip().lower().replace("_", "-")
    aliases: dict[str, Algorithm] = {
        "md5": "md5",
        "sha256": "sha256",
        "sha-256": "sha256",
        "sha512-256": "sha512-256",
        "sha-512-256": "sha512-256",
        "sha512/256": "sha512-256",
        "sha-512/256": "sha512-256",
    }
    if key not in aliases:
        raise ValueError(f"unknown algorithm {name!r} (use md5, sha256 or sha512-256)")
    return aliases[key]


def digest(algorithm: Algorithm, text: str) -> str:
    """Lower-case hex of ``H(text)``, text encoded as UTF-8."""
    hasher = hashlib.new(_HASHLIB_NAMES[algorithm])
    hasher.update(text.encode("utf-8"))
    return hasher.hexdigest()


def ha1(user: str, realm: str, password: str, algorithm: Algorithm = "md5") -> str:
    """``H(user:realm:password)``."""
    return digest(algorithm, f"{user}:{realm}:{password}")


def ha1b(user: str, domain: str, realm: str, password: str, algorithm: Algorithm = "md5") -> str:
    """``H(user@domain:realm:password)`` (kamctl's ``ha1b``)."""
    return digest(algorithm, f"{user}@{domain}:{realm}:{password}")


def subscriber_hashes(
    user: str, domain: str, password: str, algorithms: tuple[Algorithm, ...] = ALGORITHMS
) -> dict[str, str]:
    """Column -> value for every hash of ``algorithms``, realm = domain (as kamctl)."""
    values: dict[str, str] = {}
    for algorithm in algorithms:
        plain, with_domain = COLUMNS[algorithm]
        values[plain] = ha1(user, domain, password, algorithm)
        values[with_domain] = ha1b(user, domain, domain, password, algorithm)
    if algorithms != ("md5",):
        values[REF_COLUMN] = values.get("ha1") or ha1(user, domain, password)
    return values


def extra_hashes_valid(row: Mapping[str, object]) -> bool:
    """True when the SHA columns of a subscriber row belong to its current password.

    Kamailio's kamctl ``passwd`` rewrites ``ha1`` and ``ha1b`` only; then ``ha1`` no
    longer equals ``ha1_ref`` and the SHA values (of the old password) must be ignored.
    """
    ref = row.get(REF_COLUMN)
    return bool(ref) and ref == row.get("ha1")
