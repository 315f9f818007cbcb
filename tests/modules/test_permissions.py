"""The permissions module: the address table, source matching, dumps, reloads."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from proxy.modules.base import BadRow
from proxy.modules.dbsource import DbSource
from proxy.modules.permissions.module import PermissionsModule
from proxy.modules.permissions.table import build
from rpc.errors import RpcFault
from tests.modules.support import execute, insert, make_db


def row(
    row_id: int, grp: int, ip: str, mask: int = 32, port: int = 0, tag: Any = None
) -> dict[str, Any]:
    return {"id": row_id, "grp": grp, "ip_addr": ip, "mask": mask, "port": port, "tag": tag}


ROWS = [
    row(1, 1, "192.0.2.10", tag="pbx"),
    row(2, 1, "192.0.2.11", port=5080, tag="port-5080"),
    row(3, 1, "192.0.2.11", tag="any-port"),
    row(4, 1, "198.51.100.0", 24, tag="net24"),
    row(5, 1, "198.51.100.128", 25, tag="net25"),
    row(6, 2, "2001:db8::1", 128, tag="v6"),
    row(7, 2, "2001:db8:1::", 48, tag="v6net"),
    row(8, 2, "2001:db8:ffff::5"),  # the column's default mask 32: a /32 subnet
    row(9, 3, "gw.example.com", tag="name"),
]


def test_rows_become_addresses_subnets_and_names() -> None:
    table = build(ROWS)
    assert [e.row_id for e in table.singles] == [1, 2, 3, 6]
    assert [e.row_id for e in table.subnets] == [4, 5, 7, 8]
    assert [e.row_id for e in table.names] == [9]
    assert table.groups == [1, 2]


@pytest.mark.parametrize(
    ("group", "ip", "port", "tag"),
    [
        (1, "192.0.2.10", 5060, "pbx"),
        (1, "192.0.2.11", 5080, "port-5080"),  # the exact port wins over port 0
        (1, "192.0.2.11", 9999, "any-port"),
        (1, "198.51.100.200", 5060, "net25"),  # the longest prefix wins
        (1, "198.51.100.5", 5060, "net24"),
        (1, "::ffff:192.0.2.10", 5060, "pbx"),  # IPv4-mapped IPv6 source
        (2, "2001:db8::1", 5060, "v6"),
        (2, "[2001:DB8::1]", 5060, "v6"),
        (2, "2001:db8:1:2::3", 5060, "v6net"),
        (2, "2001:db8:aaaa::1", 5060, None),  # inside the /32 of row 8, tag NULL
        (1, "2001:db8::1", 5060, "miss"),  # another group
        (2, "192.0.2.10", 5060, "miss"),
        (1, "203.0.113.1", 5060, "miss"),
        (3, "gw.example.com", 5060, "miss"),  # names never match
        (1, "not an address", 5060, "miss"),
    ],
)
def test_matching(group: int, ip: str, port: int, tag: str | None) -> None:
    entry = build(ROWS).match(group, ip, port)
    if tag == "miss":
        assert entry is None
    else:
        assert entry is not None and entry.tag == tag


def test_port_specific_entry_does_not_allow_other_ports() -> None:
    table = build([row(1, 1, "192.0.2.1", port=5060)])
    assert table.match(1, "192.0.2.1", 5060) is not None
    assert table.match(1, "192.0.2.1", 5061) is None


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (row(11, 1, "bad ip!"), "row id 11, column ip_addr: 'bad ip!' is neither"),
        (row(12, 1, "192.0.2.999"), "column ip_addr"),
        (row(13, 1, "192.0.2.1", 33), "column mask: 33 is out of range (0..32)"),
        (row(14, 1, "2001:db8::1", 129), "column mask: 129 is out of range (0..128)"),
        (row(15, 1, "192.0.2.1", port=70000), "column port: 70000 is out of range"),
        (row(16, -1, "192.0.2.1"), "column grp: -1 is out of range"),
        (row(17, 1, "[2001:db8::1]", 128), "without brackets"),
    ],
)
def test_bad_rows(bad: dict[str, Any], words: str) -> None:
    with pytest.raises(BadRow) as info:
        build([*ROWS, bad])
    assert words in str(info.value)
    assert str(info.value).startswith("table address, row id")


def test_dumps_have_kamailios_shapes_and_null_tags() -> None:
    table = build(ROWS)
    assert table.address_dump()[0] == {
        "table": 0,
        "group": 1,
        "item": {"ip": "192.0.2.10", "port": 0, "tag": "pbx"},
    }
    null_single = build([row(1, 1, "192.0.2.1")]).address_dump()[0]
    assert null_single["item"]["tag"] == "NULL"  # as permissions.addressDump prints NULL
    subnet = table.subnet_dump()[3]
    assert subnet == {
        "id": 3,
        "group": 2,
        "item": {"ip": "2001:db8:ffff::5", "mask": 32, "port": 0, "tag": ""},
    }
    assert table.name_dump() == [
        {
            "table": 0,
            "group": 3,
            "item": {"domain_name": "gw.example.com", "port": 0, "tag": "name"},
        }
    ]


def test_module_functions_reload_and_failed_reload(tmp_path: Path) -> None:
    url = make_db(tmp_path, address=[{"grp": 1, "ip_addr": "127.0.0.1", "mask": 32, "port": 0}])
    module = PermissionsModule(DbSource(url))

    async def scenario() -> None:
        await module.start()
        assert module.allow_source_address(1, "127.0.0.1", 5060)
        assert not module.allow_source_address(2, "127.0.0.1", 5060)
        assert module.source_group("127.0.0.1", 5060) == 1
        assert module.source_group("127.0.0.2", 5060) == -1
        insert(
            url, "address", [{"grp": 2, "ip_addr": "10.0.0.0", "mask": 8, "port": 0, "tag": "x"}]
        )
        assert await module.rpc_reload() == "Reload OK"
        assert module.allow_address(2, "10.1.2.3")
        assert module.match(2, "10.1.2.3", 0).tag == "x"  # type: ignore[union-attr]
        insert(url, "address", [{"grp": 1, "ip_addr": "10.0.0.1", "mask": 40, "port": 0}])
        with pytest.raises(RpcFault) as info:
            await module.rpc_reload()
        assert (info.value.code, info.value.message) == (
            500,
            "Reload failed: table address, row id 3, column mask: 40 is out of range (0..32)",
        )
        assert module.allow_address(2, "10.1.2.3")  # old data kept
        assert len(module.rpc_subnet_dump()) == 1
        execute(url, "UPDATE address SET mask = 32 WHERE id = 3")
        assert await module.rpc_reload() == "Reload OK"
        assert module.allow_address(1, "10.0.0.1")

    asyncio.run(scenario())


def test_nothing_is_allowed_before_a_load(tmp_path: Path) -> None:
    module = PermissionsModule(DbSource(f"sqlite:///{tmp_path / 'none.sqlite'}"))
    asyncio.run(module.start())
    assert not module.allow_source_address(1, "127.0.0.1", 5060)
    assert module.rpc_address_dump() == [] and module.rpc_subnet_dump() == []
