"""Statistics: named counters in groups, with Kamailio's names and selectors.

A module declares its group and counters once and counts on the hot path with
``counter.inc()``::

    group = stats.group("registrar")
    accepted = group.counter("accepted_regs")
    group.gauge("max_expires", lambda: params.get_int("registrar", "max_expires"))
    ...
    accepted.inc()

A counter is reset by ``stats.reset_statistics``; a gauge (a value computed when read,
like ``shmem:used_size``) is not. Selectors, as Kamailio's kex module reads them:
``all``; ``GROUP:`` (every statistic of a group); ``NAME`` (that name in any group);
and, as an extension, ``GROUP:NAME`` or ``GROUP.NAME``. Results are sorted by group
and name (byte order), the order Kamailio prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol


class Stat(Protocol):
    """Anything that has a value and may be reset."""

    def get(self) -> int: ...

    def reset(self) -> None: ...


class Counter:
    """A resettable count; ``inc()`` is all the hot path does."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def inc(self, n: int = 1) -> None:
        self.value += n

    def get(self) -> int:
        return self.value

    def reset(self) -> None:
        self.value = 0


class Gauge:
    """A value computed when read (memory, open connections); reset does nothing."""

    __slots__ = ("_read",)

    def __init__(self, read: Callable[[], int]) -> None:
        self._read = read

    def get(self) -> int:
        return int(self._read())

    def reset(self) -> None:
        pass


class AttrCounter:
    """An integer attribute of another object (e.g. transport counters) as a statistic."""

    __slots__ = ("_obj", "_attr")

    def __init__(self, obj: object, attr: str) -> None:
        self._obj = obj
        self._attr = attr

    def get(self) -> int:
        return int(getattr(self._obj, self._attr))

    def reset(self) -> None:
        setattr(self._obj, self._attr, 0)


class StatsGroup:
    """The statistics of one group (``core``, ``sl``, ``tcp``, ``shmem``, ...)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._stats: dict[str, Stat] = {}

    def add(self, name: str, stat: Stat) -> Stat:
        if name in self._stats:
            raise ValueError(f"statistic {self.name}:{name} is already declared")
        self._stats[name] = stat
        return stat

    def counter(self, name: str) -> Counter:
        counter = Counter()
        self.add(name, counter)
        return counter

    def gauge(self, name: str, read: Callable[[], int]) -> Gauge:
        gauge = Gauge(read)
        self.add(name, gauge)
        return gauge

    def get(self, name: str) -> Stat | None:
        return self._stats.get(name)

    def names(self) -> list[str]:
        return sorted(self._stats)

    def items(self) -> list[tuple[str, Stat]]:
        """(name, stat) sorted by name."""
        return sorted(self._stats.items())


#: one selected statistic: (group, name, stat)
Selected = tuple[str, str, Stat]


class Statistics:
    """Every group of statistics of one kamproxy."""

    def __init__(self) -> None:
        self._groups: dict[str, StatsGroup] = {}

    def group(self, name: str) -> StatsGroup:
        """The group called ``name``, created on first use."""
        group = self._groups.get(name)
        if group is None:
            group = self._groups[name] = StatsGroup(name)
        return group

    def groups(self) -> list[StatsGroup]:
        return [self._groups[name] for name in sorted(self._groups)]

    def value(self, group: str, name: str) -> int | None:
        """The value of group:name, or None when there is no such statistic."""
        found = self._groups.get(group)
        stat = found.get(name) if found else None
        return stat.get() if stat is not None else None

    def select(self, selectors: Iterable[str]) -> list[Selected]:
        """The statistics the selectors name, in selector order, each at most once."""
        out: list[Selected] = []
        seen: set[tuple[str, str]] = set()
        for selector in selectors:
            for item in self._select_one(selector):
                key = (item[0], item[1])
                if key not in seen:
                    seen.add(key)
                    out.append(item)
        return out

    def _select_one(self, selector: str) -> list[Selected]:
        text = selector.strip()
        if text == "all":
            return [(g.name, n, s) for g in self.groups() for n, s in g.items()]
        if text.endswith(":"):
            group = self._groups.get(text[:-1])
            return [(group.name, n, s) for n, s in group.items()] if group else []
        for sep in (":", "."):
            if sep in text:
                group_name, _, name = text.partition(sep)
                group = self._groups.get(group_name)
                stat = group.get(name) if group else None
                if stat is not None:
                    return [(group_name, name, stat)]
        return [(g.name, text, s) for g in self.groups() if (s := g.get(text)) is not None]
