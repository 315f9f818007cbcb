"""The ``location`` table: loading at start, writing changes, the database-only mode.

Every statement runs in the database worker thread (:mod:`proxy.storage.aio`), never on
the event loop. Contacts are keyed by ``ruid`` (unique in the table).

* :class:`WriteQueue` collects changes of the memory store (upsert or delete per ruid)
  and writes all that are pending in one transaction: concurrent REGISTERs that wait
  for their write share one commit. A batch that fails because the database is gone or
  locked stays queued for the next try; one that the database refuses (a constraint)
  is written row by row and the refused rows are logged and dropped.
* :meth:`LocationDb.change_aor` is the database-only mode's read-modify-write of one
  AoR, in one transaction.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from proxy.log import get_logger
from proxy.modules.usrloc.contact import CS_SYNC, Contact, from_row, split_aor, to_row
from proxy.storage.query import Cmp

if TYPE_CHECKING:
    from proxy.storage.aio import AsyncDatabase
    from proxy.storage.database import Database

log = get_logger("usrloc")

TABLE = "location"
T = TypeVar("T")

#: what a change function returns: the AoR's new contact list (None: unchanged), a result
Outcome = tuple[list[Contact] | None, T]


@dataclass(frozen=True)
class Diff:
    """What changed between an AoR's old and new contact lists."""

    inserted: tuple[Contact, ...]
    updated: tuple[Contact, ...]
    deleted: tuple[Contact, ...]


def diff(old: list[Contact], new: list[Contact]) -> Diff:
    """By ruid: new ones, replaced objects (updates), and the ones that are gone."""
    before = {c.ruid: c for c in old}
    after = {c.ruid for c in new}
    inserted = tuple(c for c in new if c.ruid not in before)
    updated = tuple(c for c in new if c.ruid in before and before[c.ruid] is not c)
    deleted = tuple(c for c in old if c.ruid not in after)
    return Diff(inserted, updated, deleted)


class LocationDb:
    """The location table of one database (opened at start, again after a failure)."""

    def __init__(self, url: str, use_domain: bool, table: str = TABLE) -> None:
        self.url = url
        self.table = table
        self.use_domain = use_domain
        self.db: AsyncDatabase | None = None
        self.last_error = ""

    async def open(self) -> bool:
        """Connect and check the table; False (and ``last_error``) when not usable."""
        if self.db is not None:
            return True
        from proxy.storage.aio import AsyncDatabase
        from proxy.storage.errors import StorageError

        try:
            db = await AsyncDatabase.open(self.url)
        except StorageError as exc:
            self.last_error = str(exc)
            return False
        try:
            await db.require(self.table)
        except StorageError as exc:
            self.last_error = str(exc)
            await db.close()
            return False
        self.db = db
        self.last_error = ""
        return True

    async def close(self) -> None:
        if self.db is not None:
            db, self.db = self.db, None
            await db.close()

    def _need(self) -> AsyncDatabase:
        if self.db is None:
            from proxy.storage.errors import ConnectionFailed

            raise ConnectionFailed(f"the {self.table} table is not open: {self.last_error}")
        return self.db

    # -- reading --------------------------------------------------------------------

    async def load(self, now: float) -> tuple[list[Contact], int]:
        """Every live contact of the table, and how many expired rows were dropped."""

        def job(db: Database) -> tuple[list[Contact], int]:
            rows = db.select(self.table, order_by=["id"])
            live: list[Contact] = []
            dead: list[Contact] = []
            for row in rows:
                contact = from_row(row, db.dialect, self.use_domain)
                (live if contact.alive(now) else dead).append(contact)
            with db.transaction():
                for contact in dead:
                    db.delete(self.table, {"ruid": contact.ruid})
            return live, len(dead)

        return await self._need().run(job)

    async def contacts(self, aor: str | None = None) -> list[Contact]:
        """The rows of one AoR (every row with None), as contacts (expired ones too)."""

        def job(db: Database) -> list[Contact]:
            return [from_row(r, db.dialect, self.use_domain)
                    for r in db.select(self.table, self._where(aor), order_by=["id"])]

        return await self._need().run(job)

    def _where(self, aor: str | None) -> dict[str, Any] | None:
        if aor is None:
            return None
        username, domain = split_aor(aor, self.use_domain)
        return {"username": username, "domain": domain} if self.use_domain else {
            "username": username}

    # -- writing --------------------------------------------------------------------

    async def change_aor(
        self, aor: str, change: Callable[[list[Contact]], Outcome[T]], now: float
    ) -> tuple[T, Diff]:
        """Database-only mode: read the AoR, apply ``change``, write the difference, in
        one transaction. Expired rows of the AoR are deleted on the way."""

        def job(db: Database) -> tuple[T, Diff]:
            rows = db.select(self.table, self._where(aor), order_by=["id"])
            old = [from_row(r, db.dialect, self.use_domain) for r in rows]
            live = [c for c in old if c.alive(now)]
            new, result = change(live)
            changes = diff(old, live if new is None else new)
            self._apply(db, changes.inserted, changes.updated, changes.deleted)
            return result, changes

        return await self._need().transaction(job)

    def _apply(self, db: Database, inserted: tuple[Contact, ...] | list[Contact],
               updated: tuple[Contact, ...] | list[Contact],
               deleted: tuple[Contact, ...] | list[Contact]) -> None:
        for contact in deleted:
            db.delete(self.table, {"ruid": contact.ruid})
        for contact in updated:
            row = to_row(contact, db.dialect, self.use_domain)
            ruid = row.pop("ruid")
            db.update(self.table, row, {"ruid": ruid})
        for contact in inserted:
            db.insert(self.table, to_row(contact, db.dialect, self.use_domain))

    async def write(self, upserts: list[tuple[Contact, bool]], deletes: list[str]) -> None:
        """One transaction: ``upserts`` as (contact, already in the table), ``deletes`` by
        ruid."""

        def job(db: Database) -> None:
            with db.transaction():
                for ruid in deletes:
                    db.delete(self.table, {"ruid": ruid})
                updated = [c for c, known in upserts if known]
                inserted = [c for c, known in upserts if not known]
                self._apply(db, inserted, updated, [])

        await self._need().run(job)

    async def delete_expired(self, now: float) -> int:
        """Database-only mode: drop rows whose time is up (not the permanent ones)."""

        def job(db: Database) -> int:
            limit = db.dialect.datetime_value(datetime.fromtimestamp(now))
            rows = db.select(self.table, {"expires": Cmp("<", limit)},
                             columns=["ruid", "expires"])
            gone = 0
            with db.transaction():
                for row in rows:
                    contact_time = db.dialect.datetime_from(row["expires"])
                    if contact_time is not None and contact_time.timestamp() > 86400:
                        gone += db.delete(self.table, {"ruid": row["ruid"]})
            return gone

        return await self._need().run(job)


