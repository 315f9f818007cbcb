"""What the running proxy says about itself: sockets, local names, debug level, memory.

The local-names checks look for the misrouting loop: a request for the proxy's own
name or address that it does not recognise as local is relayed, often to itself.
That happens when it listens on a wildcard address (0.0.0.0) and neither advertises an
address nor declares aliases, or when the domain module is loaded with no domains.
"""

from __future__ import annotations

from typing import Any

from kamctl.doctor.context import DoctorContext, Unavailable
from kamctl.doctor.model import FAIL, PASS, SKIP, WARN, Result
from kamctl.rpcviews import alias_rows, is_loopback, is_wildcard, socket_rows

MEMORY_WARN = 75.0  #: percent of memory in use
MEMORY_FAIL = 90.0


def _sockets(ctx: DoctorContext) -> list[dict[str, Any]]:
    try:
        return socket_rows(ctx.call("corex.list_sockets"))
    except Unavailable:
        return socket_rows(ctx.call("core.sockets_list"))


def _aliases(ctx: DoctorContext) -> list[dict[str, Any]]:
    try:
        return alias_rows(ctx.call("corex.list_aliases"))
    except Unavailable:
        return alias_rows(ctx.call("core.aliases_list"))


def _where(row: dict[str, Any]) -> str:
    return f"{row.get('proto')}:{row.get('address')}:{row.get('port')}"


def check_sockets(ctx: DoctorContext) -> list[Result]:
    try:
        rows = _sockets(ctx)
    except Unavailable as exc:
        return [Result("sockets", SKIP, str(exc))]
    if not rows:
        return [
            Result(
                "sockets",
                FAIL,
                "the proxy listens on no SIP socket",
                "give listen addresses (kamproxy -l / [core] listen; Kamailio listen=)",
            )
        ]
    shown = ", ".join(_where(r) for r in rows)
    note = ""
    if all(is_loopback(r.get("address")) for r in rows):
        note = " (loopback only: other hosts cannot reach it)"
    return [Result("sockets", PASS, f"listening on {shown}{note}", details={"sockets": rows})]


def check_aliases(ctx: DoctorContext) -> list[Result]:
    try:
        sockets = _sockets(ctx)
        aliases = _aliases(ctx)
    except Unavailable as exc:
        return [Result("aliases", SKIP, str(exc))]
    names = ", ".join(str(a.get("address")) for a in aliases)
    wild = [s for s in sockets if is_wildcard(s.get("address")) and not s.get("advertise")]
    if wild and not aliases:
        return [
            Result(
                "aliases",
                WARN,
                f"listening on {', '.join(_where(s) for s in wild)} (every interface) with no "
                "advertised address and no aliases: a request for this proxy's public name "
                "or address is not taken as local and is relayed, to itself (a loop: "
                "483 Too Many Hops)",
                "advertise the public address (-l 'udp:0.0.0.0:5060 advertise 203.0.113.1') "
                "or declare the names (--alias sip.example.com, [core] aliases; Kamailio: "
                "alias= and advertise in listen=)",
            )
        ]
    if not aliases:
        return [Result("aliases", PASS, "no aliases; the listen addresses are the local names")]
    return [Result("aliases", PASS, f"aliases: {names}", details={"aliases": aliases})]


def check_domains(ctx: DoctorContext) -> list[Result]:
    try:
        result = ctx.call("domain.dump")
    except Unavailable as exc:
        if "404" in str(exc):  # Kamailio: "Server Domain Cache Empty"
            result = {"domains": []}
        else:
            return [Result("domains", SKIP, f"{exc} (no domain module)")]
    domains = result.get("domains") if isinstance(result, dict) else None
    names = [str(d.get("domain")) for d in domains or [] if isinstance(d, dict)]
    if not names:
        return [
            Result(
                "domains",
                WARN,
                "the domain module is loaded but has no local domains: requests for your "
                "SIP domain are not taken as local (is_domain_local fails) and get relayed",
                "add them: `kamctl domain add example.com` (the proxy reloads), or "
                "`kamctl domain reload` after filling the domain table",
            )
        ]
    return [Result("domains", PASS, f"local domains: {', '.join(names)}")]


def check_debug(ctx: DoctorContext) -> list[Result]:
    try:
        result = ctx.call("corex.debug")
    except Unavailable as exc:
        return [Result("debug", SKIP, str(exc))]
    level = result.get("debug") if isinstance(result, dict) else result
    if isinstance(level, int) and level >= 3:
        return [
            Result(
                "debug",
                WARN,
                f"debug level {level} (DEBUG) logs every message: slow, and fills disks in "
                "production",
                "lower it live with `kamctl debug 0` (or 1, 2); set it for good in the "
                "configuration ([cfg.core] debug / debug=)",
            )
        ]
    return [Result("debug", PASS, f"debug level {level}")]


def _memory(ctx: DoctorContext) -> dict[str, Any]:
    try:
        mem = ctx.call("core.shmmem")
        if isinstance(mem, dict):
            return mem
    except Unavailable:
        pass
    from kamctl.rpcviews import stat_values

    stats = stat_values(ctx.call("stats.get_statistics", "shmem:"))
    if "shmem:total_size" not in stats:
        raise Unavailable("neither core.shmmem nor shmem: statistics")
    return {"total": stats["shmem:total_size"], "real_used": stats.get("shmem:real_used_size")}


def check_memory(ctx: DoctorContext) -> list[Result]:
    try:
        mem = _memory(ctx)
    except Unavailable as exc:
        return [Result("memory", SKIP, str(exc))]
    total, used = mem.get("total"), mem.get("real_used")
    if not isinstance(total, int) or not isinstance(used, int) or total <= 0:
        return [Result("memory", SKIP, "the proxy reports no usable memory figures")]
    percent = 100.0 * used / total
    text = f"{percent:.1f}% of memory in use ({used >> 20} MiB of {total >> 20} MiB)"
    details = {"total": total, "real_used": used, "percent": round(percent, 1)}
    if percent >= MEMORY_FAIL:
        status = FAIL
    elif percent >= MEMORY_WARN:
        status = WARN
    else:
        return [Result("memory", PASS, text, details=details)]
    return [
        Result(
            "memory",
            status,
            text,
            "find what grows (`kamctl stats shmem`, `kamctl monitor`); give Kamailio more "
            "shared memory (-m) or restart the proxy in a quiet hour",
            details=details,
        )
    ]
