"""Choosing destinations: Kamailio's algorithm numbers, answered as a failover list.

:func:`select` returns the usable destinations (Active or Trying) of a set in the
order to try them: the algorithm's choice first, then the others. Inactive and
disabled destinations are never in the list; an empty list means nothing is usable.

Supported algorithms (Kamailio's numbers):

===  ==========================================================================
 0   hash over the Call-ID
 1   hash over the From URI (user@host)
 2   hash over the To URI (user@host)
 3   hash over the Request-URI user
 4   round-robin over the usable destinations
 5   hash over the authorization user name
 6   random
 7   hash over a value the script provides (Kamailio: the ``hash_pvar`` text)
 8   priority order: the set's order (priority, higher first), first usable first
 9   weight: the ``weight`` attribute, smooth weighted round-robin
===  ==========================================================================

Hashes use CRC-32 (stable across restarts, unlike Python's ``hash``) modulo the number
of destinations in the set; when the destination at that position is not usable, the
next usable one in set order is taken, so a call keeps its destination as long as
that one is up. After the choice, the failover list continues with the following
destinations in set order, wrapping around. For round-robin, random and weight, the
rest follow the set order (skipping the chosen one).

Weights (algorithm 9): a destination with weight N gets N shares; over a cycle the
choices are exactly proportional and evenly spread. When no usable destination has a
weight, all count as weight 1; a destination with weight 0 among weighted ones is
only a failover. Not supported (:class:`UnsupportedAlgorithm`): 10 call load (needs
dialog tracking), 11 relative weight, 12 parallel forking, 13 latency.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field

from proxy.modules.dispatcher.destinations import Destination, DestSet

ALGORITHMS: dict[int, str] = {
    0: "hash over Call-ID",
    1: "hash over From URI",
    2: "hash over To URI",
    3: "hash over Request-URI user",
    4: "round-robin",
    5: "hash over authorization user",
    6: "random",
    7: "hash over a script value",
    8: "priority order",
    9: "weight",
}
UNSUPPORTED: dict[int, str] = {
    10: "call load",
    11: "relative weight",
    12: "parallel forking",
    13: "latency",
}


class UnsupportedAlgorithm(ValueError):
    """An algorithm number kamproxy does not implement (the message says which)."""


@dataclass(frozen=True)
class MessageKeys:
    """What the hash algorithms read from the request (the routing layer fills it)."""

    call_id: str = ""
    from_uri: str = ""
    to_uri: str = ""
    ruri_user: str = ""
    auth_user: str = ""
    #: algorithm 7's value
    value: str = ""


@dataclass
class Cursor:
    """Per-set selection state of round-robin and weight (lives with the module)."""

    next_index: int = 0
    #: smooth weighted round-robin: destination URI -> current weight
    current: dict[str, int] = field(default_factory=dict)


def check_algorithm(algorithm: int) -> None:
    """UnsupportedAlgorithm unless kamproxy implements ``algorithm``."""
    if algorithm in ALGORITHMS:
        return
    if algorithm in UNSUPPORTED:
        raise UnsupportedAlgorithm(
            f"dispatcher algorithm {algorithm} ({UNSUPPORTED[algorithm]}) is not supported "
            f"by kamproxy; supported: {_supported()}"
        )
    raise UnsupportedAlgorithm(f"no dispatcher algorithm {algorithm}; supported: {_supported()}")


def _supported() -> str:
    return ", ".join(f"{n} {name}" for n, name in ALGORITHMS.items())


def select(
    dest_set: DestSet,
    algorithm: int,
    keys: MessageKeys,
    cursor: Cursor,
    rng: random.Random | None = None,
) -> list[Destination]:
    """The failover list of ``dest_set`` for this request (see the module docstring)."""
    check_algorithm(algorithm)
    dests = list(dest_set.destinations)
    usable = [d for d in dests if d.usable]
    if not usable:
        return []
    if algorithm in (0, 1, 2, 3, 5, 7):
        start = hash_index(_hash_text(algorithm, keys), len(dests))
        return [d for d in dests[start:] + dests[:start] if d.usable]
    if algorithm == 8:
        return usable
    if algorithm == 4:
        chosen = usable[cursor.next_index % len(usable)]
        cursor.next_index = (cursor.next_index + 1) % len(usable)
    elif algorithm == 6:
        chosen = (rng or random).choice(usable)
    else:
        chosen = _weighted(usable, cursor)
    return [chosen] + [d for d in usable if d is not chosen]


def hash_index(text: str, size: int) -> int:
    """The position ``text`` hashes to among ``size`` destinations."""
    return zlib.crc32(text.encode("utf-8", "surrogateescape")) % size


def _hash_text(algorithm: int, keys: MessageKeys) -> str:
    if algorithm == 0:
        return keys.call_id
    if algorithm == 1:
        return uri_key(keys.from_uri)
    if algorithm == 2:
        return uri_key(keys.to_uri)
    if algorithm == 3:
        return keys.ruri_user
    if algorithm == 5:
        return keys.auth_user
    return keys.value


def uri_key(text: str) -> str:
    """``user@host`` of a URI (host in lower case; no port, no parameters)."""
    from proxy.sip.errors import SipParseError
    from proxy.sip.uri import parse_uri

    try:
        uri = parse_uri(text.strip().strip("<>"))
    except SipParseError:
        return text.strip()
    host = uri.host.lower()
    return f"{uri.user}@{host}" if uri.user else host


def _weighted(usable: list[Destination], cursor: Cursor) -> Destination:
    """Smooth weighted round-robin: every pick adds each weight, the largest wins and
    gives back the total. Exact proportions, no bursts."""
    weights = {d.uri: d.attrs.weight for d in usable}
    if not any(weights.values()):
        weights = dict.fromkeys(weights, 1)
    candidates = [d for d in usable if weights[d.uri] > 0]
    total = sum(weights[d.uri] for d in candidates)
    current = cursor.current
    for uri in list(current):
        if uri not in weights:
            del current[uri]
    best: Destination | None = None
    for dest in candidates:
        current[dest.uri] = current.get(dest.uri, 0) + weights[dest.uri]
        if best is None or current[dest.uri] > current[best.uri]:
            best = dest
    assert best is not None
    current[best.uri] -= total
    return best