class WriteQueue:
    """Pending writes of the memory store, written in batches (see the module doc)."""

    def __init__(self, db: LocationDb, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self._clock = clock
        #: ruid -> the contact to write, or None to delete it
        self._pending: dict[str, Contact | None] = {}
        #: ruids the table has (loaded, or written by us)
        self.in_table: set[str] = set()
        self._lock = asyncio.Lock()
        self._queued = 0  # sequence of the last queued change
        self._written = 0  # every change up to this one is in the table
        self._warned = False

    @property
    def pending(self) -> int:
        return len(self._pending)

    def upsert(self, contact: Contact) -> None:
        self._pending[contact.ruid] = contact
        self._queued += 1

    def delete(self, ruid: str) -> None:
        if ruid in self.in_table or ruid in self._pending:
            self._pending[ruid] = None
            self._queued += 1

    async def sync(self) -> bool:
        """Write everything queued so far; False when the database could not take it
        (the changes stay queued for the next call)."""
        target = self._queued
        async with self._lock:
            if self._written >= target:
                return True
            if self.db.db is None and not await self.db.open():
                self._fail(self.db.last_error)
                return False
            batch, upto = self._pending, self._queued
            self._pending = {}
            try:
                await self._write(batch)
            except Exception as exc:  # StorageError, or a bug: keep the data queued
                for ruid, contact in batch.items():
                    self._pending.setdefault(ruid, contact)
                self._fail(str(exc))
                return False
            self._written = upto
            if self._warned:
                log.info("the %s table takes writes again", self.db.table)
                self._warned = False
            return True

    async def _write(self, batch: dict[str, Contact | None]) -> None:
        from proxy.storage.errors import ConnectionFailed, Locked, StorageError

        deletes = [ruid for ruid, c in batch.items() if c is None and ruid in self.in_table]
        upserts = [(c, c.ruid in self.in_table) for c in batch.values() if c is not None]
        try:
            await self.db.write(upserts, deletes)
        except (ConnectionFailed, Locked):
            raise
        except StorageError as exc:
            # one refused row must not block the others: write them one by one
            log.err("writing %d location changes failed (%s); retrying them one by one",
                    len(batch), exc)
            deletes = [ruid for ruid in deletes if await self._one([], [ruid])]
            upserts = [item for item in upserts if await self._one([item], [])]
        self._settle(upserts, deletes)

    async def _one(self, upserts: list[tuple[Contact, bool]], deletes: list[str]) -> bool:
        from proxy.storage.errors import ConnectionFailed, Locked, StorageError

        try:
            await self.db.write(upserts, deletes)
        except (ConnectionFailed, Locked):
            raise
        except StorageError as exc:
            what = upserts[0][0].uri if upserts else deletes[0]
            log.err("the %s table refused the change of %s: %s (dropped)", self.db.table,
                    what, exc)
            return False
        return True

    def _settle(self, upserts: list[tuple[Contact, bool]], deletes: list[str]) -> None:
        for ruid in deletes:
            self.in_table.discard(ruid)
        for contact, _known in upserts:
            self.in_table.add(contact.ruid)
            if self._pending.get(contact.ruid, contact) is contact:
                contact.state = CS_SYNC

    def _fail(self, reason: str) -> None:
        if not self._warned:
            log.err("cannot write to the %s table: %s; registrations stay in memory and "
                    "are written when it is back", self.db.table, reason)
            self._warned = True
