"""The location service (Kamailio's usrloc): AoR -> contacts, in memory and/or in the
``location`` table, with expiry, statistics and the ``ul.*`` RPC methods.

``usrloc.db_mode`` (read at start) decides where contacts live:

* 0: memory only;
* 1 (default): memory, and every change is written to the table before the registrar
  replies; the table is loaded at start, so registrations survive a restart. When the
  database is down, registrations go on in memory and are written when it is back;
* 2: memory, changes written every ``timer_interval`` and by ``ul.flush``;
* 3: the table only: every REGISTER is one read-modify-write transaction and every
  lookup one SELECT, so several proxies can share one table.

Every change of an AoR goes through :meth:`UsrlocModule.update` with a pure function
from the live contacts to the new list (the registrar's REGISTER logic, ``ul.add``,
``ul.rm_contact``); in memory it runs without a pause between read and write, in mode 3
inside the database transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from proxy.cfg.params import Params
from proxy.core.stats import Counter
from proxy.log import get_logger
from proxy.modules.usrloc import params as ul_params
from proxy.modules.usrloc.contact import HASH_SIZE, Contact, aor_hash
from proxy.modules.usrloc.dbstore import LocationDb, Outcome, WriteQueue, diff

if TYPE_CHECKING:
    from proxy.core.stats import Statistics
    from rpc.registry import Registry

log = get_logger("usrloc")

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


class UsrlocError(Exception):
    """The location store cannot do what was asked (database-only mode, database down)."""


class AorError(ValueError):
    """An AoR given to an RPC that cannot be used; the message is Kamailio's fault text."""


def best_first(contacts: list[Contact]) -> list[Contact]:
    """Highest q first (unspecified lowest, as Kamailio), then the most recently changed."""
    return sorted(contacts, key=lambda c: (-c.q, -c.last_modified))


