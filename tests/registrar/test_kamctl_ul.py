"""kamctl ul show|add|rm and kamctl online against a running kamproxy (and the errors)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.registrar.e2e import DOMAIN, rpc, start_proxy
from tests.storage.support import NO_PROXY, Result, kamctl, scrubbed_env
from tests.support.kamailio import KamailioPeer
from tests.support.proxy import ROOT, KamproxyProcess


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[KamproxyProcess]:
    from proxy.storage import admin
    from proxy.storage.url import parse_url

    url = f"sqlite:///{tmp_path}/kamailio.sqlite"
    admin.create(parse_url(url))
    proc = start_proxy(tmp_path / "kp", url, auth=False)
    yield proc
    proc.stop()


def run(proc: KamproxyProcess, tmp_path: Path, *args: str, **env: str | None) -> Result:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return kamctl(list(args), home=home, server=f"unix:{proc.sock}", **env)


def test_add_show_rm(proxy: KamproxyProcess, tmp_path: Path) -> None:
    done = run(proxy, tmp_path, "ul", "add", "alice", "sip:alice@10.0.0.1", SIP_DOMAIN=DOMAIN)
    assert done.code == 0, done.output
    assert done.stdout == f"sip:alice@10.0.0.1 registered for alice@{DOMAIN} permanently\n"
    done = run(proxy, tmp_path, "usrloc", "add", f"alice@{DOMAIN}", "sip:alice@10.0.0.2",
               "600", "--q", "0.5", "--received", "sip:192.0.2.1:5070")
    assert done.code == 0, done.output
    (contact_a, contact_b) = (c["Contact"] for c in
                              rpc(proxy, "ul.lookup", "location", f"alice@{DOMAIN}")["Contacts"])
    assert contact_a["Expires"] == "permanent" and contact_a["Q"] == 1
    assert contact_b["Q"] == 0.5 and contact_b["Received"] == "sip:192.0.2.1:5070"
    assert 595 <= contact_b["Expires"] <= 600

    table = run(proxy, tmp_path, "ul", "show")
    assert table.code == 0 and "sip:alice@10.0.0.2" in table.stdout and "0.5" in table.stdout
    rows = json.loads(run(proxy, tmp_path, "alias", "show", f"alice@{DOMAIN}", "-F",
                          "json").stdout)
    assert [r["contact"] for r in rows] == ["sip:alice@10.0.0.1", "sip:alice@10.0.0.2"]
    assert rows[0]["expires"] == "permanent" and rows[0]["received"] is None
    assert rows[0]["call_id"] == "dfjrewr12386fd6-343@kamailio.rpc"
    listed = list(csv.DictReader(io.StringIO(run(proxy, tmp_path, "ul", "show", "-F",
                                                 "csv").stdout)))
    assert {r["contact"] for r in listed} == {"sip:alice@10.0.0.1", "sip:alice@10.0.0.2"}
    assert run(proxy, tmp_path, "ul", "show", "--brief", "-F", "csv").stdout == \
        f"aor\nalice@{DOMAIN}\n"
    assert run(proxy, tmp_path, "online").stdout == f"alice@{DOMAIN}\n"
    assert json.loads(run(proxy, tmp_path, "online", "-F", "json").stdout) == [
        {"aor": f"alice@{DOMAIN}"}]

    done = run(proxy, tmp_path, "ul", "rm", f"alice@{DOMAIN}", "sip:alice@10.0.0.1")
    assert done.code == 0 and done.stdout == f"sip:alice@10.0.0.1 of alice@{DOMAIN} dropped\n"
    done = run(proxy, tmp_path, "ul", "rm", f"alice@{DOMAIN}", "sip:alice@10.0.0.1")
    assert done.code == 1 and "is not registered" in done.stderr
    done = run(proxy, tmp_path, "ul", "rm", f"alice@{DOMAIN}")
    assert done.code == 0 and done.stdout == f"registrations of alice@{DOMAIN} dropped\n"
    shown = run(proxy, tmp_path, "ul", "show", f"alice@{DOMAIN}")
    assert shown.code == 1 and shown.stderr == f"kamctl: alice@{DOMAIN} is not registered\n"
    empty = run(proxy, tmp_path, "ul", "show")
    assert empty.code == 0 and empty.stdout == "" and "nobody is registered" in empty.stderr
    assert run(proxy, tmp_path, "online").stdout == ""
    assert json.loads(run(proxy, tmp_path, "ul", "show", "-F", "json").stdout) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ul", "add", f"alice@{DOMAIN}", "not a uri"], "bad URI"),
        (["ul", "add", f"alice@{DOMAIN}", "tel:+4930123"], "sip: or sips:"),
        (["ul", "add", f"alice@{DOMAIN}", "sip:a@b", "-5"], "EXPIRES"),
        (["ul", "add", f"alice@{DOMAIN}", "sip:a@b", "--q", "2"], "--q"),
        (["ul", "show", "alice"], "no domain"),
        (["ul", "rm", "bad user@example.com"], "bad user name"),
    ],
)
def test_bad_input_is_exit_2_and_changes_nothing(proxy: KamproxyProcess, tmp_path: Path,
                                                 args: list[str], message: str) -> None:
    done = run(proxy, tmp_path, *args)
    assert done.code == 2, done.output
    assert message in done.output
    assert rpc(proxy, "ul.dump")["Domains"][0]["Domain"]["AoRs"] == []


def test_unreachable_proxy_is_exit_3(tmp_path: Path) -> None:
    env = {k: v for k, v in scrubbed_env(tmp_path).items() if v is not None}
    done = subprocess.run(
        [sys.executable, "-m", "kamctl.cli", "-s", NO_PROXY, "ul", "show"],
        env={**env, "PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=30,
    )
    assert done.returncode == 3, done.stderr
    assert "does not exist" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.kamailio
def test_kamailio_without_usrloc_is_named(kamailio_peer: KamailioPeer, tmp_path: Path) -> None:
    done = kamctl(["ul", "show"], home=tmp_path, server=f"unix:{kamailio_peer.sock}")
    assert done.code == 1
    assert "the proxy has no location service" in done.stderr
