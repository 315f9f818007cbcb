"""The ``ul.*`` RPC methods in Kamailio 5.6's names, result shapes and fault texts.

Parameters are declared loosely (``Any``) and checked here, so that a missing or
mistyped one gets Kamailio's fault (``500 Not enough parameters (table and AOR to
lookup)``) rather than a generic "Invalid params".
"""

from __future__ import annotations

from typing import Any

from proxy.modules.usrloc.contact import (
    HASH_SIZE,
    METHODS_ALL,
    Q_UNSPECIFIED,
    RPC_CALLID,
    RPC_USER_AGENT,
    Contact,
    aor_hash,
    new_ruid,
    rpc_view,
)
from proxy.modules.usrloc.dbstore import TABLE, Outcome
from proxy.modules.usrloc.module import AorError, UsrlocError, UsrlocModule
from rpc.errors import RpcFault
from rpc.registry import Registry

#: longest values the location table's columns hold
_LIMITS = {"contact": 512, "path": 512, "received": 128, "socket": 64}


def _text(value: Any) -> str | None:
    """A string parameter (numbers auto-converted, as Kamailio); None when unusable."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    return value if isinstance(value, str) else None


def _number(value: Any, kind: type) -> int | float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value) if kind is float else int(value, 0)
        except ValueError:
            return None
    if isinstance(value, float) and kind is int:
        return int(value) if value.is_integer() else None
    return kind(value) if isinstance(value, (int, float)) else None


def _unset(value: str | None) -> str | None:
    """``ul.add``'s "." or "0" (or "") for a value that is not set."""
    return None if value in (None, "", ".", "0") else value


