"""The ``auth`` runtime-parameter group: nonces, qop, algorithms, where HA1 comes from.

Names follow Kamailio's auth and auth_db module parameters where they exist (there
they are start-up settings; here they change at run time with ``cfg.seti``/``cfg.sets``
and apply from the next request). Kept free of heavy imports so that the cfg catalog
can list it cheaply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from proxy.cfg.model import BadValue, Flag, Group, Int, Str

_DAY = 86400

#: digest algorithm names we answer, strongest first
KNOWN_ALGORITHMS = ("SHA-512-256", "SHA-256", "MD5")


def check_algorithms(text: str) -> str:
    """``sha-256, md5`` -> ``SHA-256,MD5`` (known names, no repeats, at least one)."""
    names: list[str] = []
    for item in text.replace(" ", ",").split(","):
        if not item:
            continue
        name = item.upper()
        if name not in KNOWN_ALGORITHMS:
            raise BadValue(
                f"auth.algorithms: unknown algorithm {item!r} "
                f"(use a list of {', '.join(KNOWN_ALGORITHMS)})"
            )
        if name not in names:
            names.append(name)
    if not names:
        raise BadValue("auth.algorithms must name at least one algorithm")
    return ",".join(names)


def algorithms(text: str) -> tuple[str, ...]:
    """The checked ``auth.algorithms`` value as a tuple, in the configured order."""
    return tuple(text.split(","))


GROUP = Group(
    "auth",
    "Digest authentication: nonces and their lifetime, qop, challenge algorithms, and "
    "how credentials are read from the subscriber table.",
    (
        Int(
            "nonce_expire",
            300,
            "Seconds a nonce is accepted; an older one is refused and the client is "
            "challenged again with stale=true.",
            min=1,
            max=_DAY,
            unit="s",
        ),
        Int(
            "nonce_auth_max_drift",
            3,
            "Seconds a nonce may seem to come from the future (clock steps between "
            "cluster nodes) before it is refused.",
            min=0,
            max=3600,
            unit="s",
        ),
        Flag(
            "nonce_count",
            1,
            "Replay protection: a nonce-count (nc) must be higher than every one "
            "accepted before with the same nonce; without qop a nonce is good once.",
        ),
        Str(
            "qop",
            "auth",
            "qop offered in challenges: auth, auth-int, both, or empty (RFC 2069 style).",
            choices=("", "auth", "auth-int", "auth,auth-int"),
            normalize=lambda text: text.replace(" ", "").lower(),
        ),
        Str(
            "algorithms",
            ",".join(KNOWN_ALGORITHMS),
            "Challenge algorithms, one WWW-Authenticate (or Proxy-Authenticate) header "
            "each, in this order (RFC 8760: the preferred first). A client answers the "
            "first it supports.",
            normalize=check_algorithms,
        ),
        Flag(
            "calculate_ha1",
            0,
            "1: compute HA1 from the cleartext password column (stored only when kamctl "
            "is told to) instead of reading the ha1 columns.",
        ),
        Flag(
            "use_domain",
            1,
            "1: find the subscriber by user and domain (the domain is the realm, or the "
            "@domain part of the credentials' username); 0: by user name only.",
        ),
        Flag(
            "check_user",
            1,
            "1: the authenticated user must be the From user (and for REGISTER the To "
            "user), so nobody registers or calls as someone else with their own password.",
        ),
        Int(
            "nc_array_order",
            18,
            "Nonces tracked for replay protection: 2**order at a time (the oldest make "
            "room for new ones and then count as stale). Read at start.",
            min=10,
            max=24,
            read_only=True,
        ),
    ),
)


def secret_from(section: Mapping[str, Any]) -> bytes | None:
    """``[auth] secret`` of the configuration file as bytes (None when unset);
    ValueError for a bad value or an unknown key (checked when the file is read)."""
    unknown = sorted(set(section) - {"secret"})
    if unknown:
        raise ValueError(
            f"[auth] unknown key {unknown[0]!r} (known: secret; runtime parameters such as "
            "nonce_expire go in [cfg.auth])"
        )
    value = section.get("secret")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("[auth] secret must be a string")
    return value.encode("utf-8")
