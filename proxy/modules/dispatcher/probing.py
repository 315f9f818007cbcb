"""Keepalive probing: OPTIONS pings to destinations on a timer, and what the answers do.

The SIP side is injected: a *prober* is any coroutine function
``prober(uri, from_uri, timeout) -> status code | None`` that sends an OPTIONS
request to ``uri`` and returns the final reply's status code, or None when nothing
(or nothing usable) came back within ``timeout`` seconds. Until the SIP layer supplies
one (:meth:`DispatcherModule.set_prober`), the loop runs but probes nothing.

Each round (every ``dispatcher.ds_ping_interval`` seconds, read afresh every round)
pings, concurrently, the destinations that are probed (mode 0: those with the
probing flag; mode 1: all not disabled) and applies each result to the destination's
live state: a 2xx (or a code listed in ``ds_ping_reply_codes``) is an answer, anything
else a failure (:class:`~proxy.modules.dispatcher.state.DestState`). A round never
overlaps the next. Time passes through an injected ``sleep`` so tests need no clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from proxy.cfg.params import Params, Snapshot
from proxy.log import get_logger
from proxy.modules.dispatcher.destinations import Destination, DispatcherData
from proxy.modules.dispatcher.params import reply_codes
from proxy.modules.dispatcher.state import DISABLED

#: prober(uri, from_uri, timeout_seconds) -> final status code, or None (no answer)
Prober = Callable[[str, str, float], Awaitable[int | None]]
Sleep = Callable[[float], Awaitable[None]]

#: seconds between checks while probing is off (ds_ping_interval 0 or no prober)
IDLE_CHECK = 1.0

log = get_logger("dispatcher")


@dataclass(frozen=True)
class ProbeSettings:
    interval: int
    probe_all: bool
    probing_threshold: int
    inactive_threshold: int
    ping_from: str
    timeout: float
    classes: frozenset[int]
    codes: frozenset[int]

    @classmethod
    def read(cls, values: Snapshot) -> ProbeSettings:
        classes, codes = reply_codes(values.get_str("dispatcher", "ds_ping_reply_codes"))
        return cls(
            interval=values.get_int("dispatcher", "ds_ping_interval"),
            probe_all=values.get_int("dispatcher", "ds_probing_mode") == 1,
            probing_threshold=values.get_int("dispatcher", "ds_probing_threshold"),
            inactive_threshold=values.get_int("dispatcher", "ds_inactive_threshold"),
            ping_from=values.get_str("dispatcher", "ds_ping_from"),
            timeout=values.get_int("dispatcher", "ds_ping_timeout") / 1000.0,
            classes=classes,
            codes=codes,
        )

    def answered(self, code: int | None) -> bool:
        """Does this final reply count as the destination answering?"""
        if code is None:
            return False
        return 200 <= code < 300 or code // 100 in self.classes or code in self.codes


def probed(data: DispatcherData, probe_all: bool) -> list[Destination]:
    """The destinations a round pings."""
    return [d for d in data.all() if d.live.state != DISABLED and (probe_all or d.live.probing)]


async def probe_round(
    data: DispatcherData, settings: ProbeSettings, prober: Prober
) -> list[tuple[Destination, int | None]]:
    """Ping every probed destination once (concurrently) and apply the results."""
    targets = probed(data, settings.probe_all)
    codes = await asyncio.gather(*(_ping(prober, d, settings) for d in targets))
    for dest, code in zip(targets, codes, strict=True):
        before = dest.live.letters(settings.probe_all)
        if settings.answered(code):
            dest.live.probe_answered(settings.inactive_threshold)
        else:
            dest.live.probe_failed(settings.probing_threshold)
        after = dest.live.letters(settings.probe_all)
        if after[0] != before[0]:
            log.notice(
                "set %d destination %s: %s -> %s (ping %s)",
                dest.setid,
                dest.uri,
                before[0],
                after[0],
                "timed out" if code is None else f"answered {code}",
            )
    return list(zip(targets, codes, strict=True))


async def _ping(prober: Prober, dest: Destination, settings: ProbeSettings) -> int | None:
    """One ping, bounded in time; a prober that fails counts as no answer."""
    from_uri = dest.attrs.ping_from or settings.ping_from
    try:
        return await asyncio.wait_for(
            prober(dest.uri, from_uri, settings.timeout), settings.timeout + 1.0
        )
    except TimeoutError:
        return None
    except Exception as exc:  # the prober's problem must not stop the loop
        log.dbg("pinging %s failed: %s", dest.uri, exc)
        return None


class ProbingLoop:
    """The timer: a probing round every ``ds_ping_interval`` seconds, until closed."""

    def __init__(
        self,
        params: Params,
        data: Callable[[], DispatcherData | None],
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.params = params
        self.data = data
        self.sleep = sleep
        self.prober: Prober | None = None
        #: completed rounds (for tests and statistics)
        self.rounds = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="dispatcher probing")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self) -> None:
        while True:
            settings = ProbeSettings.read(self._snapshot())
            if settings.interval <= 0 or self.prober is None:
                await self.sleep(IDLE_CHECK)
                continue
            await self.sleep(float(settings.interval))
            await self.run_round()

    async def run_round(self) -> None:
        """One round now, with the current settings, data and prober."""
        data, prober = self.data(), self.prober
        if data is None or prober is None:
            return
        settings = ProbeSettings.read(self._snapshot())
        try:
            await probe_round(data, settings, prober)
        except Exception:  # a bug in one round must not end probing
            log.err("dispatcher probing round failed", exc_info=True)
        self.rounds += 1

    def _snapshot(self) -> Snapshot:
        return self.params.snapshot()
