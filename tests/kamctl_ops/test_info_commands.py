"""ps, uptime, version, stats and srv against a real kamproxy: each output format."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator

import pytest

from tests.kamctl_ops.support import Kamctl
from tests.support.proxy import KamproxyProcess

ALIAS = "sip.example.com"


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KamproxyProcess]:
    base = tmp_path_factory.mktemp("kpi")
    proc = KamproxyProcess(base, args=["--alias", ALIAS, "--db", f"sqlite:///{base}/k.sqlite"])
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def at(proxy: KamproxyProcess) -> list[str]:
    return ["-s", f"unix:{proxy.sock}"]


def _pid(proxy: KamproxyProcess) -> int:
    assert proxy.proc is not None
    return proxy.proc.pid


def test_ps_formats(kamctl: Kamctl, at: list[str], proxy: KamproxyProcess) -> None:
    code, rows = kamctl.json(*at, "ps")
    assert code == 0
    assert rows[0] == {"idx": 0, "pid": _pid(proxy), "description": "main process - attendant"}
    assert {r["pid"] for r in rows} == {_pid(proxy)}
    assert any("JSONRPCS FIFO" in r["description"] for r in rows)
    table = kamctl(*at, "ps")
    assert table.returncode == 0 and "main process - attendant" in table.stdout
    assert "description" in table.stdout.splitlines()[1]  # the header row of the table
    done = kamctl(*at, "ps", "-F", "csv")
    parsed = list(csv.DictReader(io.StringIO(done.stdout)))
    assert parsed[0]["pid"] == str(_pid(proxy)) and len(parsed) == len(rows)


def test_uptime_formats(kamctl: Kamctl, at: list[str]) -> None:
    code, doc = kamctl.json(*at, "uptime")
    assert code == 0 and set(doc) == {"now", "up_since", "uptime"}
    assert isinstance(doc["uptime"], int) and doc["uptime"] >= 0
    text = kamctl(*at, "uptime").stdout.splitlines()
    assert text[0].startswith("Now: ") and text[1].startswith("Up since: ")
    assert re.fullmatch(r"Uptime: \d+ s \((\d+[dhm] )*\d+s\)", text[2]), text[2]
    assert "up_since" in kamctl(*at, "uptime", "-F", "table").stdout


def test_version_ours_and_the_servers(kamctl: Kamctl, at: list[str]) -> None:
    from importlib.metadata import version

    done = kamctl(*at, "version")
    assert done.returncode == 0
    assert done.stdout.splitlines()[0] == f"kamctl {version('kamctl')}"
    assert done.stdout.splitlines()[1].startswith("server: kamproxy ")
    code, doc = kamctl.json(*at, "version")
    assert code == 0 and doc["kamctl"] == version("kamctl")
    assert doc["server"].startswith("kamproxy ") and doc["address"] == at[1]


def test_version_without_a_server(kamctl: Kamctl, short_dir: object) -> None:
    done = kamctl("-s", f"unix:{short_dir}/none.sock", "version")
    assert done.returncode == 3
    assert done.stdout.startswith("kamctl ") and "server:" not in done.stdout
    assert "does not exist" in done.stderr
    code, doc = kamctl.json("-s", f"unix:{short_dir}/none.sock", "version")
    assert code == 3 and doc["server"] is None and "does not exist" in doc["error"]


def test_stats_all_and_by_group(kamctl: Kamctl, at: list[str]) -> None:
    code, rows = kamctl.json(*at, "stats")
    assert code == 0
    groups = {r["group"] for r in rows}
    assert {"core", "shmem", "sl"} <= groups
    received = [r for r in rows if (r["group"], r["name"]) == ("core", "rcv_requests")]
    assert len(received) == 1 and isinstance(received[0]["value"], int)
    code, core = kamctl.json(*at, "stats", "core")
    assert code == 0 and core and {r["group"] for r in core} == {"core"}
    code, two = kamctl.json(*at, "stats", "core", "shmem")
    assert {r["group"] for r in two} == {"core", "shmem"}
    text = kamctl(*at, "stats", "shmem", "-F", "text").stdout.splitlines()
    assert text and all(line.startswith("shmem:") and " = " in line for line in text)
    table = kamctl(*at, "stats", "sl").stdout
    assert "sent_replies" in table and "group" in table
    lines = kamctl(*at, "stats", "core", "-F", "csv").stdout.splitlines()
    assert lines[0] == "group,name,value" and lines[1].startswith("core,")


def test_stats_of_one_statistic(kamctl: Kamctl, at: list[str]) -> None:
    code, rows = kamctl.json(*at, "stats", "core:rcv_requests")
    assert code == 0 and [r["name"] for r in rows] == ["rcv_requests"]


def test_stats_unknown_group_says_so(kamctl: Kamctl, at: list[str]) -> None:
    done = kamctl(*at, "stats", "nosuchgroup")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "kamctl: no statistics match nosuchgroup\n"


def test_bad_output_format_is_a_usage_error(kamctl: Kamctl, at: list[str]) -> None:
    done = kamctl(*at, "stats", "-F", "yaml")
    assert done.returncode == 2 and "yaml" in done.stderr


def test_srv_sockets(kamctl: Kamctl, at: list[str], proxy: KamproxyProcess) -> None:
    code, rows = kamctl.json(*at, "srv", "sockets")
    assert code == 0
    assert {(r["proto"], r["address"], r["port"]) for r in rows} == {
        ("udp", "127.0.0.1", proxy.sip_port),
        ("tcp", "127.0.0.1", proxy.sip_port),
    }
    assert set(rows[0]) == {
        "proto", "name", "address", "port", "advertise", "mcast", "mhomed", "virtual", "sockname"
    }
    lines = kamctl(*at, "srv", "sockets", "-F", "csv").stdout.splitlines()
    assert lines[0].startswith("proto,name,address,port") and len(lines) == 3
    assert str(proxy.sip_port) in kamctl(*at, "srv", "sockets").stdout


def test_srv_aliases(kamctl: Kamctl, at: list[str]) -> None:
    code, rows = kamctl.json(*at, "srv", "aliases")
    assert code == 0 and [r["address"] for r in rows] == [ALIAS]
    assert ALIAS in kamctl(*at, "srv", "aliases").stdout


def test_srv_rpclist_modules_version(kamctl: Kamctl, at: list[str]) -> None:
    code, methods = kamctl.json(*at, "srv", "rpclist")
    names = [m["method"] for m in methods]
    assert code == 0 and "core.uptime" in names and "stats.get_statistics" in names
    text = kamctl(*at, "srv", "rpclist", "-F", "text").stdout.split()
    assert text == names
    code, modules = kamctl.json(*at, "srv", "modules")
    assert code == 0 and {"jsonrpcs", "corex", "kex", "sl"} <= {m["module"] for m in modules}
    assert kamctl(*at, "srv", "version").stdout.startswith("kamproxy ")
    code, doc = kamctl.json(*at, "srv", "version")
    assert code == 0 and doc["server"].startswith("kamproxy ")


def test_json_is_parseable_over_http_too(kamctl: Kamctl, proxy: KamproxyProcess) -> None:
    done = kamctl("-s", proxy.http_url, "srv", "sockets", "-F", "json")
    assert done.returncode == 0 and json.loads(done.stdout)
