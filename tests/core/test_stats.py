"""The statistics registry, the stats.* RPC shapes, and Kamailio's names."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from proxy.cfg.catalog import new_params
from proxy.core import SipService, Statistics
from proxy.core.counters import CoreCounters
from proxy.core.sl import SlCounters
from proxy.core.stats_rpc import StatsMethods
from rpc.dispatch import Dispatcher
from rpc.registry import Registry

TRANSCRIPT = Path("/work/shared/reference/kamailio-5.6/transcripts/kamctl/13-stats.txt")


def kamailio_names() -> dict[str, set[str]]:
    """group -> statistic names in Kamailio 5.6's `kamctl stats` output."""
    if not TRANSCRIPT.exists():
        pytest.skip(f"{TRANSCRIPT} is not here")
    names: dict[str, set[str]] = {}
    for group, name in re.findall(r'"([a-z_]+):([A-Za-z0-9_]+) = ', TRANSCRIPT.read_text()):
        names.setdefault(group, set()).add(name)
    return names


def our_names() -> dict[str, set[str]]:
    stats = Statistics()
    SipService([], [], new_params(), stats)
    return {group.name: set(group.names()) for group in stats.groups()}


@pytest.mark.parametrize("group", ["core", "sl", "tcp", "shmem", "dns"])
def test_names_are_kamailios(group: str) -> None:
    assert our_names()[group] == kamailio_names()[group]


def call(stats: Statistics, method: str, *params: Any) -> dict[str, Any]:
    registry = Registry()
    StatsMethods(stats).register(registry)
    request = {"jsonrpc": "2.0", "method": method, "params": list(params), "id": 1}
    reply = asyncio.run(Dispatcher(registry, pretty=False).handle(json.dumps(request).encode()))
    assert reply.body is not None
    doc: dict[str, Any] = json.loads(reply.body)
    return doc


@pytest.fixture
def stats() -> Statistics:
    stats = Statistics()
    core = CoreCounters(stats)
    sl = SlCounters(stats)
    core.request("OPTIONS")
    core.request("OPTIONS")
    core.request("FOO")
    core.reply(180, "INVITE")
    core.reply(486, "INVITE")
    sl.count(200)
    sl.count(404)
    sl.count(488)
    stats.group("shmem").gauge("total_size", lambda: 1000)
    return stats


def test_counters_move(stats: Statistics) -> None:
    value = stats.value
    assert value("core", "rcv_requests") == 3
    assert value("core", "rcv_requests_options") == 2
    assert value("core", "unsupported_methods") == 1
    assert value("core", "rcv_replies") == 2
    assert value("core", "rcv_replies_1xx") == value("core", "rcv_replies_18x") == 1
    assert value("core", "rcv_replies_4xx") == value("core", "rcv_replies_486") == 1
    assert value("core", "rcv_replies_1xx_invite") == value("core", "rcv_replies_4xx_invite") == 1
    # sl counts a code in its own counter when Kamailio has one, else in its class
    assert value("sl", "200_replies") == value("sl", "404_replies") == 1
    assert value("sl", "2xx_replies") == 0 and value("sl", "4xx_replies") == 1
    assert value("sl", "sent_replies") == 3


def test_get_statistics_shapes(stats: Statistics) -> None:
    result = call(stats, "stats.get_statistics", "sl:")["result"]
    assert result[0] == "sl:1xx_replies = 0"
    assert "sl:200_replies = 1" in result and result == sorted(result)
    one = call(stats, "stats.get_statistics", "rcv_requests", "shmem:")["result"]
    assert one == ["core:rcv_requests = 3", "shmem:total_size = 1000"]
    everything = call(stats, "stats.get_statistics", "all")["result"]
    assert everything[0] == "core:bad_URIs_rcvd = 0"  # byte order: 'U' before 'm'
    assert everything.index("core:rcv_replies_18x = 1") < everything.index(
        "core:rcv_replies_1xx = 1")
    assert call(stats, "stats.get_statistics", "nonexist")["result"] == []
    error = call(stats, "stats.get_statistics")["error"]
    assert error == {"code": 400, "message": "Please provide which stats to retrieve"}


def test_fetch_and_fetchn(stats: Statistics) -> None:
    assert call(stats, "stats.fetch", "core:rcv_requests")["result"] == {
        "core.rcv_requests": "3"}
    assert call(stats, "stats.fetchn", "core.rcv_requests", "sl:200_replies")["result"] == {
        "core.rcv_requests": 3, "sl.200_replies": 1}
    fetched = call(stats, "stats.fetch", "sl:")["result"]
    assert list(fetched) == sorted(fetched) and all(isinstance(v, str) for v in fetched.values())


def test_reset_and_clear(stats: Statistics) -> None:
    assert call(stats, "stats.reset_statistics", "sl:")["result"] == {}
    assert stats.value("sl", "sent_replies") == 0
    assert stats.value("core", "rcv_requests") == 3
    cleared = call(stats, "stats.clear_statistics", "core:rcv_requests", "shmem:")["result"]
    assert cleared == ["core:rcv_requests = 3", "shmem:total_size = 1000"]
    assert stats.value("core", "rcv_requests") == 0
    assert stats.value("shmem", "total_size") == 1000  # a gauge is not reset


def test_a_name_is_declared_once() -> None:
    stats = Statistics()
    stats.group("g").counter("n")
    with pytest.raises(ValueError, match="g:n is already declared"):
        stats.group("g").counter("n")
