"""tm's RPC methods: ``tm.stats`` (Kamailio 5.6's shape) and ``tm.list``."""

from __future__ import annotations

from typing import Any

from proxy.tm.manager import TransactionManager
from rpc.registry import Registry


def register(registry: Registry, tm: TransactionManager) -> None:
    def stats() -> dict[str, int]:
        return tm.rpc_stats()

    def listing() -> list[dict[str, Any]]:
        return tm.listing()

    registry.register(
        "tm.stats",
        stats,
        "Print transaction statistics: current, waiting, total, total_local, replies "
        "received, generated and sent, transactions by final reply class.",
    )
    registry.register(
        "tm.list",
        listing,
        "List the transactions in memory: method, From, To, Call-ID, CSeq, state, final "
        "status, branches, age in seconds.",
    )
