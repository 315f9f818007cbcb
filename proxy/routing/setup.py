"""Putting tm and the routing script together for one kamproxy (used by proxy.app).

``[routing] script = "path.py"`` (relative to the config file) or ``--script PATH``
chooses the script; without one kamproxy runs :data:`~proxy.routing.script.DEFAULT_SCRIPT`.
``--script none`` (or ``script = "none"``) runs no script and no transactions: the
core's stateless default routing relays everything (see docs/sip-internals.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from proxy.cfg.params import Snapshot
from proxy.core import SipCore, Statistics
from proxy.routing.router import Router
from proxy.routing.rpc import register as register_routing
from proxy.tm import TransactionManager, make_prober
from proxy.tm import register as register_tm
from rpc.registry import Registry

#: the value of ``--script`` / ``[routing] script`` that turns routing off
NO_SCRIPT = "none"


@dataclass
class RoutingSetup:
    tm: TransactionManager | None = None
    router: Router | None = None
    #: Kamailio module names for core.modules
    modules: list[str] = field(default_factory=list)

    def start(self) -> None:
        """Load the script (ScriptError when it cannot be used) and take the traffic."""
        if self.router is not None:
            self.router.start()

    async def close(self) -> None:
        if self.router is not None:
            await self.router.close()
        if self.tm is not None:
            await self.tm.close()


def build(script: str | None, section: Mapping[str, Any], core: SipCore, params: Snapshot,
          stats: Statistics, registry: Registry, modules: Any) -> RoutingSetup:
    """tm, the router and their RPC methods (the script is loaded by ``start``)."""
    if script == NO_SCRIPT:
        return RoutingSetup()
    tm = TransactionManager(core, params, stats)
    register_tm(registry, tm)
    config = {k: v for k, v in section.items() if k != "script"}
    router = Router(core, tm, modules, config, script)
    register_routing(registry, router)
    dispatcher = getattr(modules, "dispatcher", None)
    if dispatcher is not None:
        dispatcher.set_prober(make_prober(tm))
    return RoutingSetup(tm, router, ["tm", "tmx", "rr", "app_python3"])
