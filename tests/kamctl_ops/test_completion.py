"""kamctl's shell completion: the scripts in completions/, real bash driving them, live
values from a running kamproxy and from the database, and silence when nothing runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from kamctl.livecomplete import complete_dispatcher_setid
from proxy.storage.database import Database
from tests.kamcmd.support import KAMCTL_ENTRY, ROOT, env_for, run_kamctl
from tests.kamctl_ops.support import Kamctl
from tests.support.proxy import KamproxyProcess

SHELLS = ("bash", "zsh", "fish")


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KamproxyProcess]:
    base = tmp_path_factory.mktemp("kpc")
    proc = KamproxyProcess(base, args=["--db", f"sqlite:///{base}/k.sqlite"]).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def subscribers(kamctl: Kamctl, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/subs.sqlite"
    for user in ("alice@example.com", "albert@example.com", "bob@example.org"):
        done = kamctl("--db", url, "add", user, "--password-stdin", stdin_text="pw-" + user)
        assert done.returncode == 0, done.stderr
    return url


def bash(home: Path, tmp_path: Path, words: list[str]) -> list[str]:
    """Complete the last of ``words`` with completions/kamctl.bash in a real bash."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    wrapper = bindir / "kamctl"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c "{KAMCTL_ENTRY}" "$@"\n')
    wrapper.chmod(0o755)
    quoted = " ".join(f"'{w}'" for w in ["kamctl", *words])
    script = (
        f"source {ROOT / 'completions' / 'kamctl.bash'}\n"
        f"COMP_WORDS=({quoted})\n"
        f"COMP_CWORD={len(words)}\n"
        "_kamctl_completion kamctl\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        [shutil.which("bash") or "/bin/bash", "--norc", "--noprofile", "-c", script],
        capture_output=True,
        text=True,
        env=env_for(home, {"PATH": f"{bindir}:{os.environ['PATH']}"}),
        timeout=30,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return [line for line in done.stdout.splitlines() if line]


def protocol(shell: str, home: Path, words: list[str]) -> list[str]:
    """Ask kamctl for completions the way ``shell``'s script does; the values."""
    env = {
        "_KAMCTL_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": " ".join(["kamctl", *words]),
        "COMP_CWORD": words[-1] if shell == "fish" else str(len(words)),
    }
    done = run_kamctl([], home, env=env, timeout=30)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    lines = done.stdout.splitlines()
    if shell == "bash":
        return [line.split(",", 1)[1] for line in lines if line.startswith("plain,")]
    if shell == "zsh":
        return [lines[i + 1] for i in range(0, len(lines) - 2, 3) if lines[i] == "plain"]
    values = []  # fish: "plain,value[\thelp]" or "plain" then "value" then "_"
    for i, line in enumerate(lines):
        if line.startswith("plain,"):
            values.append(line.split(",", 1)[1].split("\t")[0])
        elif line == "plain" and i + 1 < len(lines):
            values.append(lines[i + 1])
    return values


@pytest.mark.parametrize("shell", SHELLS)
def test_scripts_in_sync(shell: str, kamctl: Kamctl) -> None:
    kept = (ROOT / "completions" / f"kamctl.{shell}").read_text()
    printed = kamctl("completion", shell)
    assert printed.returncode == 0 and printed.stdout == kept, (
        f"regenerate: kamctl completion {shell} > completions/kamctl.{shell}"
    )
    generated = kamctl(env={"_KAMCTL_COMPLETE": f"{shell}_source"})
    assert generated.stdout == kept


def test_unknown_shell_is_a_usage_error(kamctl: Kamctl) -> None:
    done = kamctl("completion", "tcsh")
    assert done.returncode == 2 and "tcsh" in done.stderr


def test_bash_subcommands_and_options(home: Path, tmp_path: Path) -> None:
    assert bash(home, tmp_path, ["sta"]) == ["start", "stats", "status"]
    options = bash(home, tmp_path, ["monitor", "--"])
    assert {"--interval", "--count", "--once", "--output"} <= set(options)
    assert bash(home, tmp_path, ["srv", "r"]) == ["rpclist"]
    assert bash(home, tmp_path, ["completion", ""]) == ["bash", "zsh", "fish"]


def test_bash_live_values_from_the_proxy(
    home: Path, tmp_path: Path, proxy: KamproxyProcess
) -> None:
    at = ["-s", f"unix:{proxy.sock}"]
    groups = bash(home, tmp_path, [*at, "stats", ""])
    assert {"all", "core", "shmem", "sl"} <= set(groups)
    assert bash(home, tmp_path, [*at, "stats", "sh"]) == ["shmem"]
    assert {"core", "tcp"} <= set(bash(home, tmp_path, [*at, "cfg", "get", ""]))
    assert bash(home, tmp_path, [*at, "cfg", "set", "core", "debu"]) == ["debug"]
    assert "debug" in bash(home, tmp_path, [*at, "cfg", "help", "core", ""])
    assert bash(home, tmp_path, [*at, "rpc", "core.upt"]) == ["core.uptime"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_other_shells_get_live_values(shell: str, home: Path, proxy: KamproxyProcess) -> None:
    assert protocol(shell, home, ["-s", f"unix:{proxy.sock}", "stats", "sh"]) == ["shmem"]


def test_subscriber_names_from_the_database(
    home: Path, tmp_path: Path, subscribers: str
) -> None:
    names = bash(home, tmp_path, ["--db", subscribers, "passwd", "al"])
    assert names == ["albert@example.com", "alice@example.com"]
    assert bash(home, tmp_path, ["--db", subscribers, "rm", "b"]) == ["bob@example.org"]
    assert bash(home, tmp_path, ["--db", subscribers, "show", ""]) == [
        "albert@example.com",
        "alice@example.com",
        "bob@example.org",
    ]
    with_domain = protocol("bash", home, ["--db", subscribers, "show", "ali"])
    assert with_domain == ["alice@example.com"]


def test_default_domain_users_complete_without_it(
    home: Path, subscribers: str, kamctl: Kamctl
) -> None:
    env = {
        "_KAMCTL_COMPLETE": "bash_complete",
        "COMP_WORDS": f"kamctl --db {subscribers} passwd ali",
        "COMP_CWORD": "4",
        "KAMCTL_DOMAIN": "example.com",
    }
    done = kamctl(env=env)
    assert done.stdout.splitlines() == ["plain,alice", "plain,alice@example.com"]


def test_dispatcher_set_ids_from_the_database(home: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ds.sqlite"
    with Database.open(url, create=True) as db:
        for setid, uri in ((1, "sip:a.example.com"), (1, "sip:b.example.com"), (20, "sip:c")):
            db.insert("dispatcher", {"setid": setid, "destination": uri})
    ctx = SimpleNamespace(params={"db_url": url}, parent=None)
    assert complete_dispatcher_setid(ctx, None, "") == ["1", "20"]
    assert complete_dispatcher_setid(ctx, None, "2") == ["20"]
    assert bash(home, tmp_path, ["--db", url, "dispatcher", "add", ""]) == ["1", "20"]


def test_nothing_running_means_no_candidates_and_no_noise(
    home: Path, tmp_path: Path, short_dir: Path
) -> None:
    began = time.monotonic()
    assert bash(home, tmp_path, ["-s", f"unix:{short_dir}/none.sock", "stats", ""]) == []
    assert bash(home, tmp_path, ["-s", f"unix:{short_dir}/none.sock", "cfg", "get", ""]) == []
    missing = "sqlite:////nonexistent-kamctl-dir/k.sqlite"
    assert bash(home, tmp_path, ["--db", missing, "passwd", ""]) == []
    assert bash(home, tmp_path, ["--db", "postgres://u:p@127.0.0.1:9/x", "rm", ""]) == []
    assert time.monotonic() - began < 20  # generous: proves nothing waits long
    assert list((home / "cache" / "kamctl").glob("db-*.failed"))  # failures remembered


def test_a_silent_server_costs_one_short_timeout(home: Path, short_dir: Path) -> None:
    import socket

    path = short_dir / "silent.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as silent:
        silent.bind(str(path))
        began = time.monotonic()
        assert protocol("bash", home, ["-s", f"unix:{path}", "stats", ""]) == []
        assert time.monotonic() - began < 10