class UsrlocModule:
    """AoR -> contacts (see the module docstring)."""

    name = "usrloc"

    def __init__(
        self,
        db_url: str | None,
        params: Params,
        stats: Statistics | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.params = params
        self.mode = params.get_int("usrloc", "db_mode")
        self.use_domain = bool(params.get_int("usrloc", "use_domain"))
        self.clock = clock
        self._sleep = sleep
        #: AoR -> its contacts (modes 0-2), in insertion order
        self.records: dict[str, list[Contact]] = {}
        self._contacts = 0
        self.db: LocationDb | None = None
        self.writes: WriteQueue | None = None
        if self.mode != ul_params.NO_DB and db_url:
            self.db = LocationDb(db_url, self.use_domain)
            if self.mode in (ul_params.WRITE_THROUGH, ul_params.WRITE_BACK):
                self.writes = WriteQueue(self.db)
        self._writes_ok = True
        self._timer: asyncio.Task[None] | None = None
        #: contacts dropped by the sweep (statistic usrloc:location-expires)
        self.expired = Counter()
        if stats is not None:
            self._declare_stats(stats)

    def _declare_stats(self, stats: Statistics) -> None:
        group = stats.group("usrloc")
        group.gauge("registered_users", lambda: len(self.records))
        group.gauge("location-users", lambda: len(self.records))
        group.gauge("location-contacts", lambda: self._contacts)
        group.add("location-expires", self.expired)

    @property
    def db_only(self) -> bool:
        return self.mode == ul_params.DB_ONLY and self.db is not None

    # -- life cycle -----------------------------------------------------------------

    def register(self, registry: Registry) -> None:
        from proxy.modules.usrloc.rpc import UlMethods

        UlMethods(self).register(registry)

    async def start(self, load: bool = True) -> None:
        """Open the table (modes 1-3) and load it (modes 1, 2); start the expiry timer."""
        if self.db is not None and load:
            if await self.db.open():
                if self.writes is not None:
                    await self._load()
            else:
                log.warn("the location table cannot be used: %s; %s", self.db.last_error,
                         "registrations are refused until it can" if self.db_only else
                         "registrations are kept in memory and written when it can")
        elif self.mode != ul_params.NO_DB and self.db is None:
            log.warn("no database configured: registrations are kept in memory only")
        self._timer = asyncio.ensure_future(self._run_timer())

    async def _load(self) -> None:
        assert self.db is not None and self.writes is not None
        from proxy.storage.errors import StorageError

        try:
            contacts, dropped = await self.db.load(self.clock())
        except StorageError as exc:
            log.err("loading the location table failed: %s", exc)
            return
        for contact in contacts:
            self.records.setdefault(contact.aor, []).append(contact)
            self.writes.in_table.add(contact.ruid)
        self._contacts = len(contacts)
        log.info("loaded %d contacts of %d AoRs from the location table (%d expired dropped)",
                 len(contacts), len(self.records), dropped)

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._timer
            self._timer = None
        if self.writes is not None and self.writes.pending:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.writes.sync(), 5.0)
        if self.db is not None:
            await self.db.close()

    async def _run_timer(self) -> None:
        while True:
            await self._sleep(self.params.get_int("usrloc", "timer_interval"))
            try:
                await self.tick()
            except Exception:  # the timer must go on
                log.err("usrloc timer failed", exc_info=True)

    async def tick(self) -> None:
        """Drop expired contacts; write what is pending (retries failed writes)."""
        now = self.clock()
        if self.db_only:
            assert self.db is not None
            from proxy.storage.errors import StorageError

            if await self.db.open():
                try:
                    gone = await self.db.delete_expired(now)
                except StorageError as exc:
                    log.err("deleting expired contacts failed: %s", exc)
                    return
                self.expired.inc(gone)
            return
        for aor, contacts in list(self.records.items()):
            live = [c for c in contacts if c.alive(now)]
            if len(live) != len(contacts):
                self.expired.inc(len(contacts) - len(live))
                self._store(aor, contacts, live)
        if self.writes is not None:
            self._writes_ok = await self.writes.sync()

    # -- AoRs -----------------------------------------------------------------------------

    def aor_of(self, user: str | None, host: str) -> str:
        """The AoR of a URI's user and host (``user@host`` with use_domain, else ``user``)."""
        user = user or ""
        return f"{user}@{host.lower()}" if self.use_domain else user

    def normalize(self, text: str) -> str:
        """An AoR given to an RPC: the domain lower-cased (use_domain) or stripped."""
        user, at, domain = text.partition("@")
        if not self.use_domain:
            return user
        if not at or not domain:
            raise AorError("Domain missing in AOR")
        return f"{user}@{domain.lower()}"

    # -- reading ------------------------------------------------------------------------

    async def get(self, aor: str) -> list[Contact]:
        """The live contacts of ``aor``, best first (UsrlocError: database-only mode and
        the database cannot be read)."""
        now = self.clock()
        if self.db_only:
            contacts = await self._db_contacts(aor)
        else:
            contacts = self.records.get(aor, [])
        return best_first([c for c in contacts if c.alive(now)])

    async def records_of(self, aor: str) -> list[Contact] | None:
        """Every contact of ``aor`` (expired ones too); None when it has no record."""
        contacts = await self._db_contacts(aor) if self.db_only else self.records.get(aor)
        return list(contacts) if contacts else None

    async def dump(self) -> list[tuple[str, list[Contact]]]:
        """Every AoR with its contacts, in Kamailio's order (hash slot, then insertion)."""
        if self.db_only:
            grouped: dict[str, list[Contact]] = {}
            for contact in await self._db_contacts(None):
                grouped.setdefault(contact.aor, []).append(contact)
            items = list(grouped.items())
        else:
            items = [(aor, list(cs)) for aor, cs in self.records.items()]
        return sorted(items, key=lambda item: aor_hash(item[0]) & (HASH_SIZE - 1))

    async def _db_contacts(self, aor: str | None) -> list[Contact]:
        assert self.db is not None
        from proxy.storage.errors import StorageError

        if not await self.db.open():
            raise UsrlocError(f"the location table cannot be used: {self.db.last_error}")
        try:
            return await self.db.contacts(aor)
        except StorageError as exc:
            raise UsrlocError(f"reading the location table failed: {exc}") from None

    @property
    def contact_count(self) -> int:
        return self._contacts

    # -- changing -----------------------------------------------------------------------

    async def update(self, aor: str, change: Callable[[list[Contact]], Outcome[T]]) -> T:
        """Apply ``change`` (live contacts -> new list or None, result) to ``aor``."""
        now = self.clock()
        if self.db_only:
            return await self._update_db(aor, change, now)
        old = self.records.get(aor, [])
        live = [c for c in old if c.alive(now)]
        new, result = change(live)
        if new is None:
            return result
        self._store(aor, old, new)
        if self.mode == ul_params.WRITE_THROUGH and self.writes is not None and self._writes_ok:
            self._writes_ok = await self.writes.sync()
        return result

    async def _update_db(
        self, aor: str, change: Callable[[list[Contact]], Outcome[T]], now: float
    ) -> T:
        assert self.db is not None
        from proxy.storage.errors import StorageError

        if not await self.db.open():
            raise UsrlocError(f"the location table cannot be used: {self.db.last_error}")
        try:
            result, _changes = await self.db.change_aor(aor, change, now)
        except StorageError as exc:
            raise UsrlocError(f"writing the location table failed: {exc}") from None
        return result

    def _store(self, aor: str, old: list[Contact], new: list[Contact]) -> None:
        """Install ``new`` as the contacts of ``aor`` and queue the table writes."""
        if new:
            self.records[aor] = new
        else:
            self.records.pop(aor, None)
        self._contacts += len(new) - len(old)
        if self.writes is None:
            return
        changes = diff(old, new)
        for contact in (*changes.inserted, *changes.updated):
            self.writes.upsert(contact)
        for contact in changes.deleted:
            self.writes.delete(contact.ruid)

    async def remove_aor(self, aor: str) -> None:
        """Drop every contact of ``aor`` (nothing to do when it has none)."""

        def drop(_live: list[Contact]) -> Outcome[None]:
            return [], None

        await self.update(aor, drop)

    async def flush(self) -> bool:
        """Write every pending change now (ul.flush); False when the database failed."""
        if self.writes is None:
            return True
        self._writes_ok = await self.writes.sync()
        return self._writes_ok
