"""The dispatcher module: destination sets, selection with failover, probing; RPCs.

For the routing script (see docs/modules.md): :meth:`DispatcherModule.select` (the
failover list of a set for a request), :meth:`~DispatcherModule.mark` (a destination
failed or came back), :meth:`~DispatcherModule.is_from` (does a source address belong
to a set) and :meth:`~DispatcherModule.set_prober` (the SIP layer's OPTIONS sender).
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from proxy.cfg.model import parse_int
from proxy.cfg.params import Params
from proxy.log import get_logger
from proxy.modules.base import Loaded, LoadError
from proxy.modules.dbsource import DbSource
from proxy.modules.dispatcher.destinations import TABLE, Destination, DispatcherData, build
from proxy.modules.dispatcher.probing import Prober, ProbingLoop, Sleep
from proxy.modules.dispatcher.select import Cursor, MessageKeys, select
from proxy.modules.dispatcher.state import StateError, parse_state
from proxy.modules.permissions.table import source_address
from rpc.errors import RpcFault
from rpc.registry import Registry

log = get_logger("dispatcher")

RELOADED = "Ok. Dispatcher successfully reloaded."
STATE_UPDATED = "Ok. Dispatcher state updated."


class DispatcherModule:
    name = "dispatcher"

    def __init__(
        self,
        source: DbSource | None,
        params: Params,
        *,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.source = source
        self.params = params
        self.data: Loaded[DispatcherData] = Loaded("dispatcher table", self._load, log)
        self.probing = ProbingLoop(params, lambda: self.data.current, sleep)
        self.rng = rng or random.Random()
        #: per-set round-robin and weight state
        self._cursors: dict[int, Cursor] = {}

    async def _load(self) -> DispatcherData:
        if self.source is None:
            raise LoadError("no database configured")

        def read(db: Any) -> list[dict[str, Any]]:
            db.require(TABLE)
            rows: list[dict[str, Any]] = db.select(TABLE, order_by=["id"])
            return rows

        data = build(await self.source.read(read), self.data.current)
        log.info("loaded %d destination sets, %d destinations", len(data.sets), len(data.all()))
        return data

    # -- life cycle -------------------------------------------------------------------

    def register(self, registry: Registry) -> None:
        registry.register(
            "dispatcher.list",
            self.rpc_list,
            'Return the content of dispatcher sets ("full" adds the address details).',
        )
        registry.register(
            "dispatcher.reload",
            self.rpc_reload,
            "Reload dispatcher destination sets; on failure the old sets stay and the "
            "fault says why.",
        )
        registry.register(
            "dispatcher.set_state",
            self.rpc_set_state,
            "Set the state of a destination by address (or all of a set): STATE GROUP "
            "ADDRESS, or STATE GROUP all; STATE is a (active), i (inactive), t (trying) or "
            "d (disabled), optionally followed by p (probing).",
        )

    async def start(self, load: bool = True) -> None:
        if load:
            await self.data.first_load()
        self.probing.start()

    async def close(self) -> None:
        await self.probing.close()

    # -- for the routing script -------------------------------------------------------

    def set_prober(self, prober: Prober | None) -> None:
        """The SIP layer's OPTIONS sender for keepalive probing (None: no probing)."""
        self.probing.prober = prober

    def has_set(self, setid: int) -> bool:
        data = self.data.current
        return data is not None and data.get(setid) is not None

    def select(
        self,
        setid: int,
        algorithm: int,
        keys: MessageKeys | None = None,
        limit: int | None = None,
    ) -> list[Destination]:
        """The usable destinations of ``setid`` in the order to try them (first choice
        first); empty when the set is unknown or nothing is usable. UnsupportedAlgorithm
        for an algorithm kamproxy does not implement."""
        data = self.data.current
        dest_set = data.get(setid) if data is not None else None
        if dest_set is None:
            from proxy.modules.dispatcher.select import check_algorithm

            check_algorithm(algorithm)
            return []
        cursor = self._cursors.setdefault(setid, Cursor())
        chosen = select(dest_set, algorithm, keys or MessageKeys(), cursor, self.rng)
        return chosen if limit is None else chosen[:limit]

    def mark(self, setid: int, uri: str, state: str = "ip") -> bool:
        """Set the state of the destination ``uri`` of ``setid`` (``set_state`` words;
        the default, inactive and probing, is what a failed relay should report).
        False when there is no such destination; StateError for a bad word."""
        letter, probing = parse_state(state)
        found = self._destinations(setid, uri)
        for dest in found:
            dest.live.set(letter, probing)
        return bool(found)

    def is_from(self, ip: str, port: int = 0, setid: int | None = None) -> int | None:
        """The set id whose destination has the address ``ip`` (and ``port``, unless 0),
        looking at ``setid`` only when given; None when none has. Destinations named by
        host name never match (no DNS here)."""
        address = source_address(ip)
        data = self.data.current
        if address is None or data is None:
            return None
        for dest in data.all():
            if setid is not None and dest.setid != setid:
                continue
            if source_address(dest.host) == address and port in (0, dest.port):
                return dest.setid
        return None

    def _destinations(self, setid: int, uri: str) -> list[Destination]:
        data = self.data.current
        dest_set = data.get(setid) if data is not None else None
        if dest_set is None:
            return []
        if uri == "all":
            return list(dest_set.destinations)
        return [d for d in dest_set.destinations if d.uri == uri]

    # -- RPC --------------------------------------------------------------------------

    def _probe_all(self) -> bool:
        return self.params.get_int("dispatcher", "ds_probing_mode") == 1

    def rpc_list(self, mode: Any = None) -> dict[str, Any]:
        data = self.data.current
        if data is None or not data.sets:
            raise RpcFault(500, "No Destination Sets")
        return data.listing(self._probe_all(), full=mode == "full")

    async def rpc_reload(self) -> str:
        try:
            await self.data.reload()
        except LoadError as exc:
            raise RpcFault(500, f"Reload Failed: {exc}") from None
        return RELOADED

    def rpc_set_state(self, state: Any = None, group: Any = None, address: Any = None) -> str:
        setid = parse_int(group)
        if state is None or setid is None or not isinstance(address, str):
            raise RpcFault(500, "Invalid Parameters")
        try:
            letter, probing = parse_state(str(state))
        except StateError as exc:
            raise RpcFault(
                500, "Invalid State Parameter" if exc.empty else "Unknown State Value"
            ) from None
        found = self._destinations(setid, address)
        if not found and address != "all":  # Kamailio: "all" of an unknown set is fine
            raise RpcFault(500, "State Update Failed")
        for dest in found:
            dest.live.set(letter, probing)
        log.info(
            "set %d %s: state set to %s by RPC", setid, address, letter + ("P" if probing else "")
        )
        return STATE_UPDATED
