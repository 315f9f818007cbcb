"""Compatibility with a real Kamailio 5.6: our kamcmd (JSON-RPC) prints what Kamailio's
own kamcmd (binrpc over the ctl socket) prints for the same calls."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.kamcmd.support import run_kamcmd
from tests.support.tools import require

pytestmark = pytest.mark.kamailio

C_KAMCMD = "/usr/sbin/kamcmd"

# Calls whose output does not change between two runs (no clocks, no counters that move).
SAME_OUTPUT = [
    ["core.version"],
    ["ver"],
    ["ls"],
    ["help", "core.uptime"],
    ["system.methodHelp", "core.uptime"],
    ["cfg.get", "core", "debug"],
    ["cfg.get", "core"],  # a struct
    ["cfg.list"],  # a long array
    ["core.psx"],  # one struct per process
    ["ps"],  # alias with kamcmd's format
    ["tm.stats"],
    ["core.echo", "abc", "1001", "s:1001"],
    ["core.info"],
    ["core.flags"],
    ["core.modules"],
    ["core.tcp_options"],
    ["corex.list_sockets"],  # array of structs with a nested struct
    ["core.sockets_list"],  # one struct, members added to the root array
    ["stats.get_statistics", "dns:"],
]


def _address(peer: Any, transport: str) -> list[str]:
    if transport == "unix":
        return ["-s", f"unix:{peer.sock}"]
    if transport == "fifo":
        return ["-s", f"fifo:{peer.fifo}", "--reply-dir", f"{peer.reply_dir}/"]
    return ["-s", peer.http_url]


def _c_kamcmd(peer: Any, words: list[str]) -> subprocess.CompletedProcess[str]:
    binary = require(C_KAMCMD, "Debian package kamailio")
    return subprocess.run(
        [binary, "-s", f"unix:{peer.ctl}", *words], capture_output=True, text=True, timeout=30
    )


@pytest.mark.parametrize("transport", ["unix", "fifo", "http"])
@pytest.mark.parametrize("words", SAME_OUTPUT, ids=" ".join)
def test_same_output_as_kamailios_kamcmd(
    kamailio_peer: Any, transport: str, words: list[str], home: Path
) -> None:
    theirs = _c_kamcmd(kamailio_peer, words)
    assert theirs.returncode == 0, theirs.stderr
    ours = run_kamcmd([*_address(kamailio_peer, transport), *words], home)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout
    assert ours.stderr == ""


def test_uptime_has_kamcmds_layout(kamailio_peer: Any, home: Path) -> None:
    theirs = _c_kamcmd(kamailio_peer, ["core.uptime"]).stdout.splitlines()
    ours = run_kamcmd([*_address(kamailio_peer, "unix"), "core.uptime"], home).stdout.splitlines()
    assert [line.split(":")[0] for line in ours] == [line.split(":")[0] for line in theirs]
    assert ours[0] == "{" and ours[-1] == "}"


@pytest.mark.parametrize(
    "words",
    [["cfg.get", "core", "nosuchvar"], ["system.methodSignature", "core.uptime"]],
    ids=" ".join,
)
def test_fault_same_line_on_stderr_and_exit_1(
    kamailio_peer: Any, words: list[str], home: Path
) -> None:
    theirs = _c_kamcmd(kamailio_peer, words)
    assert theirs.returncode == 0 and theirs.stdout.startswith("error: ")
    ours = run_kamcmd([*_address(kamailio_peer, "unix"), *words], home)
    assert (ours.returncode, ours.stdout) == (1, "")
    assert ours.stderr == theirs.stdout


def test_unknown_method_exit_1(kamailio_peer: Any, home: Path) -> None:
    ours = run_kamcmd([*_address(kamailio_peer, "http"), "no.such.method"], home)
    assert (ours.returncode, ours.stdout) == (1, "")
    assert ours.stderr == "error: 500 - Method Not Found\n"


def test_typed_arguments_reach_kamailio(kamailio_peer: Any, home: Path) -> None:
    """cfg.seti takes an integer: 3 and i:3 work; the setting is restored afterwards."""
    address = _address(kamailio_peer, "unix")
    before = run_kamcmd([*address, "cfg.get", "core", "debug"], home).stdout.strip()
    try:
        for value in ("3", "i:3"):
            assert run_kamcmd([*address, "cfg.seti", "core", "debug", value], home).returncode == 0
            got = run_kamcmd([*address, "cfg.get", "core", "debug"], home)
            assert got.stdout == "3\n"
            assert _c_kamcmd(kamailio_peer, ["cfg.get", "core", "debug"]).stdout == "3\n"
            run_kamcmd([*address, "cfg.seti", "core", "debug", before], home)
        bad = run_kamcmd([*address, "cfg.seti", "core", "debug", "i:three"], home)
        assert bad.returncode == 2 and "argument 3 ('i:three')" in bad.stderr
    finally:
        run_kamcmd([*address, "cfg.seti", "core", "debug", before], home)
    assert run_kamcmd([*address, "cfg.get", "core", "debug"], home).stdout.strip() == before


def test_batch_against_kamailio(kamailio_peer: Any, home: Path) -> None:
    lines = "ver\ncfg.get core debug\ncfg.get core nosuchvar\nver\n"
    done = run_kamcmd(_address(kamailio_peer, "unix"), home, stdin=lines)
    assert done.returncode == 1
    version = _c_kamcmd(kamailio_peer, ["ver"]).stdout
    debug = _c_kamcmd(kamailio_peer, ["cfg.get", "core", "debug"]).stdout
    assert done.stdout == version + debug + version
    assert done.stderr == "error: 400 - Failed to get the variable\n"


def test_binrpc_socket_gets_a_clear_message(kamailio_peer: Any, home: Path) -> None:
    """kamcmd's habit `-s unixs:.../kamailio_ctl`: exit 2, how to use jsonrpcs instead."""
    done = run_kamcmd(["-s", f"unixs:{kamailio_peer.ctl}", "core.version"], home)
    assert done.returncode == 2
    assert "binrpc" in done.stderr and "jsonrpcs" in done.stderr
    done = run_kamcmd(["-s", f"unix:{kamailio_peer.ctl}", "core.version"], home)
    assert done.returncode == 3
    assert "not a datagram socket" in done.stderr
