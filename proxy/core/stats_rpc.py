"""The ``stats.*`` RPC methods (Kamailio's kex module), over a :class:`Statistics`.

Shapes, as Kamailio 5.6 answers over JSON-RPC:

* ``stats.get_statistics all|GROUP:|NAME ...`` -> ``["core:rcv_requests = 10", ...]``;
  no selector is a 400 fault; unknown names are skipped. ``GROUP:NAME`` also works here
  (Kamailio's get_statistics returns nothing for it; its fetch accepts it).
* ``stats.fetch ...`` -> ``{"core.rcv_requests": "10", ...}`` (values as strings),
  ``stats.fetchn`` the same with numbers.
* ``stats.reset_statistics ...`` -> ``{}`` (gauges such as ``shmem:*`` are not reset).
* ``stats.clear_statistics ...`` resets like reset_statistics and returns
  ``["group:name = OLD", ...]``, every line (Kamailio's JSON-RPC keeps only the last).
"""

from __future__ import annotations

from proxy.core.stats import Selected, Statistics
from rpc.errors import RpcFault
from rpc.registry import Registry


class StatsMethods:
    def __init__(self, stats: Statistics) -> None:
        self.stats = stats

    def register(self, registry: Registry) -> None:
        r = registry.register
        r("stats.get_statistics", self.get_statistics,
          "Print statistics: all, GROUP: (a whole group) or NAME; one string per statistic.")
        r("stats.fetch", self.fetch,
          "Fetch statistics (all, GROUP:, NAME or GROUP.NAME) as an object of strings.")
        r("stats.fetchn", self.fetchn,
          "Fetch statistics (all, GROUP:, NAME or GROUP.NAME) as an object of numbers.")
        r("stats.reset_statistics", self.reset_statistics,
          "Reset statistics (all, GROUP: or NAME) to 0; computed values are left alone.")
        r("stats.clear_statistics", self.clear_statistics,
          "Reset statistics like stats.reset_statistics and return their old values.")

    def _select(self, selectors: tuple[str, ...]) -> list[Selected]:
        if not selectors:
            raise RpcFault(400, "Please provide which stats to retrieve")
        return self.stats.select(selectors)

    def get_statistics(self, *selectors: str) -> list[str]:
        return [f"{g}:{n} = {s.get()}" for g, n, s in self._select(selectors)]

    def fetch(self, *selectors: str) -> dict[str, str]:
        return {f"{g}.{n}": str(s.get()) for g, n, s in self._select(selectors)}

    def fetchn(self, *selectors: str) -> dict[str, int]:
        return {f"{g}.{n}": s.get() for g, n, s in self._select(selectors)}

    def reset_statistics(self, *selectors: str) -> None:
        for _g, _n, stat in self._select(selectors):
            stat.reset()

    def clear_statistics(self, *selectors: str) -> list[str]:
        lines = []
        for group, name, stat in self._select(selectors):
            lines.append(f"{group}:{name} = {stat.get()}")
            stat.reset()
        return lines
