"""Keepalive probing with a fake prober: destinations go inactive and come back.

The real OPTIONS sender comes with the SIP layer; here a prober answers from a table
the test changes, and the loop's sleep is a fake that only yields, so no test waits
for ds_ping_interval.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from proxy.modules.dbsource import DbSource
from proxy.modules.dispatcher.module import DispatcherModule
from proxy.modules.dispatcher.probing import IDLE_CHECK, ProbeSettings, probe_round
from tests.modules.support import make_db, params

GW1, GW2, GW3 = "sip:127.0.0.1:5081", "sip:127.0.0.1:5082", "sip:127.0.0.1:5083"


def dest(uri: str, flags: int = 0, attrs: str = "") -> dict[str, Any]:
    return {"setid": 1, "destination": uri, "flags": flags, "priority": 0, "attrs": attrs}


class FakeProber:
    """Answers each URI with the code in ``answers`` (None: no answer; "raise", "hang")."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str, float]] = []

    async def __call__(self, uri: str, from_uri: str, timeout: float) -> int | None:
        self.calls.append((uri, from_uri, timeout))
        answer = self.answers.get(uri, 200)
        if answer == "raise":
            raise OSError("network is unreachable")
        if answer == "hang":
            await asyncio.sleep(60)
        return None if answer is None else int(answer)

    def probed(self) -> set[str]:
        return {uri for uri, _from, _timeout in self.calls}


class FakeSleep:
    def __init__(self) -> None:
        self.requests: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.requests.append(seconds)
        await asyncio.sleep(0.001)


def module_for(
    tmp_path: Path, rows: list[dict[str, Any]], **cfg: Any
) -> tuple[DispatcherModule, FakeSleep]:
    sleep = FakeSleep()
    module = DispatcherModule(
        DbSource(make_db(tmp_path, dispatcher=rows)), params(**cfg), sleep=sleep
    )
    return module, sleep


def letters(module: DispatcherModule) -> dict[str, str]:
    data = module.data.current
    assert data is not None
    return {d.uri: d.live.letters() for d in data.all()}


async def until(condition: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached within the bound"
        await asyncio.sleep(0.005)


def test_the_loop_marks_a_silent_gateway_inactive_and_active_again(tmp_path: Path) -> None:
    rows = [dest(GW1, flags=8), dest(GW2), dest(GW3, flags=12)]
    module, sleep = module_for(tmp_path, rows, ds_ping_interval=30)
    prober = FakeProber({GW1: 200})

    async def scenario() -> None:
        await module.start()
        module.set_prober(prober)
        try:
            await until(lambda: module.probing.rounds >= 2)
            assert letters(module)[GW1] == "AP"
            prober.answers[GW1] = None  # stops answering
            await until(lambda: letters(module)[GW1] == "IP")
            assert [d.uri for d in module.select(1, 8)] == [GW2]
            prober.answers[GW1] = 200  # answers again
            await until(lambda: letters(module)[GW1] == "AP")
            assert [d.uri for d in module.select(1, 8)] == [GW1, GW2]
        finally:
            await module.close()
        assert prober.probed() == {GW1}  # mode 0: only the probing one; never the disabled
        assert 30.0 in sleep.requests

    asyncio.run(scenario())


def test_without_interval_or_prober_nothing_is_probed(tmp_path: Path) -> None:
    module, sleep = module_for(tmp_path, [dest(GW1, flags=8)], ds_ping_interval=0)
    prober = FakeProber({})

    async def scenario() -> None:
        await module.start()
        module.set_prober(prober)
        try:
            await until(lambda: len(sleep.requests) >= 5)
            module.params.set("dispatcher", "ds_ping_interval", 2)  # takes effect live
            await until(lambda: module.probing.rounds >= 1)
        finally:
            await module.close()
        assert set(sleep.requests[:5]) == {IDLE_CHECK}

    asyncio.run(scenario())
    assert prober.calls and prober.calls[0][0] == GW1


def _round(module: DispatcherModule, prober: FakeProber) -> None:
    data = module.data.current
    assert data is not None
    settings = ProbeSettings.read(module.params.snapshot())
    asyncio.run(probe_round(data, settings, prober))


def test_threshold_counts_failures_and_mode_1_probes_everyone(tmp_path: Path) -> None:
    rows = [dest(GW1), dest(GW2), dest(GW3, flags=4)]
    module, _sleep = module_for(tmp_path, rows, ds_probing_mode=1, ds_probing_threshold=2)
    asyncio.run(module.data.reload())
    prober = FakeProber({GW1: 408, GW2: 200})
    _round(module, prober)
    assert letters(module) == {GW1: "TP", GW2: "AX", GW3: "DX"}
    _round(module, prober)
    assert letters(module)[GW1] == "IP"
    assert prober.probed() == {GW1, GW2}


def test_reply_codes_that_count_as_an_answer(tmp_path: Path) -> None:
    rows = [dest(GW1, flags=8), dest(GW2, flags=8), dest(GW3, flags=8)]
    module, _sleep = module_for(tmp_path, rows, ds_ping_reply_codes="code=404;class=3")
    asyncio.run(module.data.reload())
    _round(module, FakeProber({GW1: 404, GW2: 302, GW3: 503}))
    assert letters(module) == {GW1: "AP", GW2: "AP", GW3: "IP"}


def test_from_uri_timeout_and_a_failing_prober(tmp_path: Path) -> None:
    rows = [dest(GW1, flags=8, attrs="ping_from=sip:ka@proxy.example.com"), dest(GW2, flags=8)]
    module, _sleep = module_for(
        tmp_path, rows, ds_ping_from="sip:dispatcher@kamproxy", ds_ping_timeout=100
    )
    asyncio.run(module.data.reload())
    prober = FakeProber({GW1: "hang", GW2: "raise"})
    started = time.monotonic()
    _round(module, prober)
    assert time.monotonic() - started < 5  # a hanging ping is cut off (does not hang)
    assert letters(module) == {GW1: "IP", GW2: "IP"}
    assert sorted(prober.calls) == [
        (GW1, "sip:ka@proxy.example.com", 0.1),
        (GW2, "sip:dispatcher@kamproxy", 0.1),
    ]


def test_an_operator_disabled_destination_stays_disabled(tmp_path: Path) -> None:
    module, _sleep = module_for(tmp_path, [dest(GW1, flags=8)])
    asyncio.run(module.data.reload())
    module.rpc_set_state("d", 1, GW1)
    _round(module, FakeProber({GW1: 200}))
    assert letters(module) == {GW1: "DX"}
