"""Requests kamproxy sends by itself: keepalive OPTIONS for the dispatcher module.

:func:`make_prober` turns the transaction manager into the dispatcher's *prober*
(``prober(uri, from_uri, timeout) -> final status | None``): an OPTIONS request in
a client transaction of its own (counted in ``tm.stats`` ``total_local``), whose
final reply's status is returned; None when nothing came back in time or it could
not be sent.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable

from proxy.core.handlers import ACCEPT
from proxy.sip import Request, SipParseError, parse_uri
from proxy.tm.manager import TransactionManager

Prober = Callable[[str, str, float], Awaitable[int | None]]


def options_request(uri: str, from_uri: str) -> Request:
    """An OPTIONS request from kamproxy (no Via yet: the transaction adds it)."""
    parse_uri(uri)
    token = os.urandom(6).hex()
    return Request("OPTIONS", uri, headers=[
        ("From", f"<{from_uri}>;tag={token}"),
        ("To", f"<{uri}>"),
        ("Call-ID", f"{token}-probe@kamproxy"),
        ("CSeq", "10 OPTIONS"),
        ("Max-Forwards", "70"),
        ("Accept", ACCEPT),
    ])


def make_prober(tm: TransactionManager) -> Prober:
    async def probe(uri: str, from_uri: str, timeout: float) -> int | None:
        try:
            request = options_request(uri, from_uri)
        except (SipParseError, ValueError):
            return None
        try:
            reply = await asyncio.wait_for(tm.send_request(request), timeout)
        except (TimeoutError, ValueError):
            return None
        # a local reply (timeout, send error) carries our own To tag: nothing answered
        if tm.ids.is_own_tag(reply.to.tag) and reply.status in (408, 477, 478):
            return None
        return reply.status

    return probe
