"""The dispatcher module: loading sets, reloads, dispatcher.* RPCs and routing functions."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from proxy.modules.base import BadRow
from proxy.modules.dbsource import DbSource
from proxy.modules.dispatcher.destinations import build
from proxy.modules.dispatcher.module import RELOADED, STATE_UPDATED, DispatcherModule
from proxy.modules.dispatcher.select import MessageKeys, UnsupportedAlgorithm
from proxy.modules.dispatcher.state import StateError
from rpc.errors import RpcFault
from tests.modules.support import execute, insert, make_db, params


def dest(
    setid: int, uri: str, flags: int = 0, priority: int = 0, attrs: str = ""
) -> dict[str, Any]:
    return {
        "setid": setid,
        "destination": uri,
        "flags": flags,
        "priority": priority,
        "attrs": attrs,
        "description": "",
    }


ROWS = [
    dest(1, "sip:127.0.0.1:5080"),
    dest(1, "sip:127.0.0.1:5081", flags=8, priority=5, attrs="weight=50;duid=gw2"),
    dest(2, "sip:[::1]:5090;transport=tcp", flags=1),
    dest(2, "sip:gw.example.com", flags=4),
]


def loaded(
    tmp_path: Path, rows: list[dict[str, Any]] = ROWS, **cfg: Any
) -> tuple[DispatcherModule, str]:
    url = make_db(tmp_path, dispatcher=rows)
    module = DispatcherModule(DbSource(url), params(**cfg))
    asyncio.run(module.data.reload())
    return module, url


def test_list_has_kamailios_shape(tmp_path: Path) -> None:
    module, _url = loaded(tmp_path)
    assert module.rpc_list() == {
        "NRSETS": 2,
        "RECORDS": [
            {
                "SET": {
                    "ID": 1,
                    "TARGETS": [
                        {
                            "DEST": {
                                "URI": "sip:127.0.0.1:5081",
                                "FLAGS": "AP",
                                "PRIORITY": 5,
                                "ATTRS": {
                                    "BODY": "weight=50;duid=gw2",
                                    "DUID": "gw2",
                                    "MAXLOAD": 0,
                                    "WEIGHT": 50,
                                    "RWEIGHT": 0,
                                    "SOCKET": None,
                                    "SOCKNAME": None,
                                    "OBPROXY": None,
                                },
                            }
                        },
                        {"DEST": {"URI": "sip:127.0.0.1:5080", "FLAGS": "AX", "PRIORITY": 0}},
                    ],
                }
            },
            {
                "SET": {
                    "ID": 2,
                    "TARGETS": [
                        {
                            "DEST": {
                                "URI": "sip:[::1]:5090;transport=tcp",
                                "FLAGS": "IX",
                                "PRIORITY": 0,
                            }
                        },
                        {"DEST": {"URI": "sip:gw.example.com", "FLAGS": "DX", "PRIORITY": 0}},
                    ],
                }
            },
        ],
    }


def test_full_listing_adds_the_address_details(tmp_path: Path) -> None:
    module, _url = loaded(tmp_path)
    targets = module.rpc_list("full")["RECORDS"][1]["SET"]["TARGETS"]
    first = targets[0]["DEST"]
    assert {k: first[k] for k in ("HOST", "IPADDR", "PORT", "PROTOID")} == {
        "HOST": "::1",
        "IPADDR": "::1",
        "PORT": 5090,
        "PROTOID": 2,
    }
    assert targets[1]["DEST"]["IPADDR"] == "" and targets[1]["DEST"]["PORT"] == 5060


def test_no_sets_is_kamailios_fault(tmp_path: Path) -> None:
    module, _url = loaded(tmp_path, rows=[])
    with pytest.raises(RpcFault) as info:
        module.rpc_list()
    assert (info.value.code, info.value.message) == (500, "No Destination Sets")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ip", 1), "Invalid Parameters"),
        ((None, 1, "all"), "Invalid Parameters"),
        (("ip", "x", "all"), "Invalid Parameters"),
        (("", 1, "all"), "Invalid State Parameter"),
        (("x", 1, "all"), "Unknown State Value"),
        (("a", 9, "sip:127.0.0.1:5080"), "State Update Failed"),
        (("a", 1, "sip:127.0.0.1:9999"), "State Update Failed"),
        (("a", 1, "127.0.0.1:5080"), "State Update Failed"),  # URIs are compared as written
    ],
)
def test_set_state_faults_are_kamailios(
    tmp_path: Path, args: tuple[Any, ...], message: str
) -> None:
    module, _url = loaded(tmp_path)
    with pytest.raises(RpcFault) as info:
        module.rpc_set_state(*args)
    assert (info.value.code, info.value.message) == (500, message)


def _flags(module: DispatcherModule, setid: int) -> dict[str, str]:
    data = module.data.current
    assert data is not None
    dest_set = data.get(setid)
    assert dest_set is not None
    return {d.uri: d.live.letters() for d in dest_set.destinations}


def test_set_state_one_address_or_all(tmp_path: Path) -> None:
    module, _url = loaded(tmp_path)
    assert module.rpc_set_state("ip", 1, "sip:127.0.0.1:5080") == STATE_UPDATED
    assert _flags(module, 1)["sip:127.0.0.1:5080"] == "IP"
    assert module.rpc_set_state(1, "1", "all") == STATE_UPDATED  # numbers as kamcmd sends them
    assert set(_flags(module, 1).values()) == {"AX"}
    assert module.rpc_set_state("tp", 2, "all") == STATE_UPDATED
    assert set(_flags(module, 2).values()) == {"TP"}
    assert module.rpc_set_state("a", 9, "all") == STATE_UPDATED  # as Kamailio: no such set


def test_reload_keeps_live_states_unless_the_flags_changed(tmp_path: Path) -> None:
    module, url = loaded(tmp_path)
    module.rpc_set_state("i", 1, "sip:127.0.0.1:5080")
    module.rpc_set_state("i", 1, "sip:127.0.0.1:5081")
    execute(url, "UPDATE dispatcher SET flags = 0 WHERE destination = 'sip:127.0.0.1:5081'")
    assert asyncio.run(module.rpc_reload()) == RELOADED
    assert _flags(module, 1) == {"sip:127.0.0.1:5080": "IX", "sip:127.0.0.1:5081": "AX"}


def test_failed_reload_keeps_the_old_sets_and_says_why(tmp_path: Path) -> None:
    module, url = loaded(tmp_path)
    before = module.rpc_list()
    insert(url, "dispatcher", [dest(3, "sip:10.0.0.1", attrs="weight=abc")])
    with pytest.raises(RpcFault) as info:
        asyncio.run(module.rpc_reload())
    assert info.value.code == 500
    assert info.value.message == (
        "Reload Failed: table dispatcher, row id 5, column attrs: 'weight=abc' has a bad "
        "attribute: weight='abc' must be a whole number 0..100"
    )
    assert module.rpc_list() == before
    assert module.data.last_error.startswith("table dispatcher, row id 5")


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (dest(1, "nonsense"), "column destination: 'nonsense' is not a SIP URI"),
        (dest(1, "tel:+123"), "must be a sip: or sips: URI"),
        (dest(1, "sip:a.b", flags=64), "column flags: 64 is out of range (0..31)"),
        (dest(-1, "sip:a.b"), "column setid"),
        (dest(1, "sip:a.b", attrs="socket=xyz:1.2.3.4"), "socket='xyz:1.2.3.4' must be proto:host"),
        (dest(1, "sip:a.b", attrs="obproxy=nope"), "obproxy='nope' is not a SIP URI"),
        (dest(1, "sip:a.b", attrs="weight"), "'weight' is not name=value"),
    ],
)
def test_bad_rows(row: dict[str, Any], words: str) -> None:
    with pytest.raises(BadRow) as info:
        build([{"id": 9, **row}])
    assert words in str(info.value)


def test_select_mark_and_failover(tmp_path: Path) -> None:
    module, _url = loaded(tmp_path)
    first = [d.uri for d in module.select(1, 8)]
    assert first == ["sip:127.0.0.1:5081", "sip:127.0.0.1:5080"]
    assert module.mark(1, "sip:127.0.0.1:5081")  # a relay failed: inactive + probing
    assert [d.uri for d in module.select(1, 8)] == ["sip:127.0.0.1:5080"]
    assert module.rpc_list()["RECORDS"][0]["SET"]["TARGETS"][0]["DEST"]["FLAGS"] == "IP"
    assert module.mark(1, "sip:127.0.0.1:5081", "a")
    assert len(module.select(1, 4, MessageKeys(call_id="x"), limit=1)) == 1
    assert not module.mark(1, "sip:nobody")
    with pytest.raises(StateError):
        module.mark(1, "sip:127.0.0.1:5081", "z")
    assert module.select(7, 8) == [] and not module.has_set(7) and module.has_set(1)
    with pytest.raises(UnsupportedAlgorithm):
        module.select(7, 10)


def test_is_from(tmp_path: Path) -> None:
    module, _url = loaded(tmp_path)
    assert module.is_from("127.0.0.1") == 1
    assert module.is_from("127.0.0.1", 5081) == 1
    assert module.is_from("127.0.0.1", 5999) is None
    assert module.is_from("::1", 5090, setid=2) == 2
    assert module.is_from("::1", setid=1) is None
    assert module.is_from("192.0.2.1") is None


def test_before_a_load_nothing_is_selected(tmp_path: Path) -> None:
    module = DispatcherModule(DbSource(f"sqlite:///{tmp_path / 'none.sqlite'}"), params())

    async def scenario() -> None:
        await module.start()
        try:
            assert module.select(1, 8) == []
            with pytest.raises(RpcFault) as info:
                module.rpc_list()
            assert info.value.message == "No Destination Sets"
        finally:
            await module.close()

    asyncio.run(scenario())
