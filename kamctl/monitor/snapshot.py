"""One look at the proxy: uptime, traffic, transactions, registrations, memory, debug level.

Every section comes from its own RPC call, so a proxy without a module (no tm, no
usrloc) gives ``None`` for that section and the reason in ``unavailable``; only a proxy
that cannot be reached at all is an error (the RpcError is raised).

Rates are per second: against the previous snapshot when there is one, else the
average since the proxy started (``rate_basis`` says which).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from kamctl.rpcviews import is_unknown_method, stat_values
from rpc.client import Client
from rpc.errors import RemoteError

#: Statistics groups read in one stats.get_statistics call.
STAT_GROUPS = ("core:", "sl:", "shmem:", "usrloc:", "registrar:")
#: Counters whose rates are shown: name -> statistic.
RATED = {
    "requests": "core:rcv_requests",
    "replies": "core:rcv_replies",
    "sent_replies": "sl:sent_replies",
}
TM_KEYS = ("current", "waiting", "total", "total_local", "2xx", "3xx", "4xx", "5xx", "6xx")
LEVEL_NAMES = {
    -5: "ALERT", -4: "BUG", -3: "CRITICAL", -2: "CRITICAL", -1: "ERROR",
    0: "WARNING", 1: "NOTICE", 2: "INFO", 3: "DEBUG",
}


class Unavailable(Exception):
    """A section the proxy cannot give (its reason is the message)."""


@dataclass
class Snapshot:
    data: dict[str, Any]
    #: counters for the next snapshot's rates (RATED names and "transactions")
    counters: dict[str, int] = field(default_factory=dict)
    taken: float = 0.0  #: time.monotonic() when taken


def _call(client: Client, method: str, *params: Any) -> Any:
    """The result, or Unavailable when the proxy answers with a fault."""
    try:
        return client.call(method, *params)
    except RemoteError as exc:
        if is_unknown_method(exc):
            raise Unavailable(f"{method}: no such method") from None
        raise Unavailable(f"{method}: {exc.code} - {exc.message}") from None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _rate(now: int | None, before: int | None, seconds: float) -> float | None:
    if now is None or before is None or seconds <= 0 or now < before:
        return None
    return (now - before) / seconds


class Collector:
    """Takes snapshots of one proxy; remembers the server version and the last counters."""

    def __init__(self, client: Client, address: str) -> None:
        self.client = client
        self.address = address
        self.version: str | None = None
        self.previous: Snapshot | None = None

    def take(self) -> Snapshot:
        data: dict[str, Any] = {
            "address": self.address,
            "server": None,
            "time": time.strftime("%Y-%m-%d %H:%M:%S"),
            "rate_basis": None,
        }
        unavailable: dict[str, str] = {}
        uptime = self._section("uptime", self._uptime, unavailable)
        data["server"] = self._server(unavailable)
        data["uptime"] = uptime
        stats = self._stats(unavailable)
        taken = time.monotonic()
        counters = {k: v for k, s in RATED.items() if (v := _int(stats.get(s))) is not None}
        tm = self._section("transactions", self._transactions, unavailable)
        if tm is not None and _int(tm.get("total")) is not None:
            counters["transactions"] = tm["total"]
        rates, basis = self._rates(counters, taken, uptime)
        data["rate_basis"] = basis
        data["requests"] = self._requests(stats, rates, unavailable)
        data["replies"] = self._replies(stats, rates, unavailable)
        if tm is not None:
            tm["rate"] = rates.get("transactions")
        data["transactions"] = tm
        data["registrations"] = self._registrations(stats, unavailable)
        data["memory"] = self._section("memory", lambda: self._memory(stats), unavailable)
        data["debug"] = self._section("debug", self._debug, unavailable)
        data["unavailable"] = unavailable
        snap = Snapshot(data, counters, taken)
        self.previous = snap
        return snap

    # -- sections -------------------------------------------------------------------------

    @staticmethod
    def _section(name: str, read: Any, unavailable: dict[str, str]) -> Any:
        try:
            return read()
        except Unavailable as exc:
            unavailable[name] = str(exc)
            return None

    def _server(self, unavailable: dict[str, str]) -> str | None:
        if self.version is None:
            try:
                self.version = str(_call(self.client, "core.version")).strip()
            except Unavailable as exc:
                unavailable["server"] = str(exc)
        return self.version

    def _uptime(self) -> dict[str, Any]:
        result = _call(self.client, "core.uptime")
        if not isinstance(result, dict):
            raise Unavailable("core.uptime: unexpected answer")
        return {"seconds": _int(result.get("uptime")), "since": result.get("up_since")}

    def _stats(self, unavailable: dict[str, str]) -> dict[str, Any]:
        try:
            return stat_values(_call(self.client, "stats.get_statistics", *STAT_GROUPS))
        except Unavailable as exc:
            unavailable["statistics"] = str(exc)
            return {}

    def _rates(
        self, counters: dict[str, int], taken: float, uptime: dict[str, Any] | None
    ) -> tuple[dict[str, float | None], str | None]:
        prev = self.previous
        if prev is not None and taken > prev.taken:
            seconds = taken - prev.taken
            rates = {k: _rate(v, prev.counters.get(k), seconds) for k, v in counters.items()}
            return rates, f"last {seconds:.1f} s"
        up = _int((uptime or {}).get("seconds"))
        if up:
            return {k: v / up for k, v in counters.items()}, "average since start"
        return {k: None for k in counters}, None

    @staticmethod
    def _requests(
        stats: dict[str, Any], rates: dict[str, float | None], unavailable: dict[str, str]
    ) -> dict[str, Any] | None:
        if "core:rcv_requests" not in stats:
            unavailable.setdefault("requests", "no core: statistics")
            return None
        return {
            "received": stats.get("core:rcv_requests"),
            "forwarded": stats.get("core:fwd_requests"),
            "dropped": stats.get("core:drop_requests"),
            "errors": stats.get("core:err_requests"),
            "rate": rates.get("requests"),
        }

    @staticmethod
    def _replies(
        stats: dict[str, Any], rates: dict[str, float | None], unavailable: dict[str, str]
    ) -> dict[str, Any] | None:
        if "core:rcv_replies" not in stats:
            unavailable.setdefault("replies", "no core: statistics")
            return None
        return {
            "received": stats.get("core:rcv_replies"),
            "forwarded": stats.get("core:fwd_replies"),
            "received_rate": rates.get("replies"),
            "sent": stats.get("sl:sent_replies"),
            "sent_errors": stats.get("sl:sent_err_replies"),
            "sent_rate": rates.get("sent_replies"),
        }

    def _transactions(self) -> dict[str, Any]:
        result = _call(self.client, "tm.stats")
        if not isinstance(result, dict):
            raise Unavailable("tm.stats: unexpected answer")
        return {k: result.get(k) for k in TM_KEYS}

    @staticmethod
    def _registrations(
        stats: dict[str, Any], unavailable: dict[str, str]
    ) -> dict[str, Any] | None:
        found = {
            "users": stats.get("usrloc:registered_users"),
            "contacts": stats.get("usrloc:location-contacts"),
            "accepted": stats.get("registrar:accepted_regs"),
            "rejected": stats.get("registrar:rejected_regs"),
        }
        if all(v is None for v in found.values()):
            unavailable["registrations"] = "no usrloc or registrar statistics"
            return None
        return found

    def _memory(self, stats: dict[str, Any]) -> dict[str, Any]:
        try:
            mem = _call(self.client, "core.shmmem")
            source = "core.shmmem"
        except Unavailable as exc:
            if "shmem:total_size" not in stats:
                raise Unavailable(f"{exc}; no shmem: statistics") from None
            mem = {
                "total": stats.get("shmem:total_size"),
                "free": stats.get("shmem:free_size"),
                "used": stats.get("shmem:used_size"),
                "real_used": stats.get("shmem:real_used_size"),
                "max_used": stats.get("shmem:max_used_size"),
            }
            source = "shmem: statistics"
        if not isinstance(mem, dict):
            raise Unavailable("core.shmmem: unexpected answer")
        total, real = _int(mem.get("total")), _int(mem.get("real_used"))
        percent = round(100.0 * real / total, 1) if total and real is not None else None
        return {
            "total": total,
            "used": _int(mem.get("used")),
            "real_used": real,
            "max_used": _int(mem.get("max_used")),
            "free": _int(mem.get("free")),
            "used_percent": percent,
            "source": source,
        }

    def _debug(self) -> dict[str, Any]:
        result = _call(self.client, "corex.debug")
        level = result.get("debug") if isinstance(result, dict) else result
        level = _int(level)
        if level is None:
            raise Unavailable("corex.debug: unexpected answer")
        return {"level": level, "name": LEVEL_NAMES.get(level)}
