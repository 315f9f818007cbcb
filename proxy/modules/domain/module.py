"""The domain module: which domains are local, for routing decisions; domain.* RPCs.

The routing script asks :meth:`DomainModule.is_local` (Kamailio's ``is_domain_local``)
and :meth:`DomainModule.lookup` (``lookup_domain``: the did and its attributes).
Before the first successful load no domain is local.
"""

from __future__ import annotations

from typing import Any

from proxy.log import get_logger
from proxy.modules.base import Loaded, LoadError
from proxy.modules.dbsource import DbSource
from proxy.modules.domain.table import Attribute, DomainTable, build
from rpc.errors import RpcFault
from rpc.registry import Registry

DOMAIN_TABLE = "domain"
ATTRS_TABLE = "domain_attrs"

log = get_logger("domain")


class DomainModule:
    name = "domain"

    def __init__(self, source: DbSource | None) -> None:
        self.source = source
        self.data: Loaded[DomainTable] = Loaded("domain tables", self._load, log)

    async def _load(self) -> DomainTable:
        if self.source is None:
            raise LoadError("no database configured")

        def read(db: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            db.require(DOMAIN_TABLE, ATTRS_TABLE)
            return (
                db.select(DOMAIN_TABLE, order_by=["id"]),
                db.select(ATTRS_TABLE, order_by=["id"]),
            )

        domains, attrs = await self.source.read(read)
        table = build(domains, attrs)
        log.info(
            "loaded %d local domains, %d with attributes", len(table.domains), len(table.attrs)
        )
        return table

    # -- life cycle -------------------------------------------------------------------

    def register(self, registry: Registry) -> None:
        registry.register(
            "domain.reload",
            self.rpc_reload,
            "Reload domain and domain_attrs tables from the database (empty result); on "
            "failure the old data stays and the fault says why.",
        )
        registry.register(
            "domain.dump",
            self.rpc_dump,
            "Return the contents of domain and domain_attrs tables.",
        )

    async def start(self, load: bool = True) -> None:
        if load:
            await self.data.first_load()

    async def close(self) -> None:
        return None

    # -- for the routing script -------------------------------------------------------

    def is_local(self, host: str) -> bool:
        """True when ``host`` (a Request-URI or From host) is one of the local domains."""
        table = self.data.current
        return table is not None and table.is_local(host)

    def lookup(self, host: str) -> tuple[str, tuple[Attribute, ...]] | None:
        """(did, attributes) of a local domain, or None."""
        table = self.data.current
        if table is None:
            return None
        did = table.did_of(host)
        return None if did is None else (did, table.attributes(did))

    # -- RPC --------------------------------------------------------------------------

    async def rpc_reload(self) -> dict[str, Any]:
        try:
            await self.data.reload()
        except LoadError as exc:
            raise RpcFault(400, f"Reload of domain tables failed: {exc}") from None
        return {}

    def rpc_dump(self) -> dict[str, Any]:
        table = self.data.current
        if table is None:
            raise RpcFault(404, "Server Domain Cache Empty")
        return table.dump()
