"""Staged ("delayed") changes: checked now, invisible until commit, dropped by rollback.

There is one staging area per kamproxy, shared by every RPC transport, as Kamailio's
cfg_rpc has one context: a change staged over the FIFO can be committed over HTTP.
Staging a var twice keeps the last value.
"""

from __future__ import annotations

from typing import Any

from proxy.cfg.model import Value
from proxy.cfg.params import Params


class Staging:
    def __init__(self, params: Params) -> None:
        self.params = params
        self._changes: dict[tuple[str, str], Value] = {}

    def stage(self, group: str, var: str, value: object) -> Value:
        """Check ``value`` now (same rules as an immediate set) and keep it for commit."""
        stored = self.params.check(group, var, value)
        self._changes.pop((group, var), None)  # re-staging moves it to the end
        self._changes[(group, var)] = stored
        return stored

    def __len__(self) -> int:
        return len(self._changes)

    def diff(self) -> list[dict[str, Any]]:
        """Every staged change with the live value it would replace (Kamailio's members)."""
        return [
            {
                "group name": group,
                "variable name": var,
                "old value": self.params.get(group, var),
                "new value": value,
            }
            for (group, var), value in self._changes.items()
        ]

    def commit(self, *, source: str = "cfg.commit") -> int:
        """Make every staged change live at once; returns how many there were."""
        changes = [(group, var, value) for (group, var), value in self._changes.items()]
        self._changes.clear()
        self.params.apply(changes, source=source)
        return len(changes)

    def rollback(self) -> int:
        """Drop every staged change; returns how many there were."""
        count = len(self._changes)
        self._changes.clear()
        return count
