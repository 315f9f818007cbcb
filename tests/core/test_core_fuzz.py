"""The core in-process: mutated messages never raise out of SipCore.receive, and whatever
it sends is a readable SIP message. Deterministic (fixed seeds), bounded in count."""

from __future__ import annotations

import asyncio
import logging
import random
import socket

import pytest

from proxy.cfg.catalog import new_params
from proxy.core import LocalAddresses, SipCore, Statistics, Unresolvable
from proxy.core.resolve import Target
from proxy.sip import Request, Response, parse_message
from proxy.transport import Destination, ReceiveInfo, SocketInfo, Transports
from tests.sip.samples import ALL
from tests.sip.test_fuzz import mutate

MUTATIONS = 3000
UDP = SocketInfo("udp", "127.0.0.1", 5060, socket.AF_INET, "127.0.0.1")
TCP = SocketInfo("tcp", "127.0.0.1", 5060, socket.AF_INET, "127.0.0.1")


class RecordingTransports(Transports):
    """Transports that record what would be sent instead of sending it."""

    def __init__(self) -> None:
        super().__init__([], new_params())
        self.sent: list[tuple[bytes, Destination]] = []
        self._sockets = [UDP, TCP]
        self._choice = {("udp", socket.AF_INET): [UDP], ("tcp", socket.AF_INET): [TCP]}

    def send(self, data: bytes, dest: Destination, on_error: object = None) -> bool:
        self.sent.append((data, dest))
        return True


async def no_dns(target: Target) -> Destination:
    raise Unresolvable(f"no lookups in tests: {target}")


def make_core() -> tuple[SipCore, RecordingTransports]:
    transports = RecordingTransports()
    local = LocalAddresses()
    local.refresh([UDP, TCP])
    core = SipCore(transports, local, new_params(), Statistics())
    core.resolver.resolve = no_dns  # type: ignore[method-assign]
    return core, transports


def test_mutated_messages_never_escape(caplog: pytest.LogCaptureFixture) -> None:
    async def run() -> tuple[int, int]:
        core, transports = make_core()
        rnd = random.Random(5)
        samples = list(ALL.values()) if isinstance(ALL, dict) else list(ALL)
        for n in range(MUTATIONS):
            data = mutate(rnd, rnd.choice(samples))
            proto = "tcp" if n % 3 == 0 else "udp"
            info = ReceiveInfo(proto, "192.0.2.1", 40000 + n % 100, TCP if proto == "tcp" else UDP,
                               n if proto == "tcp" else None)
            core.receive(data, info)  # must not raise
        await core.close()
        for data, _dest in transports.sent:
            msg = parse_message(data)
            assert isinstance(msg, (Request, Response))
            msg.via  # noqa: B018 - every message we send has a readable Via
        return len(transports.sent), core.counters.bad_msg_hdr.get()

    with caplog.at_level(logging.ERROR):
        sent, bad = asyncio.run(run())
    assert sent > 100 and bad > 100  # both paths were exercised
    # nothing failed inside the core or the default routing (logged with a traceback)
    failures = [r for r in caplog.records if r.exc_info]
    assert not failures, caplog.text[:3000]
    assert any("dropping malformed message" in r.getMessage() for r in caplog.records)


def test_every_sample_passes_through() -> None:
    async def run() -> RecordingTransports:
        core, transports = make_core()
        samples = list(ALL.values()) if isinstance(ALL, dict) else list(ALL)
        for data in samples:
            core.receive(data, ReceiveInfo("udp", "192.0.2.1", 5060, UDP))
        await core.close()
        return transports

    transports = asyncio.run(run())
    assert transports.sent
