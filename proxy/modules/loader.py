"""Building, starting and closing the modules of one kamproxy (see :mod:`proxy.modules`)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from proxy.cfg.params import Params
from proxy.log import get_logger
from proxy.modules.base import Module
from proxy.modules.dbsource import DbSource
from proxy.modules.dispatcher.module import DispatcherModule
from proxy.modules.dispatcher.probing import Sleep
from proxy.modules.domain.module import DomainModule
from proxy.modules.permissions.module import PermissionsModule
from rpc.registry import Registry

if TYPE_CHECKING:
    from proxy.core.stats import Statistics

log = get_logger("core")


class ModuleSet:
    """The modules of one kamproxy."""

    def __init__(
        self,
        db_url: str,
        params: Params,
        *,
        sleep: Sleep = asyncio.sleep,
        stats: Statistics | None = None,
        auth_secret: bytes | None = None,
    ) -> None:
        from proxy.modules.auth.module import AuthModule
        from proxy.modules.registrar.module import RegistrarModule
        from proxy.modules.usrloc.module import UsrlocModule

        self.source = DbSource(db_url)
        self.domain = DomainModule(self.source)
        self.permissions = PermissionsModule(self.source)
        self.dispatcher = DispatcherModule(self.source, params, sleep=sleep)
        #: registrations, REGISTER/lookup and digest auth (docs/registrar-auth.md)
        self.usrloc = UsrlocModule(db_url, params, stats)
        self.registrar = RegistrarModule(self.usrloc, params, stats)
        self.auth = AuthModule(db_url, params, secret=auth_secret)

    def all(self) -> list[Module]:
        return [self.domain, self.permissions, self.dispatcher, self.usrloc, self.registrar,
                self.auth]

    def names(self) -> list[str]:
        """Kamailio's module names, for ``core.modules``."""
        names = [module.name for module in self.all()]
        return [*names, "auth_db"] if "auth" in names else names

    def set_replier(self, reply: Any) -> None:
        """How registrar and auth send their replies (``SipCore.reply`` or tm's)."""
        self.registrar.set_replier(reply)
        self.auth.set_replier(reply)

    def register(self, registry: Registry) -> None:
        for module in self.all():
            module.register(registry)

    async def start(self) -> None:
        """Load every module's data (concurrently) and start their timers.

        Never raises for a database problem: see the module docstring.
        """
        usable = await self._check_database()
        await asyncio.gather(*(module.start(load=usable) for module in self.all()))

    async def _check_database(self) -> bool:
        from proxy.storage.errors import DatabaseMissing, StorageError

        try:
            await self.source.read(lambda db: None)
        except DatabaseMissing as exc:
            log.warn(
                "no domains, address permissions or dispatcher sets loaded: %s; after "
                "`kamctl db create` (or the first `kamctl domain|address|dispatcher add`) "
                "they load with `kamctl domain|address|dispatcher reload`",
                exc.message,
            )
            return False
        except StorageError as exc:
            log.err(
                "cannot read domains, address permissions or dispatcher sets from %s: %s; "
                "starting without them (reload them when the database is back)",
                self.source.describe(),
                exc,
            )
            return False
        return True

    async def close(self) -> None:
        for module in reversed(self.all()):
            try:
                await module.close()
            except Exception:  # keep closing the others
                log.err("closing module %s failed", module.name, exc_info=True)
