"""What a kamproxy module is, and the load-and-swap rule every module's data follows.

A module (domain, permissions, dispatcher, later registrar and auth) is an object with
a ``name`` (Kamailio's module name, listed by ``core.modules``), a ``register`` that
adds its RPC methods to the registry, and ``start``/``close`` coroutines: ``start``
loads its data (it must not raise for a database problem: it logs the problem and
the module starts empty) and starts its timers, ``close`` stops them. Runtime
parameters are declared as a ``GROUP`` next to the module's code and listed in
:mod:`proxy.cfg.catalog`, so ``kamproxy -c`` and the generated docs know them without
starting anything.

A module's data lives in a :class:`Loaded` holder: a reload builds a complete new
object aside and then replaces the reference in one assignment, so a reader (the
routing script, an RPC dump) sees the old data or the new, never a mix; a reload
that fails (a bad row, an unreachable database) leaves the old data in place and
raises :class:`LoadError`, whose message names the table, row and column. Reloads
are serialised: one that arrives while another runs waits for it, then loads again
(so it sees every change made before it was asked for).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

from proxy.log import ModuleLog
from rpc.registry import Registry

T = TypeVar("T")


class Module(Protocol):
    """One kamproxy module."""

    name: str

    def register(self, registry: Registry) -> None:
        """Add the module's RPC methods."""

    async def start(self, load: bool = True) -> None:
        """Load the data (unless ``load`` is false: the database is known to be unusable)
        and start timers; database problems are logged, not raised."""

    async def close(self) -> None:
        """Stop timers; safe to call when :meth:`start` never ran or failed."""


class LoadError(Exception):
    """The data cannot be (re)loaded; ``str()`` says why."""


class BadRow(LoadError):
    """A row whose value cannot be used; names the table, the row id and the column."""

    def __init__(self, table: str, row_id: Any, column: str, value: Any, reason: str) -> None:
        shown = (
            repr(value)
            if not isinstance(value, str) or len(value) <= 60
            else (repr(value[:57] + "..."))
        )
        super().__init__(f"table {table}, row id {row_id}, column {column}: {shown} {reason}")
        self.table = table
        self.row_id = row_id
        self.column = column
        self.value = value
        self.reason = reason  #: "is not an integer", ... (follows the value in messages)

    def about_value(self) -> str:
        """The problem without the table and row: ``column 'value' reason``."""
        return f"{self.column} {self.value!r} {self.reason}"


def describe_failure(exc: BaseException) -> str:
    """One line for a failed load: a LoadError or storage error as it is, else its type."""
    from proxy.storage.errors import StorageError

    if isinstance(exc, (LoadError, StorageError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class Loaded(Generic[T]):
    """The current data of a module (None until a first load succeeds) and its reloads."""

    def __init__(self, what: str, load: Callable[[], Awaitable[T]], log: ModuleLog) -> None:
        self.what = what  #: for messages: "domain tables", "address table", ...
        self._load = load
        self._log = log
        self._lock = asyncio.Lock()
        self.current: T | None = None
        #: time.time() of the last successful load, None before
        self.loaded_at: float | None = None
        #: why the last load failed ("" after a success)
        self.last_error = ""

    @property
    def loaded(self) -> bool:
        return self.current is not None

    async def reload(self) -> T:
        """Load anew and swap it in; LoadError (old data kept) when that fails."""
        async with self._lock:
            try:
                data = await self._load()
            except Exception as exc:  # a bad row, the database, or a bug: keep the old data
                self.last_error = describe_failure(exc)
                if self.current is None:
                    self._log.err("loading the %s failed: %s", self.what, self.last_error)
                else:
                    self._log.err(
                        "reloading the %s failed, old data kept: %s", self.what, self.last_error
                    )
                raise LoadError(self.last_error) from exc
            self.current = data
            self.loaded_at = time.time()
            self.last_error = ""
            return data

    async def first_load(self) -> bool:
        """The load at start: a failure is logged (the module starts empty), not raised."""
        try:
            await self.reload()
        except LoadError:
            return False
        return True

    def set(self, data: T) -> None:
        """Install ``data`` directly (tests, and modules fed without a database)."""
        self.current = data
        self.loaded_at = time.time()
        self.last_error = ""


def int_column(table: str, row: Mapping[str, Any], column: str, low: int, high: int) -> int:
    """The integer in ``row[column]`` (decimal text accepted), or BadRow."""
    value = row.get(column)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRow(table, row.get("id"), column, value, "is not an integer")
    if not low <= value <= high:
        raise BadRow(table, row.get("id"), column, value, f"is out of range ({low}..{high})")
    return value
