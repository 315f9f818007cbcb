"""The permissions module (address part): which source addresses each group allows.

For the routing script: :meth:`PermissionsModule.allow_source_address` (Kamailio's
``allow_source_address(group)``, the caller passing the packet's source), its
variant :meth:`~PermissionsModule.allow_address` for any address, and
:meth:`~PermissionsModule.source_group` (``allow_source_address_group``). Before the
first successful load nothing is allowed.
"""

from __future__ import annotations

from typing import Any

from proxy.log import get_logger
from proxy.modules.base import Loaded, LoadError
from proxy.modules.dbsource import DbSource
from proxy.modules.permissions.table import TABLE, AddressEntry, AddressTable, build
from rpc.errors import RpcFault
from rpc.registry import Registry

#: Kamailio's default group of allow_source_address()
DEFAULT_GROUP = 1

log = get_logger("permissions")


class PermissionsModule:
    name = "permissions"

    def __init__(self, source: DbSource | None) -> None:
        self.source = source
        self.data: Loaded[AddressTable] = Loaded("address table", self._load, log)

    async def _load(self) -> AddressTable:
        if self.source is None:
            raise LoadError("no database configured")

        def read(db: Any) -> list[dict[str, Any]]:
            db.require(TABLE)
            rows: list[dict[str, Any]] = db.select(TABLE, order_by=["id"])
            return rows

        table = build(await self.source.read(read))
        for entry in table.names:
            log.warn(
                "address row id %d: %r is a host name: it is listed but never matches a "
                "source address (use its IP address)",
                entry.row_id,
                entry.name,
            )
        log.info(
            "loaded %d addresses and %d subnets in %d groups",
            len(table.singles),
            len(table.subnets),
            len(table.groups),
        )
        return table

    def register(self, registry: Registry) -> None:
        registry.register(
            "permissions.addressReload",
            self.rpc_reload,
            'Reload permissions address table ("Reload OK"); on failure the old data '
            "stays and the fault says why.",
        )
        registry.register(
            "permissions.addressDump",
            self.rpc_address_dump,
            "Dump permissions address table (the single addresses).",
        )
        registry.register(
            "permissions.subnetDump", self.rpc_subnet_dump, "Dump permissions subnet table."
        )
        registry.register(
            "permissions.domainDump",
            self.rpc_domain_dump,
            "Dump permissions domain name table (host names of the address table; never matched).",
        )

    async def start(self, load: bool = True) -> None:
        if load:
            await self.data.first_load()

    async def close(self) -> None:
        return None

    # -- for the routing script -------------------------------------------------------

    def match(self, group: int, ip: str, port: int = 0) -> AddressEntry | None:
        """The entry that allows ``ip``:``port`` in ``group`` (its ``tag`` for the script)."""
        table = self.data.current
        return None if table is None else table.match(group, ip, port)

    def allow_address(self, group: int, ip: str, port: int = 0) -> bool:
        """True when ``group`` allows ``ip``:``port`` (port 0 in a row means any port)."""
        return self.match(group, ip, port) is not None

    def allow_source_address(self, group: int, ip: str, port: int) -> bool:
        """Kamailio's allow_source_address(group): the caller passes the packet's source."""
        return self.allow_address(group, ip, port)

    def source_group(self, ip: str, port: int) -> int:
        """The group that allows the source (lowest number first), -1 when none does."""
        table = self.data.current
        entry = None if table is None else table.match_any_group(ip, port)
        return -1 if entry is None else entry.group

    # -- RPC --------------------------------------------------------------------------

    async def rpc_reload(self) -> str:
        try:
            await self.data.reload()
        except LoadError as exc:
            raise RpcFault(500, f"Reload failed: {exc}") from None
        return "Reload OK"

    def _table(self) -> AddressTable:
        return self.data.current if self.data.current is not None else AddressTable()

    def rpc_address_dump(self) -> list[dict[str, Any]]:
        return self._table().address_dump()

    def rpc_subnet_dump(self) -> list[dict[str, Any]]:
        return self._table().subnet_dump()

    def rpc_domain_dump(self) -> list[dict[str, Any]]:
        return self._table().name_dump()
