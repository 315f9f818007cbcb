"""Shell completion through click: bash, zsh and fish; the scripts kept in completions/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kamctl import completion
from tests.kamcmd.support import ENTRY, ROOT, RecordingServer, env_for, run_kamcmd, run_kamctl

SHELLS = ("bash", "zsh", "fish")


def _complete(shell: str, words: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    """Ask kamcmd for completions the way ``shell``'s script does."""
    line = " ".join(["kamcmd", *words])
    env = {"_KAMCMD_COMPLETE": f"{shell}_complete", "COMP_WORDS": line}
    # bash and zsh pass the index of the word being completed, fish the word itself
    env["COMP_CWORD"] = words[-1] if shell == "fish" else str(len(words))
    return run_kamcmd([], home, env=env, timeout=20)


def _values(shell: str, out: str) -> list[str]:
    """Completion values from click's output for ``shell``."""
    lines = out.splitlines()
    if shell == "bash":
        return [line.split(",", 1)[1] for line in lines if line.startswith("plain,")]
    if shell == "zsh":  # type, value, help: three lines each
        return [lines[i + 1] for i in range(0, len(lines) - 2, 3) if lines[i] == "plain"]
    values = []  # fish
    for line in lines:
        if line.startswith("plain,"):
            values.append(line.split(",", 1)[1].split("\t")[0])
        elif line and line not in ("plain", "_") and "," not in line:
            values.append(line)
    return values


@pytest.mark.parametrize("shell", SHELLS)
def test_method_names_from_the_server(shell: str, recorder: RecordingServer, home: Path) -> None:
    done = _complete(shell, ["-s", recorder.address, "core.v"], home)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert _values(shell, done.stdout) == ["core.version"]
    assert [r.method for r in recorder.requests] == ["system.listMethods"]


@pytest.mark.parametrize("shell", SHELLS)
def test_aliases_help_and_cfg_names(shell: str, recorder: RecordingServer, home: Path) -> None:
    address = ["-s", recorder.address]
    assert _values(shell, _complete(shell, [*address, "ps"], home).stdout) == ["ps", "psx"]
    helped = _values(shell, _complete(shell, [*address, "help", "core.p"], home).stdout)
    assert helped == ["core.ps", "core.psx"]
    groups = _values(shell, _complete(shell, [*address, "cfg.get", ""], home).stdout)
    assert groups == ["core", "tm"]
    names = _values(shell, _complete(shell, [*address, "cfg.get", "tm", "fr_i"], home).stdout)
    assert names == ["fr_inv_timer"]
    assert _values(shell, _complete(shell, [*address, "core.echo", ""], home).stdout) == []


@pytest.mark.parametrize("shell", SHELLS)
def test_no_server_no_output_no_hang(shell: str, short_dir: Path, home: Path) -> None:
    start = time.monotonic()
    done = _complete(shell, ["-s", f"unix:{short_dir}/none.sock", "core.v"], home)
    assert time.monotonic() - start < 10  # generous: proves it does not hang
    assert (done.returncode, done.stderr) == (0, "")
    assert _values(shell, done.stdout) == []


def test_silent_server_costs_one_short_timeout(short_dir: Path, home: Path) -> None:
    import socket

    path = short_dir / "silent.sock"
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    silent.bind(str(path))
    try:
        done = _complete("bash", ["-s", f"unix:{path}", "core.v"], home)
    finally:
        silent.close()
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "", "")


def test_answers_are_cached_briefly(recorder: RecordingServer, home: Path) -> None:
    words = ["-s", recorder.address, "core.v"]
    assert _values("bash", _complete("bash", words, home).stdout) == ["core.version"]
    assert _values("bash", _complete("bash", words, home).stdout) == ["core.version"]
    assert [r.method for r in recorder.requests] == ["system.listMethods"]  # once
    (cache,) = (home / "cache" / "kamctl").glob("rpc-*.json")
    doc = json.loads(cache.read_text())
    assert doc["ok"] is True and "core.version" in doc["result"]
    doc["at"] -= completion.CACHE_TTL + 1  # expired: fetched again
    cache.write_text(json.dumps(doc))
    _complete("bash", words, home)
    assert [r.method for r in recorder.requests] == ["system.listMethods"] * 2


def test_failures_are_cached_for_a_few_seconds(short_dir: Path, home: Path) -> None:
    done = _complete("bash", ["-s", f"unix:{short_dir}/none.sock", "x"], home)
    assert done.returncode == 0
    (cache,) = (home / "cache" / "kamctl").glob("rpc-*.json")
    assert json.loads(cache.read_text())["ok"] is False


def test_unusable_address_completes_nothing(home: Path) -> None:
    done = _complete("bash", ["-s", "tcp:127.0.0.1:2049", "core.v"], home)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "", "")


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_scripts_in_sync(shell: str, home: Path) -> None:
    """completions/kamcmd.SHELL is exactly what the program generates."""
    done = run_kamcmd([], home, env={"_KAMCMD_COMPLETE": f"{shell}_source"})
    assert done.returncode == 0, done.stderr
    kept = (ROOT / "completions" / f"kamcmd.{shell}").read_text()
    assert done.stdout == kept, f"regenerate: _KAMCMD_COMPLETE={shell}_source kamcmd"


def test_bash_script_in_a_real_bash(recorder: RecordingServer, home: Path, tmp_path: Path) -> None:
    """Source completions/kamcmd.bash in bash and let it call kamcmd."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    wrapper = bindir / "kamcmd"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c "{ENTRY}" "$@"\n')
    wrapper.chmod(0o755)
    script = (
        f"source {ROOT / 'completions' / 'kamcmd.bash'}\n"
        f"COMP_WORDS=(kamcmd -s {recorder.address} core.)\n"
        "COMP_CWORD=3\n"
        "_kamcmd_completion kamcmd\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = env_for(home, {"PATH": f"{bindir}:{os.environ['PATH']}"})
    done = subprocess.run(
        [shutil.which("bash") or "/bin/bash", "--norc", "--noprofile", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "core.echo",
        "core.ps",
        "core.psx",
        "core.uptime",
        "core.version",
    ]


def test_kamctl_rpc_completes_methods(recorder: RecordingServer, home: Path) -> None:
    env = {
        "_KAMCTL_COMPLETE": "bash_complete",
        "COMP_WORDS": f"kamctl -s {recorder.address} rpc core.v",
        "COMP_CWORD": "4",
    }
    done = run_kamctl([], home, env=env)
    assert done.returncode == 0, done.stderr
    assert _values("bash", done.stdout) == ["core.version"]
