"""The messages tm matches and makes: transaction keys, branch ids, local replies,
and the ACK and CANCEL a proxy sends on a branch (RFC 3261 17.1.1.3 and 9.1).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

from proxy.core.branch import MAGIC, PREFIX, make_branch
from proxy.sip import Request, Response, make_response

#: what follows our branch prefix in every tm branch (stateless branches are hex digits)
TM_MARK = "t"


def server_key(request: Request, method: str) -> tuple[str, ...]:
    """What identifies the server transaction of ``request`` (RFC 3261 17.2.3).

    ``method`` is the request's method, except INVITE for an ACK or a CANCEL looking
    for its INVITE. Without the magic cookie (RFC 2543 clients) the key is made of
    the Request-URI, Call-ID, CSeq number, From tag and top Via (not the To tag, so
    that the ACK of a negative reply finds its INVITE).
    """
    via = request.via
    branch = via.branch
    if branch and branch.startswith(MAGIC):
        return (branch, via.sent_by.lower(), method)
    return ("", request.ruri_text, request.call_id, str(request.cseq.seq),
            request.from_.tag or "", via.sent_by.lower(), method)


def is_tm_branch(branch: str | None) -> bool:
    """A branch tm made (its transaction may be gone)."""
    return branch is not None and branch.startswith(PREFIX + TM_MARK)


class Ids:
    """Branch ids and To tags unique to this kamproxy run."""

    def __init__(self, seed: bytes | None = None) -> None:
        boot = seed if seed is not None else os.urandom(4)
        self.boot = boot.hex()[:6]
        self.tag_prefix = "kt" + hashlib.md5(b"kamproxy-tm:" + boot).hexdigest()[:14]

    def branch(self, seq: int, index: int, loop: str) -> str:
        return make_branch(f"{TM_MARK}{self.boot}{seq:x}b{index}", loop)

    def to_tag(self, seq: int) -> str:
        return f"{self.tag_prefix}.{seq:x}"

    def is_own_tag(self, tag: str | None) -> bool:
        return tag is not None and tag.startswith(self.tag_prefix + ".")


def local_reply(request: Request, code: int, reason: str | None, to_tag: str,
                server: str | None, headers: Iterable[tuple[str, str]] = (),
                body: bytes = b"", content_type: str | None = None) -> Response:
    """A reply made here (100 Trying, 408, 487, the script's replies)."""
    extra = list(headers)
    if server and not any(name.lower() == "server" for name, _ in extra):
        extra.append(("Server", server))
    return make_response(request, code, reason, to_tag=to_tag if code > 100 else None,
                         headers=extra, body=body, content_type=content_type)


def _hop_request(method: str, sent: Request, to_value: str,
                 extra: Iterable[tuple[str, str]] = ()) -> Request:
    """ACK or CANCEL for a branch: the branch's Request-URI, top Via, From, Call-ID,
    CSeq number and Route headers (RFC 3261 9.1 and 17.1.1.3)."""
    headers: list[tuple[str, str]] = [("Via", sent.get_headers("via")[0].split(",")[0])]
    headers += [("Route", v) for v in sent.get_headers("route")]
    headers += [
        ("From", sent.get_header("from") or ""),
        ("To", to_value),
        ("Call-ID", sent.call_id),
        ("CSeq", f"{sent.cseq.seq} {method}"),
        ("Max-Forwards", "70"),
    ]
    headers += list(extra)
    return Request(method, sent.ruri_text, headers=headers)


def build_ack(sent: Request, reply: Response) -> Request:
    """The ACK of a negative final reply to an INVITE branch (hop by hop)."""
    return _hop_request("ACK", sent, reply.get_header("to") or "")


def build_cancel(sent: Request, reasons: Iterable[str] = ()) -> Request:
    """The CANCEL of a pending INVITE branch, with optional Reason values."""
    return _hop_request("CANCEL", sent, sent.get_header("to") or "",
                        [("Reason", r) for r in reasons])
