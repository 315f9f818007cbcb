"""One registered contact (Kamailio's ``ucontact``), its ``location`` row and its RPC form.

Times are seconds since the epoch (floats); ``expires == 0`` is a permanent contact
(``ul.add`` with expires 0). In the ``location`` table times are written through
:meth:`Dialect.datetime_value` (Julian days on SQLite, as Kamailio's db_sqlite, and
timestamps elsewhere); a permanent contact has Kamailio's 1970-01-01.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

#: Contact states, as ul.dump shows them
CS_NEW = "CS_NEW"  #: not in the database (yet)
CS_SYNC = "CS_SYNC"  #: the database has it as it is
CS_DIRTY = "CS_DIRTY"  #: changed since the database last had it
#: every method (Kamailio's ALL_METHODS as an unsigned 32-bit value)
METHODS_ALL = 0xFFFFFFFF
Q_UNSPECIFIED = -1.0
NOT_SET = "[not set]"
#: ul.add's Call-ID and User-Agent (Kamailio's)
RPC_CALLID = "dfjrewr12386fd6-343@kamailio.rpc"
RPC_USER_AGENT = "kamailio SIP Router - RPC Server"
#: Kamailio's usrloc hash table size (ul.dump "Size")
HASH_SIZE = 1024
#: stored expires at or before this (epoch seconds) mean "permanent" (Kamailio writes 0)
_PERMANENT_BEFORE = 86400.0

_ruids = itertools.count(1)
_RUID_PREFIX = f"uloc-{int(time.time()):x}-{os.getpid():x}"


def new_ruid() -> str:
    """A record id unique to this process's run (``uloc-<start>-<pid>-<n>``, as Kamailio)."""
    return f"{_RUID_PREFIX}-{next(_ruids)}"


def aor_hash(aor: str) -> int:
    """Kamailio's ``core_hash`` of the AoR (ul.dump's ``HashID``, unsigned 32 bits).

    Bytes are taken four at a time as big-endian words, each word ``w`` adds
    ``w ^ (w >> 3)``; the sum is then mixed with its own shifts.
    """
    data = aor.encode("utf-8", "surrogateescape")
    total = 0
    end = len(data) - len(data) % 4
    for i in range(0, end, 4):
        word = int.from_bytes(data[i : i + 4], "big")
        total = (total + (word ^ (word >> 3))) & 0xFFFFFFFF
    word = int.from_bytes(data[end:], "big") if end < len(data) else 0
    total = (total + (word ^ (word >> 3))) & 0xFFFFFFFF
    return ((total + (total >> 11)) + ((total >> 13) + (total >> 23))) & 0xFFFFFFFF


@dataclass(slots=True)
class Contact:
    """A binding of an AoR to a contact address."""

    aor: str
    uri: str
    expires: float  #: absolute time; 0 = permanent
    q: float = Q_UNSPECIFIED
    callid: str = "Default-Call-ID"
    cseq: int = 1
    user_agent: str = ""
    received: str | None = None
    path: str | None = None
    socket: str | None = None
    flags: int = 0
    cflags: int = 0
    methods: int = METHODS_ALL
    ruid: str = ""
    instance: str | None = None
    reg_id: int = 0
    server_id: int = 0
    tcpconn_id: int = -1
    keepalive: int = 0
    last_modified: float = 0.0
    state: str = CS_NEW

    def alive(self, now: float) -> bool:
        return self.expires == 0 or self.expires > now

    def seconds_left(self, now: float) -> int:
        return max(int(self.expires - now), 0)

    def changed(self, **values: Any) -> Contact:
        """A copy with ``values``; the copy is dirty (the database must learn it)."""
        return replace(self, state=CS_DIRTY if self.state != CS_NEW else CS_NEW, **values)

    def paths(self) -> tuple[str, ...]:
        """The stored Path as Route values, top first."""
        if not self.path:
            return ()
        from proxy.sip import split_commas

        return tuple(split_commas(self.path))


def q_value(q: float) -> int | float:
    """Q as Kamailio prints it (a double: -1, 1, 0.5)."""
    return int(q) if float(q).is_integer() else round(q, 3)