class UlMethods:
    def __init__(self, usrloc: UsrlocModule) -> None:
        self.ul = usrloc

    def register(self, registry: Registry) -> None:
        registry.register(
            "ul.dump",
            self.dump,
            "Every registered AoR with its contacts (with 'brief': the AoRs only).",
        )
        registry.register(
            "ul.lookup",
            self.lookup,
            "The contacts of one AoR: ul.lookup location user@domain.",
        )
        registry.register(
            "ul.rm", self.rm, "Drop an AoR and all its contacts: ul.rm location user@domain."
        )
        registry.register(
            "ul.rm_contact",
            self.rm_contact,
            "Drop one contact of an AoR: ul.rm_contact location user@domain CONTACT.",
        )
        registry.register(
            "ul.add",
            self.add,
            "Register a contact by hand: ul.add location AOR CONTACT EXPIRES Q PATH FLAGS "
            "CFLAGS METHODS [RECEIVED] [SOCKET] (expires 0: permanent; '.' or '0' for an "
            "unset path, received or socket).",
        )
        registry.register(
            "ul.flush", self.flush, "Write every pending location change to the database now."
        )

    # -- helpers ----------------------------------------------------------------------

    def _table_aor(self, table: Any, aor: Any, missing: str) -> str:
        table_text, aor_text = _text(table), _text(aor)
        if not table_text or not aor_text:
            raise RpcFault(500, missing)
        if table_text != TABLE:
            raise RpcFault(500, "Domain table not found")
        try:
            return self.ul.normalize(aor_text)
        except AorError as exc:
            raise RpcFault(500, str(exc)) from None

    async def _guard(self, coro: Any) -> Any:
        try:
            return await coro
        except UsrlocError as exc:
            raise RpcFault(500, f"Operation failed: {exc}") from None

    # -- methods ------------------------------------------------------------------------

    async def dump(self, brief: Any = None) -> dict[str, Any]:
        records = await self._guard(self.ul.dump())
        now = self.ul.clock()
        slots: dict[int, int] = {}
        aors: list[dict[str, Any]] = []
        for aor, contacts in records:
            hash_id = aor_hash(aor)
            slot = hash_id & (HASH_SIZE - 1)
            slots[slot] = slots.get(slot, 0) + 1
            if brief == "brief":
                aors.append({"AoR": aor})
                continue
            aors.append(
                {
                    "Info": {
                        "AoR": aor,
                        "HashID": hash_id,
                        "Contacts": [{"Contact": rpc_view(c, now)} for c in contacts],
                    }
                }
            )
        domain = {
            "Domain": TABLE,
            "Size": HASH_SIZE,
            "AoRs": aors,
            "Stats": {"Records": len(records), "Max-Slots": max(slots.values(), default=0)},
        }
        return {"Domains": [{"Domain": domain}]}

    async def lookup(self, table: Any = None, aor: Any = None) -> dict[str, Any]:
        name = self._table_aor(table, aor, "Not enough parameters (table and AOR to lookup)")
        contacts = await self._guard(self.ul.records_of(name))
        if contacts is None:
            raise RpcFault(500, "AOR not found in location table")
        now = self.ul.clock()
        live = [c for c in contacts if c.alive(now)]
        if not live:
            raise RpcFault(500, "AOR has no contacts")
        return {"AoR": name, "Contacts": [{"Contact": rpc_view(c, now)} for c in live]}

    async def rm(self, table: Any = None, aor: Any = None) -> dict[str, Any]:
        name = self._table_aor(table, aor, "Not enough parameters (table and AOR to delete)")
        try:
            await self.ul.remove_aor(name)
        except UsrlocError:
            raise RpcFault(500, "Failed to delete AOR") from None
        return {}

    async def rm_contact(
        self, table: Any = None, aor: Any = None, contact: Any = None
    ) -> dict[str, Any]:
        name = self._table_aor(
            table, aor, "Not enough parameters (table, AOR and contact to delete)"
        )
        uri = _text(contact)
        if not uri:
            raise RpcFault(500, "Not enough parameters (table, AOR and contact to delete)")

        def drop(live: list[Contact]) -> Outcome[str]:
            if not live:
                return None, "aor"
            kept = [c for c in live if c.uri != uri]
            if len(kept) == len(live):
                return None, "contact"
            return kept, ""

        missing = await self._guard(self.ul.update(name, drop))
        if missing == "aor":
            raise RpcFault(404, "AOR not found")
        if missing == "contact":
            raise RpcFault(404, "Contact not found")
        return {}

    async def add(
        self,
        table: Any = None,
        aor: Any = None,
        contact: Any = None,
        expires: Any = None,
        q: Any = None,
        path: Any = None,
        flags: Any = None,
        cflags: Any = None,
        methods: Any = None,
        received: Any = None,
        socket: Any = None,
    ) -> dict[str, Any]:
        bad = "Not enough parameters or wrong format"
        name = self._table_aor(table, aor, bad)
        values: dict[str, Any] = {
            "contact": _text(contact),
            "expires": _number(expires, int),
            "q": _number(q, float),
            "path": _unset(_text(path)) if path is not None else None,
            "flags": _number(flags, int),
            "cflags": _number(cflags, int),
            "methods": _number(methods, int),
        }
        required = ("contact", "expires", "q", "flags", "cflags", "methods")
        if path is None or any(values[k] is None for k in required):
            raise RpcFault(500, bad)
        extra = {"received": _unset(_text(received)), "socket": _unset(_text(socket))}
        problem = _check_add(values, extra)
        if problem:
            raise RpcFault(500, f"{bad}: {problem}")
        now = self.ul.clock()
        seconds = int(values["expires"])
        fields: dict[str, Any] = {
            "expires": now + seconds if seconds > 0 else 0.0,
            "q": float(values["q"]),
            "callid": RPC_CALLID,
            "cseq": 1,
            "user_agent": RPC_USER_AGENT,
            "path": values["path"],
            "flags": int(values["flags"]),
            "cflags": int(values["cflags"]),
            "methods": int(values["methods"]) & METHODS_ALL,
            "received": extra["received"],
            "socket": extra["socket"],
            "last_modified": now,
            "server_id": self.ul.params.get_int("usrloc", "server_id"),
        }
        uri = str(values["contact"])

        def put(live: list[Contact]) -> Outcome[None]:
            for i, old in enumerate(live):
                if old.uri == uri:
                    return [*live[:i], old.changed(**fields), *live[i + 1:]], None
            return [*live, Contact(aor=name, uri=uri, ruid=new_ruid(), **fields)], None

        await self._guard(self.ul.update(name, put))
        return {}

    async def flush(self) -> dict[str, Any]:
        if not await self.ul.flush():
            raise RpcFault(500, "Operation failed")
        return {}


def _check_add(values: dict[str, Any], extra: dict[str, str | None]) -> str:
    """What is wrong with ul.add's values ("" when nothing)."""
    from proxy.sip import SipParseError, parse_uri

    uri = values["contact"]
    try:
        parse_uri(uri)
    except SipParseError as exc:
        return f"contact {uri!r} is not a SIP URI ({exc})"
    if values["expires"] < 0:
        return "expires must not be negative"
    q = values["q"]
    if q is not None and q != Q_UNSPECIFIED and not 0.0 <= q <= 1.0:
        return "q must be between 0 and 1 (or -1: not set)"
    for key, limit in _LIMITS.items():
        text = values.get(key) if key in values else extra.get(key)
        if text is not None and len(text) > limit:
            return f"{key} longer than {limit} characters"
    if extra["received"] is not None:
        try:
            parse_uri(extra["received"])
        except SipParseError:
            return f"received {extra['received']!r} is not a SIP URI"
    return ""
