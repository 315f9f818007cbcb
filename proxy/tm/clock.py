"""The one clock transactions read time from, so that timers can be tested without sleeping.

Every tm timer goes through a :class:`Clock`: ``call_later(delay, callback)`` returns a
handle with ``cancel()``, ``now()`` is a monotonic time in seconds. kamproxy runs on
:class:`LoopClock` (the asyncio loop's own timers); tests use :class:`ManualClock`,
whose time moves only when :meth:`ManualClock.advance` is called, firing every timer
that falls due on the way, in order.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from typing import Protocol


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` after ``delay`` seconds (not before ``now() + delay``)."""


class LoopClock:
    """The running asyncio loop's time and timers."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def now(self) -> float:
        return self.loop.time()

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        return self.loop.call_later(max(delay, 0.0), callback)


class _ManualTimer:
    __slots__ = ("when", "callback", "cancelled")

    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """A clock for tests: time stands still until :meth:`advance` moves it."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._heap: list[tuple[float, int, _ManualTimer]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        timer = _ManualTimer(self._now + max(delay, 0.0), callback)
        heap = self._heap
        if len(heap) > 1000 and len(heap) % 1000 == 0:  # drop cancelled timers now and then
            self._heap = heap = [entry for entry in heap if not entry[2].cancelled]
            heapq.heapify(heap)
        heapq.heappush(heap, (timer.when, next(self._seq), timer))
        return timer

    def pending(self) -> int:
        """Timers not yet fired nor cancelled."""
        return sum(1 for _, _, t in self._heap if not t.cancelled)

    def advance(self, seconds: float) -> int:
        """Move time forward, firing due timers in order; returns how many fired."""
        end = self._now + seconds
        fired = 0
        while self._heap and self._heap[0][0] <= end:
            when, _, timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            self._now = max(self._now, when)
            timer.cancelled = True
            timer.callback()
            fired += 1
        self._now = end
        return fired
