"""Branch parameters of our Vias, and loop detection (RFC 3261 16.6 item 8, 16.3 item 4).

Our branches read ``z9hG4bK`` + ``kp`` + a transaction part + ``.`` + a loop part:

* the transaction part makes the branch unique per transaction; for a stateless relay
  it is a hash of what identifies the incoming transaction (its top Via branch and
  sent-by), so a retransmission, the ACK of a non-2xx and a CANCEL get the same branch
  as the request they belong to, as RFC 3261 16.11 asks of stateless proxies;
* the loop part is a hash of the fields that change when a request is routed on
  (Request-URI, From tag, Call-ID, CSeq number, Route). A request that comes back with
  one of our Vias whose loop part equals its own hash has been here in the same state: a
  loop (482), not a spiral. RFC 3261 16.6 item 8 also lists the To tag, Proxy-Require
  and Proxy-Authorization; they are left out because the ACK of a non-2xx (which has a
  To tag, and need not repeat the other two) must carry the INVITE's branch through a
  stateless relay for the next hop to match it (17.2.3).

tm makes its own transaction parts (:func:`make_branch`) and reuses :func:`loop_hash`.
"""

from __future__ import annotations

import hashlib

from proxy.sip import Request, SipParseError, Via

MAGIC = "z9hG4bK"
#: what follows the magic cookie in every branch kamproxy makes
PREFIX = MAGIC + "kp"


def _digest(text: str, size: int) -> str:
    return hashlib.blake2s(text.encode("utf-8", "surrogateescape"), digest_size=size).hexdigest()


def make_branch(transaction: str, loop: str) -> str:
    """``z9hG4bKkp<transaction>.<loop>``."""
    return f"{PREFIX}{transaction}.{loop}"


def is_ours(branch: str | None) -> bool:
    return branch is not None and branch.startswith(PREFIX)


def loop_part(branch: str | None) -> str | None:
    """The loop hash inside one of our branches, or None."""
    if not is_ours(branch):
        return None
    assert branch is not None
    _, dot, loop = branch.rpartition(".")
    return loop if dot else None


def loop_hash(request: Request) -> str:
    """A short hash of the fields of ``request`` that routing changes (16.6 item 8),
    the same for an INVITE, its CANCEL and the ACK of a non-2xx reply."""
    parts = [request.ruri_text, request.call_id, str(request.cseq.seq),
             request.from_.tag or "", *request.get_headers("route")]
    return _digest("\n".join(parts), 6)


def transaction_key(request: Request) -> str:
    """What identifies the transaction of a received request (RFC 3261 17.2.3)."""
    via = request.via
    branch = via.branch
    if branch and branch.startswith(MAGIC):
        return f"{branch}\n{via.sent_by.lower()}"
    # RFC 2543 clients: no magic cookie, fall back on the dialog and sequence fields
    return "\n".join([request.ruri_text, request.call_id, str(request.cseq.seq),
                      request.from_.tag or "", request.to.tag or "", via.sent_by.lower()])


def stateless_branch(request: Request) -> str:
    """The branch of our Via when ``request`` is relayed statelessly (before it is added)."""
    return make_branch(_digest(transaction_key(request), 8), loop_hash(request))


def seen_before(request: Request, ours: list[Via]) -> bool:
    """True when one of ``ours`` (our Vias found on the request) carries its loop hash."""
    try:
        current = loop_hash(request)
    except SipParseError:
        return False
    return any(loop_part(via.branch) == current for via in ours)
