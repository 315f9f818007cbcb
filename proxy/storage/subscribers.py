"""The ``subscriber`` table: add, change the password, remove, look up, bulk load.

Each change runs in one transaction and checks before it writes, so a failure leaves
the table as it was. The row holds Kamailio's ``ha1``/``ha1b`` (MD5), and our SHA-256
and SHA-512-256 columns where the table has them (a table made by Kamailio's kamdbctl
has not: then only the MD5 values are stored and :class:`Stored` says which are
missing). The cleartext ``password`` column is filled only when asked to; otherwise
it is set to ``''`` (which also clears an old cleartext on a password change).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from proxy.storage.accounts import Account, AccountError
from proxy.storage.database import Database, Row
from proxy.storage.errors import IntegrityError
from proxy.storage.ha1 import ALGORITHMS, COLUMNS, REF_COLUMN, Algorithm, subscriber_hashes
from proxy.storage.query import like as like_op

TABLE = "subscriber"
PASSWORD_COLUMN_SIZE = 64
#: Column order of list and export output (those the table has).
HASH_COLUMNS = tuple(col for pair in COLUMNS.values() for col in pair) + (REF_COLUMN,)


class SubscriberError(Exception):
    """A subscriber that is (or is not) there when the command needs the opposite."""

    def __init__(self, account: Account, message: str) -> None:
        super().__init__(message)
        self.account = account


class SubscriberExists(SubscriberError):
    def __init__(self, account: Account) -> None:
        super().__init__(account, f"user '{account}' already exists")


class SubscriberNotFound(SubscriberError):
    def __init__(self, account: Account) -> None:
        super().__init__(account, f"non-existent user '{account}'")


@dataclass(frozen=True)
class Stored:
    """What a write put into the row."""

    algorithms: tuple[Algorithm, ...]  #: hash algorithms stored
    missing: tuple[Algorithm, ...]  #: wanted but the table has no column for them
    plaintext: bool  #: the cleartext password column was filled


class Subscribers:
    """Subscriber operations on an open database (checks the table once, on first use).

    ``table`` is the subscriber table's name in this database (kamctlrc ``SUB_TABLE``).
    """

    def __init__(self, db: Database, table: str = TABLE) -> None:
        self.db = db
        self.table = table
        self._checked = False

    def _ready(self) -> None:
        if not self._checked:
            self.db.require(TABLE, renamed={TABLE: self.table})
            self._checked = True

    def algorithms(self) -> tuple[tuple[Algorithm, ...], tuple[Algorithm, ...]]:
        """(algorithms the table has columns for, algorithms it lacks)."""
        self._ready()
        have = set(self.db.columns(self.table))
        stored = tuple(a for a in ALGORITHMS if set(COLUMNS[a]) <= have)
        missing = tuple(a for a in ALGORITHMS if a not in stored)
        if stored != ("md5",) and REF_COLUMN not in have:
            # Without the reference column the SHA values could not be trusted.
            missing = tuple(a for a in ALGORITHMS if a != "md5")
            stored = ("md5",)
        return stored, missing

    def credentials(
        self, account: Account, password: str, store_plaintext: bool
    ) -> tuple[dict[str, str], Stored]:
        """The column values for ``password`` and what they contain."""
        if store_plaintext and len(password) > PASSWORD_COLUMN_SIZE:
            raise AccountError(
                f"the password is longer than {PASSWORD_COLUMN_SIZE} characters, the size of "
                "the cleartext password column: choose a shorter one or store no cleartext"
            )
        stored, missing = self.algorithms()
        values = subscriber_hashes(account.user, account.domain, password, stored)
        values["password"] = password if store_plaintext else ""
        return values, Stored(stored, missing, store_plaintext)

    def get(self, account: Account) -> Row | None:
        self._ready()
        return self.db.select_one(self.table, {"username": account.user, "domain": account.domain})

    def exists(self, account: Account) -> bool:
        self._ready()
        where = {"username": account.user, "domain": account.domain}
        return self.db.count(self.table, where) > 0

    def add(self, account: Account, password: str, *, store_plaintext: bool = False) -> Stored:
        """Insert the subscriber; SubscriberExists (nothing written) when it is there."""
        values, stored = self.credentials(account, password, store_plaintext)
        row = {"username": account.user, "domain": account.domain, **values}
        try:
            with self.db.transaction():
                if self.exists(account):
                    raise SubscriberExists(account)
                self.db.insert(self.table, row)
        except IntegrityError:
            raise SubscriberExists(account) from None  # added meanwhile by someone else
        return stored

    def set_password(
        self, account: Account, password: str, *, store_plaintext: bool = False
    ) -> Stored:
        """New hashes (and cleartext or ``''``); SubscriberNotFound when absent."""
        values, stored = self.credentials(account, password, store_plaintext)
        with self.db.transaction():
            if not self.exists(account):
                raise SubscriberNotFound(account)
            self.db.update(self.table, values, {"username": account.user, "domain": account.domain})
        return stored

    def remove(self, account: Account) -> None:
        """Delete the subscriber with its group memberships and DB aliases (as kamctl)."""
        self._ready()
        where = {"username": account.user, "domain": account.domain}
        with self.db.transaction():
            if not self.exists(account):
                raise SubscriberNotFound(account)
            present = self.db.tables()
            for companion in ("grp", "dbaliases"):
                if companion in present:
                    self.db.delete(companion, where)
            self.db.delete(self.table, where)

    def search(self, domain: str | None = None, like: str | None = None) -> list[Row]:
        """Subscribers ordered by domain and user; ``like`` is an SQL LIKE on the user."""
        self._ready()
        where: dict[str, Any] = {}
        if domain is not None:
            where["domain"] = domain
        if like is not None:
            where["username"] = like_op(like)
        return self.db.select(self.table, where, order_by=["domain", "username"])

    def accounts(self) -> set[tuple[str, str]]:
        """Every (username, domain) in the table."""
        self._ready()
        rows = self.db.select(self.table, columns=["username", "domain"])
        return {(str(r["username"]), str(r["domain"])) for r in rows}

    def insert_rows(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert prepared rows (same keys each) in the caller's transaction."""
        self._ready()
        return self.db.insert_many(self.table, rows)
