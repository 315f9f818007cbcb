"""kamcmd and ``kamctl rpc`` against a real kamproxy subprocess, over each transport."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.kamcmd.ptyrun import PtyProcess
from tests.kamcmd.support import ENTRY, env_for, run_kamcmd, run_kamctl
from tests.support.proxy import KamproxyProcess

TRANSPORTS = ("unix", "fifo", "http")


def _address(proc: KamproxyProcess, transport: str) -> list[str]:
    """kamcmd's options that reach ``proc`` over ``transport``."""
    if transport == "unix":
        return ["-s", f"unix:{proc.sock}"]
    if transport == "fifo":
        return ["-s", f"fifo:{proc.fifo}", "--reply-dir", f"{proc.reply_dir}/"]
    return ["-s", proc.http_url]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_kamcmd_main_paths(kamproxy: KamproxyProcess, transport: str, home: Path) -> None:
    address = _address(kamproxy, transport)
    pid = str(kamproxy.proc.pid if kamproxy.proc else "")

    done = run_kamcmd([*address, "core.version"], home)
    assert done.returncode == 0, done.stderr + kamproxy.log()
    assert done.stdout.startswith("kamproxy ") and done.stdout.endswith(")\n")

    done = run_kamcmd([*address, "core.uptime"], home)
    lines = done.stdout.splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    assert [line.split(":")[0] for line in lines[1:-1]] == ["\tnow", "\tup_since", "\tuptime"]

    done = run_kamcmd([*address, "ps"], home)
    assert done.returncode == 0
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    assert rows and all(row[0] == pid for row in rows)
    assert ["JSONRPCS DATAGRAM"] in [row[1:] for row in rows]

    done = run_kamcmd([*address, "-F", "json", "psx"], home)
    tasks = json.loads(done.stdout)
    assert {t["PID"] for t in tasks} == {int(pid)}

    words = ["5", "s:5", 'a"b\\c', "-1", "2.5"]
    done = run_kamcmd([*address, "-F", "json", "core.echo", *words], home)
    assert json.loads(done.stdout) == ["5", "5", 'a"b\\c', "-1", "2.5"]

    done = run_kamcmd([*address, "help", "core.uptime"], home)
    assert done.stdout == "Returns uptime of SIP server.\n"

    done = run_kamcmd([*address, "no.such.method"], home)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("error: ") and "no.such.method" in done.stderr

    done = run_kamcmd([*address, "core.kill", "i:0"], home)  # a fault with a message
    assert (done.returncode, done.stderr) == (1, "error: 400 - invalid signal number 0\n")

    done = run_kamcmd(address, home, stdin="ver\nls\ncore.echo 'x y'\nno.such\nver\n")
    assert done.returncode == 1
    out = done.stdout.splitlines()
    assert out[0].startswith("kamproxy ") and out[-1] == out[0]
    assert "core.version" in out and "x y" in out
    assert kamproxy.alive()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_kamctl_rpc(kamproxy: KamproxyProcess, transport: str, home: Path) -> None:
    address = _address(kamproxy, transport)
    server, extra = address[:2], address[2:]
    done = run_kamctl([*server, "rpc", *extra, "core.echo", "-5", "s:7", "i:8"], home)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "-5\n7\n8\n"
    done = run_kamctl([*server, "rpc", *extra, "-F", "json", "core.psx"], home)
    assert done.returncode == 0, done.stderr
    assert isinstance(json.loads(done.stdout), list)
    done = run_kamctl([*server, "rpc", *extra, "no.such"], home)
    assert done.returncode == 1
    assert done.stderr.startswith("error: ")
    done = run_kamctl([*server, "rpc", *extra, "core.echo", "i:x"], home)
    assert done.returncode == 2
    assert "argument 1 ('i:x')" in done.stderr


def test_kamctl_rpc_unreachable(home: Path, tmp_path: Path) -> None:
    done = run_kamctl(["-s", f"unix:{tmp_path}/none.sock", "rpc", "core.version"], home)
    assert done.returncode == 3
    assert done.stderr.startswith("kamctl: ") and done.stderr.count("\n") == 1
    done = run_kamctl(["-s", "unixs:/run/kamailio/kamailio_ctl", "rpc", "ver"], home)
    assert done.returncode == 2
    assert "binrpc" in done.stderr


def test_interactive_against_kamproxy(kamproxy: KamproxyProcess, home: Path) -> None:
    env = env_for(home, {"TERM": "xterm"})
    argv = [sys.executable, "-c", ENTRY, "-s", f"unix:{kamproxy.sock}"]
    term = PtyProcess(argv, env, str(home))
    try:
        term.expect("kamcmd> ")
        term.send("core.upt\t")
        term.expect("core.uptime ")
        term.send("\r")
        assert "uptime: " in term.expect("kamcmd> ")
        term.send("cfg.get \t\t\r")  # kamproxy may lack cfg.list: no completion, no noise
        term.expect("kamcmd> ")
        term.send("quit\r")
        assert term.wait() == 0
    finally:
        term.close()


def test_fifo_reply_dir_from_kamctl_config(kamproxy: KamproxyProcess, home: Path) -> None:
    env = {"KAMCTL_REPLY_DIR": f"{kamproxy.reply_dir}/"}
    done = run_kamcmd(["-s", f"fifo:{kamproxy.fifo}", "ver"], home, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("kamproxy ")
