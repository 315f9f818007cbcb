"""Where HA1 values come from: the subscriber row, read for every authentication.

Reading the row each time (one indexed SELECT in the database worker thread, never
on the event loop) means a ``kamctl add``/``passwd``/``rm`` is seen by the very next
request, with nothing to invalidate. The connection is opened on first use and again
after a failure, at most once a second, so a database that comes back later is used.

Which column answers which challenge:

* ``auth.calculate_ha1`` = 1: ``H(credentials username ":" realm ":" password)`` from
  the cleartext ``password`` column (Kamailio's ``calculate_ha1``), for every algorithm;
* MD5: ``ha1``, or ``ha1b`` when the credentials' username is ``user@domain``;
* SHA-256 / SHA-512-256: our extra columns (same ``ha1b`` rule), but only while they
  belong to the current password (``proxy.storage.ha1.extra_hashes_valid``); a row
  whose password was changed by Kamailio's kamctl answers MD5 only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from proxy.storage.ha1 import COLUMNS, REF_COLUMN, Algorithm, extra_hashes_valid, ha1

if TYPE_CHECKING:
    from proxy.storage.aio import AsyncDatabase

_WANTED = ("password", *[c for pair in COLUMNS.values() for c in pair], REF_COLUMN)
_RETRY = 1.0


class CredentialsUnavailable(Exception):
    """The subscriber table cannot be read now; ``str()`` says why (no secrets)."""


class SubscriberSource:
    """Reads subscriber rows from the configured database."""

    def __init__(self, url: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self._clock = clock
        self._db: AsyncDatabase | None = None
        self._failed_at: float | None = None
        self._last_error = ""

    async def _open(self) -> AsyncDatabase:
        if self._db is not None:
            return self._db
        now = self._clock()
        if self._failed_at is not None and now - self._failed_at < _RETRY:
            raise CredentialsUnavailable(self._last_error)
        from proxy.storage.aio import AsyncDatabase
        from proxy.storage.errors import StorageError

        try:
            self._db = await AsyncDatabase.open(self.url)
        except StorageError as exc:
            self._failed_at, self._last_error = now, str(exc)
            raise CredentialsUnavailable(self._last_error) from None
        self._failed_at = None
        return self._db

    async def find(self, table: str, user: str, domain: str | None) -> dict[str, Any] | None:
        """The row of ``user`` (in ``domain`` unless None), with the columns auth uses."""
        from proxy.storage.errors import StorageError

        db = await self._open()

        def query(conn: Any) -> dict[str, Any] | None:
            present = set(conn.columns(table))
            columns = ["username", "domain", *[c for c in _WANTED if c in present]]
            where: dict[str, Any] = {"username": user}
            if domain is not None:
                where["domain"] = domain
            rows: list[dict[str, Any]] = conn.select(table, where, columns=columns, limit=1)
            return rows[0] if rows else None

        try:
            return await db.run(query)
        except StorageError as exc:
            raise CredentialsUnavailable(str(exc)) from None

    async def columns(self, table: str) -> set[str]:
        """The table's column names (MissingTable and such: CredentialsUnavailable)."""
        from proxy.storage.errors import StorageError

        db = await self._open()
        try:
            return set(await db.run(lambda conn: conn.columns(table)))
        except StorageError as exc:
            raise CredentialsUnavailable(str(exc)) from None

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()


def stored_ha1(
    row: dict[str, Any],
    algorithm: Algorithm,
    cred_username: str,
    realm: str,
    *,
    calculate: bool,
) -> str | None:
    """The HA1 for ``algorithm`` from ``row``, or None when the row has no usable one."""
    if calculate:
        password = row.get("password") or ""
        return ha1(cred_username, realm, password, algorithm) if password else None
    plain, with_domain = COLUMNS[algorithm]
    column = with_domain if "@" in cred_username else plain
    if algorithm != "md5" and not extra_hashes_valid(row):
        return None
    value = row.get(column)
    return str(value).lower() if value else None
