"""The same tables loaded by a real Kamailio 5.6 and by kamproxy answer alike.

kamctl adds a row to each table of the Kamailio peer (which it then asks to reload),
more rows go in with sqlite3, and a kamproxy reads a copy of the same database. The
RPC-only commands (reload, domain show, address dump, dispatcher dump) and the RPCs
behind them must give the same data from both, in Kamailio's shapes; ordering may
differ (Kamailio lists in hash-table order), so lists are compared sorted.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rpc.client import connect
from rpc.errors import RemoteError
from tests.modules.conftest import kamctl
from tests.storage.support import Result
from tests.support.kamailio import KamailioPeer
from tests.support.proxy import KamproxyProcess

pytestmark = pytest.mark.kamailio

DOMAINS = [("Tenant.Example.ORG", "t1")]
DOMAIN_ATTRS = [("t1", "a1", 0, "5"), ("t1", "a2", 2, "x")]
ADDRESSES = [
    ("10.0.0.0", 1, 24, 5060, None),
    ("::1", 2, 128, 0, "v6"),
    ("2001:db8::", 2, 32, 0, None),
]
DESTINATIONS = [
    (1, "sip:127.0.0.1:5081", 8, 5, "weight=50;duid=gw2"),
    (2, "sip:127.0.0.1:5082", 1, 0, ""),
    (2, "sip:127.0.0.1:5083", 4, 1, ""),
]


def _fill(db_file: Path) -> None:
    with sqlite3.connect(db_file) as conn:
        conn.executemany("INSERT INTO domain (domain, did) VALUES (?, ?)", DOMAINS)
        conn.executemany(
            "INSERT INTO domain_attrs (did, name, type, value) VALUES (?, ?, ?, ?)", DOMAIN_ATTRS
        )
        conn.executemany(
            "INSERT INTO address (ip_addr, grp, mask, port, tag) VALUES (?, ?, ?, ?, ?)", ADDRESSES
        )
        conn.executemany(
            "INSERT INTO dispatcher (setid, destination, flags, priority, attrs) "
            "VALUES (?, ?, ?, ?, ?)",
            DESTINATIONS,
        )


def _reload(server: str, group: str, home: Path) -> Result:
    """``kamctl GROUP reload``, again while Kamailio says its last reload is too recent."""
    deadline = time.monotonic() + 12
    while True:
        done = kamctl([group, "reload"], home=home, server=server)
        if "ngoing reload" not in done.stderr or time.monotonic() > deadline:
            return done
        time.sleep(0.5)


class Both:
    def __init__(self, peer: KamailioPeer, proxy: KamproxyProcess, home: Path) -> None:
        self.kamailio = f"unix:{peer.sock}"
        self.kamproxy = f"unix:{proxy.sock}"
        self.home = home

    def listing(self, *args: str) -> tuple[Any, Any]:
        results = []
        for server in (self.kamailio, self.kamproxy):
            done = kamctl([*args, "-F", "json"], home=self.home, server=server)
            assert done.code == 0, (server, done.output)
            results.append(json.loads(done.stdout))
        return results[0], results[1]

    def call(self, method: str, *params: Any) -> tuple[Any, Any]:
        results = []
        for server in (self.kamailio, self.kamproxy):
            with connect(server, timeout=5) as client:
                try:
                    results.append(client.call(method, *params))
                except RemoteError as exc:
                    results.append((exc.code, exc.message))
        return results[0], results[1]


@pytest.fixture(scope="module")
def both(kamailio_peer: KamailioPeer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Both]:
    base = tmp_path_factory.mktemp("kp")
    home = base / "home"
    home.mkdir()
    peer = f"unix:{kamailio_peer.sock}"
    db = kamailio_peer.db_url
    # kamctl writes one row of each table and asks Kamailio to reload it
    for args in (
        ["domain", "add", "example.com"],
        ["address", "add", "1", "127.0.0.1", "32", "0", "test"],
        ["dispatcher", "add", "1", "sip:127.0.0.1:5080", "0", "0", "", "first"],
    ):
        done = kamctl(args, home=home, db=db, server=peer)
        assert done.code == 0, done.output
        assert "the proxy reloaded" in done.stdout or "so soon after its last reload" in done.stderr
    _fill(kamailio_peer.db_path)
    for group in ("domain", "address", "dispatcher"):
        done = _reload(peer, group, home)
        assert done.code == 0, done.output
    copy = base / "copy.sqlite"
    with sqlite3.connect(kamailio_peer.db_path) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)  # with its WAL: a file copy could miss the last writes
    proxy = KamproxyProcess(base, args=["--db", f"sqlite:///{copy}"], http=False).start()
    try:
        yield Both(kamailio_peer, proxy, home)
    finally:
        proxy.stop()


def _by(key: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: json.dumps(item.get(key), sort_keys=True))


def test_domain_show(both: Both) -> None:
    theirs, ours = both.listing("domain", "show")
    for rows in (theirs, ours):
        for row in rows:
            row["attributes"] = sorted(row["attributes"])
    assert _by("domain", ours) == _by("domain", theirs)
    assert {r["domain"] for r in ours} == {"example.com", "Tenant.Example.ORG"}


def test_domain_dump_rpc(both: Both) -> None:
    theirs, ours = both.call("domain.dump")
    assert set(ours) == set(theirs) == {"domains", "attributes"}
    assert _by("domain", ours["domains"]) == _by("domain", theirs["domains"])
    for doc in (theirs, ours):
        for entry in doc["attributes"]:
            entry["attrs"] = sorted(entry["attrs"])
    assert _by("did", ours["attributes"]) == _by("did", theirs["attributes"])


def test_address_dump(both: Both) -> None:
    theirs, ours = both.listing("address", "dump")
    assert _by("ip", ours) == _by("ip", theirs)
    assert len(ours) == 4


@pytest.mark.parametrize(
    ("method", "index"), [("permissions.addressDump", "table"), ("permissions.subnetDump", "id")]
)
def test_address_rpcs(both: Both, method: str, index: str) -> None:
    theirs, ours = both.call(method)
    for doc in (theirs, ours):
        for entry in doc:
            assert isinstance(entry.pop(index), int)
    assert _by("item", ours) == _by("item", theirs)


def test_dispatcher_dump(both: Both) -> None:
    theirs, ours = both.listing("dispatcher", "dump")
    assert _by("uri", ours) == _by("uri", theirs)
    assert {r["flags"] for r in ours} == {"AX", "AP", "IX", "DX"}


def test_dispatcher_list_rpc(both: Both) -> None:
    theirs, ours = both.call("dispatcher.list")
    assert ours["NRSETS"] == theirs["NRSETS"] == 2

    def dests(doc: dict[str, Any]) -> dict[tuple[int, str], dict[str, Any]]:
        return {
            (record["SET"]["ID"], target["DEST"]["URI"]): target["DEST"]
            for record in doc["RECORDS"]
            for target in record["SET"]["TARGETS"]
        }

    assert dests(ours) == dests(theirs)  # every key and value, ATTRS included
    priorities = [t["DEST"]["PRIORITY"] for t in ours["RECORDS"][1]["SET"]["TARGETS"]]
    assert priorities == sorted(priorities, reverse=True)


@pytest.mark.parametrize(
    "params",
    [
        ("x", 1, "all"),
        ("", 1, "all"),
        ("a", 9, "sip:127.0.0.1:5080"),
        ("a", 1, "sip:127.0.0.1:9999"),
        ("a", 1),
    ],
    ids=["unknown-state", "empty-state", "unknown-set", "unknown-address", "missing-address"],
)
def test_set_state_faults(both: Both, params: tuple[Any, ...]) -> None:
    theirs, ours = both.call("dispatcher.set_state", *params)
    assert isinstance(theirs, tuple) and ours == theirs


def test_set_state_all_of_an_unknown_set_is_not_a_fault(both: Both) -> None:
    theirs, ours = both.call("dispatcher.set_state", "a", 9, "all")
    assert ours == theirs == "Ok. Dispatcher state updated."


def test_set_state_changes_the_flags_alike(both: Both) -> None:
    for server in (both.kamailio, both.kamproxy):
        with connect(server, timeout=5) as client:
            assert client.call("dispatcher.set_state", "ip", 1, "sip:127.0.0.1:5080") == (
                "Ok. Dispatcher state updated."
            )
    theirs, ours = both.listing("dispatcher", "dump")
    flags = {r["uri"]: r["flags"] for r in ours}
    assert flags == {r["uri"]: r["flags"] for r in theirs}
    assert flags["sip:127.0.0.1:5080"] == "IP"
    for server in (both.kamailio, both.kamproxy):
        with connect(server, timeout=5) as client:
            client.call("dispatcher.set_state", "a", 1, "sip:127.0.0.1:5080")
