"""Interop with Debian's Kamailio 5.6 on SQLite:

* its auth_db authenticates (sipsak REGISTER -> 200) a user our kamctl added in a
  database our kamctl created, and its usrloc reads the location rows kamproxy wrote;
* kamproxy authenticates a user Kamailio's own kamctl added in a database its kamdbctl
  created, and loads the location rows Kamailio wrote;
* our kamctl ul/online work against Kamailio over RPC.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.registrar.e2e import DOMAIN, Registration, rpc, start_proxy, ul_lookup
from tests.storage.support import kamctl
from tests.support.kamailio import KAMAILIO, KamailioPeer
from tests.support.sipua import SipUA
from tests.support.tools import require

pytestmark = pytest.mark.kamailio

SIPSAK = "/usr/bin/sipsak"
KAMDBCTL = "/usr/sbin/kamdbctl"
KAMCTL = "/usr/sbin/kamctl"


def kamailio_tool(tool: str, args: list[str], db: Path, home: Path) -> None:
    """Run Debian's kamdbctl/kamctl on an SQLite database (DBENGINE=SQLITE)."""
    require(tool, "Debian packages kamailio and kamailio-sqlite-modules")
    require("sqlite3", "Debian package sqlite3")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
        "DBENGINE": "SQLITE", "DB_PATH": str(db), "INSTALL_EXTRA_TABLES": "no",
        "INSTALL_PRESENCE_TABLES": "no", "INSTALL_DBUID_TABLES": "no",
    }
    done = subprocess.run([tool, *args], env=env, input="y\ny\ny\n", capture_output=True,
                          text=True, timeout=60, cwd=home)
    assert done.returncode == 0, done.stdout + done.stderr


def sipsak_register(port: int, password: str) -> subprocess.CompletedProcess[str]:
    require(SIPSAK, "Debian package sipsak")
    return subprocess.run(
        [SIPSAK, "-p", f"127.0.0.1:{port}", "-U", "-C", "sip:alice@127.0.0.1:5099",
         "-s", f"sip:alice@{DOMAIN}", "-u", "alice", "-a", password, "-x", "3600",
         "-H", "127.0.0.1"],
        capture_output=True, text=True, timeout=20,
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def registrar_peer() -> KamailioPeer:
    require(KAMAILIO, "Debian package kamailio (apt-get install kamailio)")
    return KamailioPeer(defines=["WITH_REGISTRAR"])


def test_kamailio_authenticates_a_user_our_kamctl_added(home: Path) -> None:
    peer = registrar_peer()
    try:
        for args in (["db", "create"], ["add", f"alice@{DOMAIN}", "secret", "-q"]):
            done = kamctl(args, home=home, db=peer.db_url)
            assert done.code == 0, done.output
        peer.start()
        assert sipsak_register(peer.sip_port, "WRONG").returncode == 2
        done = sipsak_register(peer.sip_port, "secret")
        assert done.returncode == 0, done.stdout + done.stderr + peer.log()[-2000:]
        # our kamctl, RPC only, against Kamailio's usrloc
        server = f"unix:{peer.sock}"
        shown = kamctl(["ul", "show", f"alice@{DOMAIN}", "-F", "json"], home=home,
                       server=server)
        assert shown.code == 0, shown.output
        assert '"contact": "sip:alice@127.0.0.1:5099"' in shown.stdout
        assert kamctl(["online"], home=home, server=server).stdout == f"alice@{DOMAIN}\n"
        added = kamctl(["ul", "add", f"bob@{DOMAIN}", "sip:bob@10.0.0.2", "600"], home=home,
                       server=server)
        assert added.code == 0, added.output
        brief = kamctl(["ul", "show", "--brief", "-F", "csv"], home=home, server=server)
        assert brief.stdout.splitlines() == ["aor", f"alice@{DOMAIN}", f"bob@{DOMAIN}"]
        gone = kamctl(["ul", "rm", f"bob@{DOMAIN}", "sip:bob@10.0.0.2"], home=home,
                      server=server)
        assert gone.code == 0, gone.output
        missing = kamctl(["ul", "show", f"bob@{DOMAIN}"], home=home, server=server)
        assert missing.code == 1 and "not registered" in missing.stderr
        assert kamctl(["ul", "rm", f"alice@{DOMAIN}"], home=home, server=server).code == 0
        assert kamctl(["online"], home=home, server=server).stdout == ""
    finally:
        peer.stop()


def test_kamproxy_authenticates_a_user_kamailios_kamctl_added(tmp_path: Path,
                                                              home: Path) -> None:
    db = tmp_path / "kamailio-made.sqlite"
    kamailio_tool(KAMDBCTL, ["create"], db, home)
    kamailio_tool(KAMCTL, ["add", f"alice@{DOMAIN}", "secret"], db, home)
    proc = start_proxy(tmp_path / "kp", f"sqlite:///{db}")
    try:
        with SipUA(name="alice") as ua:
            reg = Registration(ua, proc.sip_port, "alice", "secret")
            _req, first = reg.challenge()
            # Kamailio's table has no SHA columns: MD5 is all we can offer
            assert len(first.get_headers("WWW-Authenticate")) == 1
            _req, final = reg.answer(first, "MD5")
            assert final.status == 200, final
        # sipsak too, with the default configuration
        proc_sipsak = sipsak_register(proc.sip_port, "secret")
        assert proc_sipsak.returncode == 0, proc_sipsak.stdout + proc_sipsak.stderr
    finally:
        proc.stop()


def test_location_rows_move_between_kamproxy_and_kamailio(tmp_path: Path, home: Path) -> None:
    url = f"sqlite:///{tmp_path}/shared.sqlite"
    for args in (["db", "create"], ["add", f"alice@{DOMAIN}", "secret", "-q"]):
        assert kamctl(args, home=home, db=url).code == 0
    proc = start_proxy(tmp_path / "kp", url)
    try:
        with SipUA(name="alice") as ua:
            assert Registration(ua, proc.sip_port, "alice", "secret").register().status == 200
            ours = ua.uri("alice")
    finally:
        proc.stop()
    # Kamailio (usrloc db_mode 1) loads what kamproxy wrote
    peer = registrar_peer()
    try:
        shutil.copy(url.removeprefix("sqlite:///"), peer.db_path)
        peer.start()
        found = kamctl(["ul", "show", f"alice@{DOMAIN}", "-F", "csv"], home=home,
                       server=f"unix:{peer.sock}")
        assert found.code == 0, found.output + peer.log()[-2000:]
        assert ours in found.stdout
        # and writes its own registration, which kamproxy then loads
        assert sipsak_register(peer.sip_port, "secret").returncode == 0
        # a consistent copy (the file is in WAL mode) before the peer's directory goes
        with sqlite3.connect(peer.db_path) as src, \
                sqlite3.connect(tmp_path / "after.sqlite") as dst:
            src.backup(dst)
    finally:
        peer.stop()
    proc = start_proxy(tmp_path / "kp2", f"sqlite:///{tmp_path}/after.sqlite")
    try:
        addresses = {c["Address"] for c in ul_lookup(proc, f"alice@{DOMAIN}")}
        assert addresses == {ours, "sip:alice@127.0.0.1:5099"}
        assert rpc(proc, "ul.dump")["Domains"][0]["Domain"]["Stats"]["Records"] == 1
    finally:
        proc.stop()
