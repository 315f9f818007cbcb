"""The domain module: rows to local domains, lookups, reload with swap, failed reloads."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from proxy.modules.base import BadRow
from proxy.modules.dbsource import DbSource
from proxy.modules.domain.module import DomainModule
from proxy.modules.domain.table import Attribute, build
from rpc.errors import RpcFault
from tests.modules.support import execute, insert, make_db


def test_did_defaults_to_the_domain_and_lookups_ignore_case() -> None:
    table = build(
        [
            {"id": 1, "domain": "Example.COM", "did": None},
            {"id": 2, "domain": "b.org", "did": "d2"},
        ],
        [],
    )
    assert table.domains == (("Example.COM", "Example.COM"), ("b.org", "d2"))
    assert table.is_local("example.com") and table.is_local("EXAMPLE.com")
    assert table.did_of("B.ORG") == "d2"
    assert not table.is_local("c.org") and not table.is_local("example.com.evil")


def test_ipv6_matches_with_or_without_brackets_in_any_spelling() -> None:
    table = build([{"id": 1, "domain": "[2001:db8::1]", "did": None}], [])
    for host in ("[2001:db8::1]", "2001:db8::1", "[2001:DB8:0::1]"):
        assert table.is_local(host), host
    assert not table.is_local("[2001:db8::2]")


def test_attributes_by_did_with_types() -> None:
    table = build(
        [{"id": 1, "domain": "a.org", "did": "d1"}],
        [
            {"id": 1, "did": "d1", "name": "count", "type": 0, "value": "5"},
            {"id": 2, "did": "d1", "name": "label", "type": 2, "value": "hello"},
        ],
    )
    assert table.attributes("d1") == (Attribute("count", 0, 5), Attribute("label", 2, "hello"))
    assert table.dump() == {
        "domains": [{"domain": "a.org", "did": "d1"}],
        "attributes": [{"did": "d1", "attrs": ["count", "label"]}],
    }


@pytest.mark.parametrize(
    ("domains", "attrs", "words"),
    [
        (
            [{"id": 7, "domain": "bad domain"}],
            [],
            "table domain, row id 7, column domain: 'bad domain'",
        ),
        ([{"id": 8, "domain": ""}], [], "row id 8, column domain"),
        (
            [],
            [{"id": 3, "did": "d", "name": "n", "type": 1, "value": "x"}],
            "row id 3, column type",
        ),
        (
            [],
            [{"id": 4, "did": "d", "name": "n", "type": 0, "value": "abc"}],
            "table domain_attrs, row id 4, column value: 'abc' is not an integer",
        ),
    ],
)
def test_bad_rows_name_table_row_and_column(
    domains: list[dict[str, object]], attrs: list[dict[str, object]], words: str
) -> None:
    with pytest.raises(BadRow) as info:
        build(domains, attrs)
    assert words in str(info.value)


def _module(url: str) -> DomainModule:
    return DomainModule(DbSource(url))


def test_load_reload_and_a_failed_reload_keeps_the_old_data(tmp_path: Path) -> None:
    url = make_db(tmp_path, domain=[{"domain": "a.example.com"}])
    module = _module(url)

    async def scenario() -> None:
        await module.start()
        assert module.is_local("a.example.com") and not module.is_local("b.example.com")
        insert(url, "domain", [{"domain": "b.example.com", "did": "b"}])
        assert await module.rpc_reload() == {}
        assert module.is_local("b.example.com")
        assert module.lookup("B.example.com") == ("b", ())
        before = module.rpc_dump()
        insert(url, "domain", [{"domain": "bad..example.com"}])
        with pytest.raises(RpcFault) as info:
            await module.rpc_reload()
        assert info.value.code == 400
        assert info.value.message.startswith(
            "Reload of domain tables failed: table domain, row id 3"
        )
        assert "column domain" in info.value.message
        assert module.rpc_dump() == before  # the old data is still there
        assert module.is_local("b.example.com")
        execute(url, "DELETE FROM domain WHERE id = 3")
        await module.rpc_reload()
        assert module.data.last_error == ""

    asyncio.run(scenario())


def test_concurrent_reloads_are_serialised_and_all_succeed(tmp_path: Path) -> None:
    url = make_db(tmp_path, domain=[{"domain": "a.example.com"}])
    module = _module(url)

    async def scenario() -> None:
        await module.start()
        insert(url, "domain", [{"domain": "c.example.com"}])
        results = await asyncio.gather(*(module.rpc_reload() for _ in range(5)))
        assert results == [{}] * 5
        assert module.is_local("c.example.com")

    asyncio.run(scenario())


def test_before_any_load_the_cache_is_empty_and_nothing_is_local(tmp_path: Path) -> None:
    module = _module(f"sqlite:///{tmp_path / 'missing.sqlite'}")

    async def scenario() -> None:
        await module.start()  # logs, does not raise
        assert not module.is_local("example.com") and module.lookup("example.com") is None
        with pytest.raises(RpcFault) as dump:
            module.rpc_dump()
        assert (dump.value.code, dump.value.message) == (404, "Server Domain Cache Empty")
        with pytest.raises(RpcFault) as reload:
            await module.rpc_reload()
        assert "missing.sqlite does not exist" in reload.value.message

    asyncio.run(scenario())


def test_an_empty_table_dumps_empty_lists_as_kamailio(tmp_path: Path) -> None:
    module = _module(make_db(tmp_path))
    asyncio.run(module.start())
    assert module.rpc_dump() == {"domains": [], "attributes": []}  # kamctl capture 18


def test_a_table_missing_from_the_database_is_named(tmp_path: Path) -> None:
    url = make_db(tmp_path)
    execute(url, "DROP TABLE domain_attrs")
    module = _module(url)
    with pytest.raises(RpcFault) as info:
        asyncio.run(module.rpc_reload())
    assert "domain_attrs" in info.value.message and "kamctl db create" in info.value.message
