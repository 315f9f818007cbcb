"""kamproxy's memory use in the shape of Kamailio's shared memory (``core.shmmem``,
``shmem:`` statistics), so that ``kamctl stats``, ``kamcmd core.shmmem`` and monitors
written for Kamailio read something true.

kamproxy is one Python process, so its "shared memory" is the process:

* ``used`` / ``used_size``: anonymous resident memory (``RssAnon``: the heap);
* ``real_used`` / ``real_used_size``: all resident memory (``VmRSS``);
* ``max_used`` / ``max_used_size``: the peak resident memory (``VmHWM``);
* ``total`` / ``total_size``: the address-space limit (``ulimit -v``) when set, else the
  machine's memory (``MemTotal``);
* ``free`` / ``free_size``: total - real_used;
* ``fragments``: always 1 (Python's allocator keeps no comparable count).

Read from ``/proc`` on each call (no tracing allocator, nothing on the hot path).
"""

from __future__ import annotations

import resource
from dataclasses import dataclass
from pathlib import Path

from proxy.core.stats import Statistics
from rpc.errors import RpcFault
from rpc.registry import Registry

_UNITS = {"b": 0, "k": 10, "m": 20, "g": 30}


@dataclass(frozen=True)
class MemoryInfo:
    total: int
    free: int
    used: int
    real_used: int
    max_used: int
    fragments: int


def _kib_fields(path: str, names: tuple[str, ...]) -> dict[str, int]:
    """``Name: N kB`` lines of a /proc file, in bytes."""
    found: dict[str, int] = {}
    try:
        text = Path(path).read_text()
    except OSError:
        return found
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name in names:
            words = rest.split()
            if words and words[0].isdigit():
                found[name] = int(words[0]) * 1024
    return found


def read_memory() -> MemoryInfo:
    status = _kib_fields("/proc/self/status", ("VmRSS", "VmHWM", "RssAnon"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    rss = status.get("VmRSS", peak)
    hwm = max(status.get("VmHWM", peak), rss)
    anon = status.get("RssAnon", rss)
    total = _kib_fields("/proc/meminfo", ("MemTotal",)).get("MemTotal", 0)
    limit, _hard = resource.getrlimit(resource.RLIMIT_AS)
    if limit != resource.RLIM_INFINITY and limit > 0 and (total == 0 or limit < total):
        total = limit
    total = max(total, rss)
    return MemoryInfo(total, total - rss, anon, rss, hwm, 1)


def register_shmem_group(stats: Statistics) -> None:
    """The ``shmem:`` statistics (gauges, never reset)."""
    group = stats.group("shmem")
    group.gauge("total_size", lambda: read_memory().total)
    group.gauge("used_size", lambda: read_memory().used)
    group.gauge("real_used_size", lambda: read_memory().real_used)
    group.gauge("max_used_size", lambda: read_memory().max_used)
    group.gauge("free_size", lambda: read_memory().free)
    group.gauge("fragments", lambda: read_memory().fragments)


def shmmem(unit: str = "b") -> dict[str, int]:
    """``core.shmmem [b|k|m|g]``: the numbers above, shifted to the unit."""
    key = unit.strip().lower()
    if len(key) == 2 and key.endswith("b"):
        key = key[0]
    shift = _UNITS.get(key or "b")
    if shift is None:
        raise RpcFault(500, "bad param, (use b|k|m|g)")
    mem = read_memory()
    return {
        "total": mem.total >> shift,
        "free": mem.free >> shift,
        "used": mem.used >> shift,
        "real_used": mem.real_used >> shift,
        "max_used": mem.max_used >> shift,
        "fragments": mem.fragments,
    }


def register_memory_rpc(registry: Registry) -> None:
    registry.register(
        "core.shmmem", shmmem,
        "Returns the memory use of kamproxy in Kamailio's shared memory shape "
        "(optional unit: b, k, m or g).",
    )
