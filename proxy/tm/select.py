"""Choosing the reply sent upstream when every branch failed (RFC 3261 16.7 step 6).

* a 6xx wins;
* otherwise the lowest class among 3xx, 4xx and 5xx; within 4xx, 401, 407, 415, 420
  and 484 are preferred (they tell the caller how to succeed); within a class a reply
  received beats one made here (a timeout, a send error), then the lowest code wins,
  then the first received (as Kamailio picks);
* with no final reply at all (cannot happen once every branch ended, since timeouts
  and send errors count as local replies): 408.

:func:`aggregate_challenges` merges the WWW-/Proxy-Authenticate headers of every 401
and 407 into the chosen one (16.7 step 7), so a caller can answer all at once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from proxy.sip import Response

PREFERRED_4XX = (401, 407, 415, 420, 484)


def rank(status: int, local: bool = False) -> tuple[int, int, int, int]:
    """Lower is better."""
    cls = status // 100
    cls_rank = 0 if cls == 6 else cls
    preferred = 0 if cls == 4 and status in PREFERRED_4XX else 1
    return (cls_rank, preferred, int(local), status)


def best_reply(replies: Sequence[Response],
               local: Collection[Response] = ()) -> Response | None:
    """The reply to send on among final negative ``replies`` (in arrival order);
    ``local`` holds those made here."""
    best: Response | None = None
    best_rank: tuple[int, int, int, int] | None = None
    for reply in replies:
        r = rank(reply.status, any(reply is x for x in local))
        if best_rank is None or r < best_rank:
            best, best_rank = reply, r
    return best


_CHALLENGES = {401: "WWW-Authenticate", 407: "Proxy-Authenticate"}


def aggregate_challenges(best: Response, replies: Sequence[Response]) -> None:
    """Add to ``best`` (a 401 or 407) the challenges of every other 401/407 reply."""
    if best.status not in _CHALLENGES:
        return
    have = {(name.lower(), value) for name, value in best.headers}
    for reply in replies:
        if reply is best or reply.status not in _CHALLENGES:
            continue
        for name in _CHALLENGES.values():
            for value in reply.get_headers(name):
                if (name.lower(), value) not in have:
                    best.add_header(name, value)
                    have.add((name.lower(), value))