def rpc_view(c: Contact, now: float) -> dict[str, Any]:
    """The ``Contact`` object of ul.dump / ul.lookup, keys in Kamailio's order."""
    expires: int | str
    if c.expires == 0:
        expires = "permanent"
    elif c.expires <= now:
        expires = "expired"
    else:
        expires = c.seconds_left(now)
    modified = int(c.last_modified)
    return {
        "Address": c.uri,
        "Expires": expires,
        "Q": q_value(c.q),
        "Call-ID": c.callid,
        "CSeq": c.cseq,
        "User-Agent": c.user_agent,
        "Received": c.received or NOT_SET,
        "Path": c.path or NOT_SET,
        "State": c.state,
        "Flags": c.flags,
        "CFlags": c.cflags,
        "Socket": c.socket or NOT_SET,
        "Methods": c.methods,
        "Ruid": c.ruid,
        "Instance": c.instance or NOT_SET,
        "Reg-Id": c.reg_id,
        "Server-Id": c.server_id,
        "Tcpconn-Id": c.tcpconn_id,
        "Keepalive": c.keepalive,
        "Last-Keepalive": modified,
        "KA-Roundtrip": 0,
        "Last-Modified": modified,
    }


def split_aor(aor: str, use_domain: bool) -> tuple[str, str | None]:
    """(username, domain) columns of an AoR."""
    if use_domain and "@" in aor:
        user, _, domain = aor.partition("@")
        return user, domain
    return aor, None


def join_aor(username: str, domain: str | None, use_domain: bool) -> str:
    return f"{username}@{domain}" if use_domain and domain else username


def to_row(c: Contact, dialect: Any, use_domain: bool) -> dict[str, Any]:
    """The ``location`` row of a contact (times through the engine's dialect)."""
    username, domain = split_aor(c.aor, use_domain)
    return {
        "ruid": c.ruid,
        "username": username,
        "domain": domain,
        "contact": c.uri,
        "received": c.received,
        "path": c.path,
        "expires": dialect.datetime_value(datetime.fromtimestamp(c.expires)),
        "q": c.q,
        "callid": c.callid,
        "cseq": c.cseq,
        "last_modified": dialect.datetime_value(datetime.fromtimestamp(c.last_modified)),
        "flags": c.flags,
        "cflags": c.cflags,
        "user_agent": c.user_agent,
        "socket": c.socket,
        # NULL for every method, as Kamailio; otherwise signed 32 bits (PostgreSQL INTEGER)
        "methods": None if c.methods == METHODS_ALL else _signed32(c.methods),
        "instance": c.instance,
        "reg_id": c.reg_id,
        "server_id": c.server_id,
        "connection_id": c.tcpconn_id,
        "keepalive": c.keepalive,
        "partition": 0,
    }


def _signed32(value: int) -> int:
    value &= METHODS_ALL
    return value - (1 << 32) if value >= 1 << 31 else value


def _epoch(dialect: Any, value: Any) -> float:
    when = dialect.datetime_from(value)
    if when is None:
        return 0.0
    seconds = when.timestamp()
    return 0.0 if seconds <= _PERMANENT_BEFORE else seconds


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def from_row(row: dict[str, Any], dialect: Any, use_domain: bool) -> Contact:
    """A contact read back from the ``location`` table (state CS_SYNC)."""
    methods = row.get("methods")
    q = row.get("q")
    return Contact(
        aor=join_aor(str(row["username"]), row.get("domain"), use_domain),
        uri=str(row["contact"]),
        expires=_epoch(dialect, row.get("expires")),
        q=float(q) if q is not None else Q_UNSPECIFIED,
        callid=str(row.get("callid") or ""),
        cseq=_int(row.get("cseq"), 1),
        user_agent=str(row.get("user_agent") or ""),
        received=row.get("received") or None,
        path=row.get("path") or None,
        socket=row.get("socket") or None,
        flags=_int(row.get("flags")),
        cflags=_int(row.get("cflags")),
        methods=_int(methods, METHODS_ALL) & METHODS_ALL if methods is not None else METHODS_ALL,
        ruid=str(row.get("ruid") or new_ruid()),
        instance=row.get("instance") or None,
        reg_id=_int(row.get("reg_id")),
        server_id=_int(row.get("server_id")),
        tcpconn_id=_int(row.get("connection_id"), -1),
        keepalive=_int(row.get("keepalive")),
        last_modified=_epoch(dialect, row.get("last_modified")),
        state=CS_SYNC,
    )
