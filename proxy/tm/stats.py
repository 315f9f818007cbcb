"""Transaction statistics in Kamailio's two shapes.

* ``tm.stats`` (the RPC): ``{"current", "waiting", "total", "total_local",
  "rpl_received", "rpl_generated", "rpl_sent", "6xx", "5xx", "4xx", "3xx", "2xx",
  "created", "freed", "delayed_free"}``, keys in Kamailio 5.6's order;
* the ``tmx:`` statistics group (``kamctl stats tmx``): ``2xx_transactions`` ..
  ``6xx_transactions``, ``UAC_transactions``, ``UAS_transactions``,
  ``active_transactions``, ``inuse_transactions``, ``rpl_absorbed``,
  ``rpl_generated``, ``rpl_received``, ``rpl_relayed``, ``rpl_sent``.

Both read the same counters. ``current``/``inuse`` are the transactions that exist,
``waiting`` those completed and kept for retransmissions (wt_timer), ``active`` the
others. ``total`` counts transactions for received requests (UAS side), ``total_local``
those kamproxy started itself (keepalive probes). A transaction counts in ``2xx`` ..
``6xx`` by the final reply it sent (or, local ones, received).
"""

from __future__ import annotations

from collections.abc import Callable

from proxy.core import Counter, Statistics


class TmCounters:
    """The counters; the table sizes come from callables (gauges)."""

    def __init__(self, stats: Statistics, current: Callable[[], int],
                 waiting: Callable[[], int]) -> None:
        self._current = current
        self._waiting = waiting
        group = stats.group("tmx")
        self.classes = {n: group.counter(f"{n}xx_transactions") for n in range(2, 7)}
        self.uac = group.counter("UAC_transactions")
        self.uas = group.counter("UAS_transactions")
        group.gauge("active_transactions", lambda: current() - waiting())
        group.gauge("inuse_transactions", current)
        self.rpl_absorbed = group.counter("rpl_absorbed")
        self.rpl_generated = group.counter("rpl_generated")
        self.rpl_received = group.counter("rpl_received")
        self.rpl_relayed = group.counter("rpl_relayed")
        self.rpl_sent = group.counter("rpl_sent")
        # not in tmx: tm.stats only
        self.created = Counter()
        self.freed = Counter()

    def completed(self, code: int) -> None:
        """A transaction got its final reply ``code``."""
        counter = self.classes.get(code // 100)
        if counter is not None:
            counter.inc()

    def rpc_stats(self) -> dict[str, int]:
        """``tm.stats`` in Kamailio 5.6's shape and key order."""
        out = {
            "current": self._current(),
            "waiting": self._waiting(),
            "total": self.uas.get(),
            "total_local": self.uac.get(),
            "rpl_received": self.rpl_received.get(),
            "rpl_generated": self.rpl_generated.get(),
            "rpl_sent": self.rpl_sent.get(),
        }
        for n in (6, 5, 4, 3, 2):
            out[f"{n}xx"] = self.classes[n].get()
        out["created"] = self.created.get()
        out["freed"] = self.freed.get()
        out["delayed_free"] = 0
        return out
