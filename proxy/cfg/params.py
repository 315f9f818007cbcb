"""The live values of every runtime parameter, and how they change.

Reading is a dictionary lookup: the transport calls
``params.get_int("tcp", "connect_timeout")`` for each new connection, tm reads its
timers for each new transaction. A change replaces the whole value table at once
(copy on write), so:

* new work sees the new value at once (the next log line, connection, transaction);
* work in progress that took a :meth:`Params.snapshot` keeps the values it started
  with, like a Kamailio process that reads its cfg block once per message;
* several changes committed together become visible together.

Watchers (:meth:`Params.watch`) run right after a change, for settings that live
elsewhere (the log level, the syslog facility).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

from proxy.cfg.model import CfgError, Group, ReadOnly, UnknownGroup, Value, Var

log = logging.getLogger("cfg")

State = Mapping[str, Mapping[str, Value]]
Watcher = Callable[[Value], None]


class Snapshot:
    """The values at one moment; never changes."""

    __slots__ = ("_state",)

    def __init__(self, state: State) -> None:
        self._state = state

    def get(self, group: str, var: str) -> Value:
        return self._state[group][var]

    def get_int(self, group: str, var: str) -> int:
        value = self._state[group][var]
        assert isinstance(value, int), f"{group}.{var} is not an integer parameter"
        return value

    def get_str(self, group: str, var: str) -> str:
        value = self._state[group][var]
        assert isinstance(value, str), f"{group}.{var} is not a string parameter"
        return value


def split_group(name: str) -> str:
    """``name`` checked as a group name; Kamailio's ``group[id]`` instances are refused."""
    if "[" in name:
        base = name.split("[", 1)[0]
        raise UnknownGroup(
            f"group instances ({name}) are not supported: kamproxy has one instance "
            f"of each group; use {base!r}",
            group=name,
        )
    return name


class Params(Snapshot):
    """All declared groups and their current values."""

    __slots__ = ("_groups", "_startup", "_watchers")

    def __init__(self, groups: Iterable[Group] = ()) -> None:
        super().__init__(MappingProxyType({}))
        self._groups: dict[str, Group] = {}
        self._startup: State = self._state
        self._watchers: dict[tuple[str, str], list[Watcher]] = {}
        for group in groups:
            self.declare(group)

    # -- declarations ---------------------------------------------------------

    def declare(self, group: Group) -> None:
        """Add ``group`` with its default values (a module does this at start)."""
        if group.name in self._groups:
            raise ValueError(f"runtime parameter group {group.name} is already declared")
        self._groups[group.name] = group
        defaults = MappingProxyType({var.name: var.default for var in group})
        self._state = MappingProxyType({**self._state, group.name: defaults})
        self._startup = MappingProxyType({**self._startup, group.name: defaults})

    def groups(self) -> list[Group]:
        return list(self._groups.values())

    def group(self, name: str) -> Group:
        """The group called ``name``, or UnknownGroup listing the known ones."""
        group = self._groups.get(split_group(name))
        if group is None:
            known = ", ".join(self._groups) or "none"
            raise UnknownGroup(f"unknown group {name!r} (groups: {known})", group=name)
        return group

    def lookup(self, group: str, var: str) -> Var:
        return self.group(group).var(var)

    # -- reading --------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The current values, frozen: take one at the start of a piece of work."""
        return Snapshot(self._state)

    def values(self, group: str) -> dict[str, Value]:
        """Every var of ``group`` with its current value, in declaration order."""
        return dict(self._state[self.group(group).name])

    def startup_value(self, group: str, var: str) -> Value:
        """The value at the end of start-up (what :meth:`reset` returns to)."""
        return self._startup[group][var]

    # -- checking and changing ------------------------------------------------

    def check(self, group: str, var: str, value: object, *, read_only_ok: bool = False) -> Value:
        """The stored form of ``value`` for group.var; raise CfgError if it cannot be set."""
        decl = self.lookup(group, var)
        qualified = f"{group}.{var}"
        if decl.read_only and not read_only_ok:
            raise ReadOnly(
                f"{qualified} is read-only at run time; set it in the config file "
                f"([cfg.{group}] {var} = ...) and restart",
                group=group,
                var=var,
            )
        try:
            return decl.convert(value, qualified)
        except CfgError as exc:
            exc.group, exc.var = group, var
            raise

    def set(self, group: str, var: str, value: object, *, source: str = "rpc") -> Value:
        """Check and apply one value now; returns the stored value."""
        stored = self.check(group, var, value)
        self.apply([(group, var, stored)], source=source)
        return stored

    def apply(self, changes: Iterable[tuple[str, str, Value]], *, source: str) -> None:
        """Make already checked values live together, then tell the watchers."""
        changes = list(changes)
        tables = {name: dict(values) for name, values in self._state.items()}
        old: list[Value] = []
        for group, var, value in changes:
            old.append(tables[group][var])
            tables[group][var] = value
        self._state = MappingProxyType(
            {name: MappingProxyType(values) for name, values in tables.items()}
        )
        for (group, var, value), before in zip(changes, old, strict=True):
            for watcher in self._watchers.get((group, var), []):
                try:
                    watcher(value)
                except Exception:  # a broken watcher must not undo a committed change
                    log.exception("applying %s.%s = %r failed", group, var, value)
            if value != before:  # after the watchers: a new debug level covers this line
                log.info("%s.%s changed from %r to %r (%s)", group, var, before, value, source)

    def load(self, tables: Mapping[str, Mapping[str, object]]) -> None:
        """Apply ``[cfg.GROUP]`` tables from a file (read-only vars allowed); all or none."""
        checked: list[tuple[str, str, Value]] = []
        for group, values in tables.items():
            if not isinstance(values, Mapping):
                raise CfgError(f"[cfg.{group}] must be a table of variables", group=group)
            self.group(group)
            for var, value in values.items():
                checked.append((group, var, self.check(group, var, value, read_only_ok=True)))
        self.apply(checked, source="config")

    def mark_startup(self) -> None:
        """Remember the current values as the start-up values (for :meth:`reset`)."""
        self._startup = self._state

    def reset(self, group: str, *, source: str = "cfg.reset") -> list[str]:
        """Put every var of ``group`` back to its start-up value; returns the changed names."""
        name = self.group(group).name
        start, now = self._startup[name], self._state[name]
        changes = [(name, var, start[var]) for var in now if now[var] != start[var]]
        self.apply(changes, source=source)
        return [var for _group, var, _value in changes]

    def watch(self, group: str, var: str, watcher: Watcher) -> None:
        """Call ``watcher(new_value)`` after every change of group.var."""
        self.lookup(group, var)
        self._watchers.setdefault((group, var), []).append(watcher)


def changed_values(params: Params, baseline: Snapshot) -> dict[str, dict[str, Value]]:
    """{group: {var: value}} of every live value that differs from ``baseline``."""
    changed: dict[str, dict[str, Value]] = {}
    for group in params.groups():
        for var in group:
            value = params.get(group.name, var.name)
            if value != baseline.get(group.name, var.name):
                changed.setdefault(group.name, {})[var.name] = value
    return changed
