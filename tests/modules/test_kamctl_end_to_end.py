"""kamctl domain / address / dispatcher against a real kamproxy subprocess and SQLite.

Every command, its output formats, the reload it triggers, reloads that fail on a bad
row (the proxy keeps its data and says which row), and bad input that changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.modules.conftest import Lab, kamctl
from tests.modules.support import db_file, execute
from tests.support.proxy import KamproxyProcess, free_port

NOWHERE = "unix:/nonexistent/kamproxy.sock"


def rows(url: str, table: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_file(url)) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()


def as_json(lab: Lab, *args: str) -> Any:
    done = lab.run(*args, "-F", "json")
    assert done.code == 0, done.output
    return json.loads(done.stdout)


# -- domain --------------------------------------------------------------------------------


def test_domain_add_show_showdb_rm(lab: Lab) -> None:
    assert as_json(lab, "domain", "show") == []
    done = lab.run("domain", "add", "Example.COM")
    assert done.code == 0, done.output
    assert done.stdout == (
        "domain example.com added\nthe proxy reloaded the domain table (domain.reload)\n"
    )
    assert lab.run("domain", "add", "b.example.org", "--did", "tenant-b").code == 0
    assert as_json(lab, "domain", "show") == [
        {"domain": "example.com", "did": "example.com", "attributes": []},
        {"domain": "b.example.org", "did": "tenant-b", "attributes": []},
    ]
    stored = as_json(lab, "domain", "showdb")
    assert [(r["id"], r["domain"], r["did"]) for r in stored] == [
        (1, "example.com", None),
        (2, "b.example.org", "tenant-b"),
    ]
    assert stored[0]["last_modified"][:2] == "20"  # a date, not a Julian day number
    csv = lab.run("domain", "showdb", "-F", "csv").stdout.splitlines()
    assert csv[0] == "id,domain,did,last_modified" and csv[1].startswith("1,example.com,,")
    table = lab.run("domain", "show").stdout
    assert "example.com" in table and "tenant-b" in table and "┃ domain" in table
    done = lab.run("domain", "rm", "EXAMPLE.com")
    assert done.code == 0 and "domain example.com removed" in done.stdout
    assert [r["domain"] for r in as_json(lab, "domain", "show")] == ["b.example.org"]


def test_domain_attributes_are_shown(lab: Lab) -> None:
    lab.run("domain", "add", "a.example.com", "--did", "d1")
    execute(lab.url, "INSERT INTO domain_attrs (did, name, type, value) VALUES ('d1', 'n', 0, '3')")
    assert lab.run("domain", "reload").stdout == (
        "the proxy reloaded the domain tables (domain.reload)\n"
    )
    assert as_json(lab, "domain", "show")[0]["attributes"] == ["n"]
    assert "│ n " in lab.run("domain", "show").stdout or " n " in lab.run("domain", "show").stdout


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["domain", "add", "bad domain"], 2, "bad domain 'bad domain'"),
        (
            ["domain", "add", "a.example.com"],
            1,
            "domain a.example.com is already in the domain table",
        ),
        (["domain", "add", "x.example.com", "--did", "has space"], 2, "bad domain id"),
        (
            ["domain", "rm", "nope.example.com"],
            1,
            "domain nope.example.com is not in the domain table",
        ),
        (["address", "add", "1", "not-an-ip"], 2, "'not-an-ip' is not an IP address"),
        (
            ["address", "add", "1", "192.0.2.1", "33"],
            2,
            "mask 33 is out of range for 192.0.2.1 (0..32)",
        ),
        (["address", "add", "1", "192.0.2.1/24", "16"], 2, "two different masks"),
        (["address", "add", "1", "192.0.2.1", "32", "70000"], 2, "70000 is not in the range"),
        (["address", "add", "x", "192.0.2.1"], 2, "'x' is not a valid integer"),
        (["address", "add", "1", "127.0.0.1"], 1, "group 1 already has 127.0.0.1/32 port 0"),
        (["address", "rm", "2", "127.0.0.1"], 1, "group 2 has no 127.0.0.1"),
        (
            ["dispatcher", "add", "1", "sip:bad uri"],
            2,
            "destination 'sip:bad uri' is not a SIP URI",
        ),
        (["dispatcher", "add", "1", "http://x"], 2, "is not a SIP URI"),
        (
            ["dispatcher", "add", "1", "sip:a.example.com", "64"],
            2,
            "64 is not in the range 0<=x<=31",
        ),
        (
            ["dispatcher", "add", "1", "sip:a.b", "0", "0", "weight=x"],
            2,
            "weight='x' must be a whole",
        ),
        (
            ["dispatcher", "add", "1", "sip:127.0.0.1:5080"],
            1,
            "set 1 already has sip:127.0.0.1:5080",
        ),
        (["dispatcher", "rm", "99"], 1, "no row with id 99 in the dispatcher table"),
    ],
)
def test_bad_input_and_conflicts_change_nothing(
    lab: Lab, args: list[str], code: int, words: str
) -> None:
    lab.run("domain", "add", "a.example.com")
    lab.run("address", "add", "1", "127.0.0.1")
    lab.run("dispatcher", "add", "1", "sip:127.0.0.1:5080")
    before = {t: rows(lab.url, t) for t in ("domain", "address", "dispatcher")}
    done = lab.run(*args)
    assert done.code == code, done.output
    assert words in done.stderr, done.output
    assert {t: rows(lab.url, t) for t in ("domain", "address", "dispatcher")} == before


# -- address -------------------------------------------------------------------------------


def test_address_add_show_dump_rm(lab: Lab) -> None:
    done = lab.run("address", "add", "1", "127.0.0.1", "32", "0", "test")
    assert done.stdout == (
        "address 127.0.0.1 port 0 added to group 1\n"
        "the proxy reloaded the address table (permissions.addressReload)\n"
    )
    lab.run("address", "add", "1", "10.0.0.0/24")
    lab.run("address", "add", "2", "2001:DB8::1", "128", "5060")
    assert rows(lab.url, "address") == [
        (1, 1, "127.0.0.1", 32, 0, "test"),
        (2, 1, "10.0.0.0", 24, 0, None),
        (3, 2, "2001:db8::1", 128, 5060, None),
    ]
    assert as_json(lab, "address", "dump") == [
        {"group": 1, "ip": "127.0.0.1", "mask": 32, "port": 0, "tag": "test"},
        {"group": 2, "ip": "2001:db8::1", "mask": 128, "port": 5060, "tag": None},
        {"group": 1, "ip": "10.0.0.0", "mask": 24, "port": 0, "tag": None},
    ]
    assert [r["ip_addr"] for r in as_json(lab, "address", "show")] == [
        "127.0.0.1",
        "10.0.0.0",
        "2001:db8::1",
    ]
    assert lab.run("address", "show", "-F", "csv").stdout.splitlines()[:2] == [
        "id,grp,ip_addr,mask,port,tag",
        "1,1,127.0.0.1,32,0,test",
    ]
    done = lab.run("address", "rm", "1", "10.0.0.0")
    assert done.code == 0 and "removed 1 row(s) of 10.0.0.0 from group 1" in done.stdout
    assert [r["ip"] for r in as_json(lab, "address", "dump")] == ["127.0.0.1", "2001:db8::1"]
    assert lab.run("address", "reload").code == 0


# -- dispatcher ----------------------------------------------------------------------------


def test_dispatcher_add_show_dump_rm(lab: Lab) -> None:
    assert lab.run("dispatcher", "dump").stderr == "the proxy has no destination sets\n"
    assert as_json(lab, "dispatcher", "dump") == []
    done = lab.run("dispatcher", "add", "1", "sip:127.0.0.1:5080", "0", "0", "", "desc")
    assert done.stdout == (
        "destination sip:127.0.0.1:5080 added to set 1 (id 1)\n"
        "the proxy reloaded the dispatcher table (dispatcher.reload)\n"
    )
    lab.run("dispatcher", "add", "1", "sip:127.0.0.1:5081", "8", "5", "weight=50;duid=gw2")
    lab.run("dispatcher", "add", "2", "sips:gw.example.com;transport=tcp", "4")
    assert as_json(lab, "dispatcher", "dump") == [
        {
            "setid": 1,
            "uri": "sip:127.0.0.1:5081",
            "flags": "AP",
            "priority": 5,
            "attrs": "weight=50;duid=gw2",
        },
        {"setid": 1, "uri": "sip:127.0.0.1:5080", "flags": "AX", "priority": 0, "attrs": ""},
        {
            "setid": 2,
            "uri": "sips:gw.example.com;transport=tcp",
            "flags": "DX",
            "priority": 0,
            "attrs": "",
        },
    ]
    shown = as_json(lab, "dispatcher", "show")
    assert shown[0] == {
        "id": 1,
        "setid": 1,
        "destination": "sip:127.0.0.1:5080",
        "flags": 0,
        "priority": 0,
        "attrs": "",
        "description": "desc",
    }
    assert "sip:127.0.0.1:5081" in lab.run("dispatcher", "show").stdout
    done = lab.run("dispatcher", "rm", "1")
    assert (
        done.code == 0 and "destination sip:127.0.0.1:5080 (id 1) removed from set 1" in done.stdout
    )
    assert [r["uri"] for r in as_json(lab, "dispatcher", "dump")] == [
        "sip:127.0.0.1:5081",
        "sips:gw.example.com;transport=tcp",
    ]
    assert lab.run("dispatcher", "reload").stdout == (
        "the proxy reloaded the destination sets (dispatcher.reload)\n"
    )


# -- reloads that fail ---------------------------------------------------------------------

FAILING = [
    (
        "domain",
        ["domain", "add", "a.example.com"],
        "INSERT INTO domain (domain) VALUES ('bad domain')",
        "error: 400 - Reload of domain tables failed: table domain, row id 2, column domain: "
        "'bad domain'",
        ["domain", "show"],
        ["domain", "add", "b.example.com"],
        "DELETE FROM domain WHERE id = 2",
    ),
    (
        "address",
        ["address", "add", "1", "127.0.0.1"],
        "INSERT INTO address (grp, ip_addr, mask, port) VALUES (1, '10.0.0.1', 40, 0)",
        "error: 500 - Reload failed: table address, row id 2, column mask: 40 is out of range "
        "(0..32)",
        ["address", "dump"],
        ["address", "add", "1", "127.0.0.2"],
        "UPDATE address SET mask = 32 WHERE id = 2",
    ),
    (
        "dispatcher",
        ["dispatcher", "add", "1", "sip:127.0.0.1:5080"],
        "INSERT INTO dispatcher (setid, destination) VALUES (1, 'nonsense')",
        "error: 500 - Reload Failed: table dispatcher, row id 2, column destination: "
        "'nonsense' is not a SIP URI",
        ["dispatcher", "dump"],
        ["dispatcher", "add", "1", "sip:127.0.0.1:5081"],
        "DELETE FROM dispatcher WHERE id = 2",
    ),
]


@pytest.mark.parametrize(
    ("group", "good", "bad_sql", "fault", "dump", "another", "fix"),
    FAILING,
    ids=[case[0] for case in FAILING],
)
def test_a_reload_that_fails_keeps_the_old_data_and_says_which_row(
    lab: Lab,
    group: str,
    good: list[str],
    bad_sql: str,
    fault: str,
    dump: list[str],
    another: list[str],
    fix: str,
) -> None:
    assert lab.run(*good).code == 0
    loaded = as_json(lab, *dump)
    assert len(loaded) == 1
    execute(lab.url, bad_sql)  # a bad row, as a careless SQL script would leave it
    done = lab.run(group, "reload")
    assert done.code == 1
    assert done.stderr.startswith(fault), done.stderr
    assert as_json(lab, *dump) == loaded  # the proxy kept what it had
    assert "reloading the" in lab.proxy.log() and "old data kept" in lab.proxy.log()
    done = lab.run(*another)  # the row is stored, the proxy's reload fails: exit 1
    assert done.code == 1
    assert "changed in the database, but the proxy's reload failed" in done.stderr
    assert as_json(lab, *dump) == loaded
    execute(lab.url, fix)
    assert lab.run(group, "reload").code == 0
    assert len(as_json(lab, *dump)) == 3 if group == "address" else 2


# -- no proxy, no database -----------------------------------------------------------------


def test_without_a_proxy_the_table_still_changes_and_kamctl_says_how_to_reload(
    lab: Lab,
) -> None:
    for args, group in (
        (["domain", "add", "a.example.com"], "domain"),
        (["address", "add", "1", "192.0.2.1"], "address"),
        (["dispatcher", "add", "1", "sip:192.0.2.1"], "dispatcher"),
    ):
        done = lab.run(*args, server=NOWHERE)
        assert done.code == 0, done.output
        assert f"run `kamctl {group} reload` when it runs" in done.stderr
    assert len(rows(lab.url, "domain")) == len(rows(lab.url, "dispatcher")) == 1
    done = lab.run("domain", "show", server=NOWHERE)
    assert done.code == 3 and "does not exist" in done.stderr
    assert as_json(lab, "domain", "show") == []  # the running proxy was not told
    assert lab.run("domain", "reload").code == 0
    assert [r["domain"] for r in as_json(lab, "domain", "show")] == ["a.example.com"]


def test_kamproxy_starts_without_its_database_and_loads_it_later(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    base = tmp_path_factory.mktemp("kp")
    url = f"sqlite:///{base / 'later.sqlite'}"
    proxy = KamproxyProcess(base, args=["--db", url], http=False).start()
    try:
        log = proxy.log()
        assert log.count("WARNING") == 1, log
        assert "no domains, address permissions or dispatcher sets loaded" in log
        assert "later.sqlite does not exist" in log
        assert not Path(url.removeprefix("sqlite:///")).exists()  # kamproxy never creates it
        home = base / "home"
        home.mkdir()
        server = f"unix:{proxy.sock}"
        shown = kamctl(["domain", "show"], home=home, db=url, server=server)
        assert shown.code == 0 and "has not loaded its domain table" in shown.stderr
        done = kamctl(["domain", "add", "example.com"], home=home, db=url, server=server)
        assert done.code == 0, done.output
        assert "kamctl: created the database" in done.stderr
        assert "the proxy reloaded the domain table" in done.stdout
        shown = kamctl(["domain", "show", "-F", "json"], home=home, db=url, server=server)
        assert json.loads(shown.stdout)[0]["domain"] == "example.com"
    finally:
        proxy.stop()


def test_kamproxy_starts_when_its_database_server_is_down(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    base = tmp_path_factory.mktemp("kp")
    url = f"postgres://kamailio:secret@127.0.0.1:{free_port()}/kamailio"
    proxy = KamproxyProcess(base, args=["--db", url], http=False).start()
    try:
        log = proxy.log()
        assert "cannot read domains, address permissions or dispatcher sets" in log
        assert "secret" not in log
        home = base / "home"
        home.mkdir()
        done = kamctl(["dispatcher", "reload"], home=home, server=f"unix:{proxy.sock}")
        assert done.code == 1
        assert done.stderr.startswith("error: 500 - Reload Failed: ")
        assert "127.0.0.1" in done.stderr and "secret" not in done.stderr
        done = kamctl(["dispatcher", "dump"], home=home, server=f"unix:{proxy.sock}")
        assert done.code == 0 and done.stderr == "the proxy has no destination sets\n"
    finally:
        proxy.stop()
