"""Debug-level log lines for every SIP message received and sent (``core.debug`` 3).

The transport logs here so that every message is covered, whoever sent it (core, tm,
modules), including ones that do not parse. A line reads::

    DEBUG: <transport> recv udp 127.0.0.1:5098 -> 127.0.0.1:5060 (301 bytes)
        "OPTIONS sip:127.0.0.1:5060 SIP/2.0" Call-ID: a93f418649faab79

(on one line). The summary is cut from the bytes without parsing; nothing is done
unless debug is on.
"""

from __future__ import annotations

import re

from proxy.log import L_DBG, get_logger
from proxy.transport.address import hostport

log = get_logger("transport")

_CALL_ID_RE = re.compile(rb"\n(?:call-id|i)[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)
_MAX_LINE = 160


def enabled() -> bool:
    """True when message lines would be written now."""
    return log.enabled(L_DBG)


def summary(data: bytes) -> str:
    """``"FIRST LINE" Call-ID: x`` of a message (best effort, printable)."""
    start = 0
    while start < len(data) and data[start] in b"\r\n":
        start += 1
    end = data.find(b"\n", start)
    first = data[start:end if end >= 0 else start + _MAX_LINE][:_MAX_LINE].rstrip(b"\r")
    match = _CALL_ID_RE.search(data, 0, 8192)
    call_id = match.group(1).strip()[:_MAX_LINE] if match else b"-"
    text = first.decode("utf-8", "replace")
    return f"{text!r} Call-ID: {call_id.decode('utf-8', 'replace')}"


def received(proto: str, src: tuple[str, int], local: str, data: bytes, conn: int | None) -> None:
    where = f" conn {conn}" if conn is not None else ""
    log.dbg("recv %s %s -> %s%s (%d bytes) %s", proto, hostport(*src), local, where, len(data),
            summary(data))


def sent(proto: str, local: str, dst: tuple[str, int], data: bytes, conn: int | None) -> None:
    where = f" conn {conn}" if conn is not None else ""
    log.dbg("send %s %s -> %s%s (%d bytes) %s", proto, local, hostport(*dst), where, len(data),
            summary(data))
