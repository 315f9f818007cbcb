"""kamctl's start path stays light: --help, completion queries and the snapshot of
monitor import no rich, httpx, jsonrpcserver, database driver or kamproxy runtime."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kamcmd.support import env_for
from tests.support.proxy import KamproxyProcess

HEAVY = ("rich", "httpx", "jsonrpcserver", "psycopg", "pymysql", "sqlite3", "proxy.main",
         "proxy.app", "asyncio", "kamctl.managed", "kamctl.proxyctl", "kamctl.doctor",
         "kamctl.monitor")
PROBE = """
import json, sys
from kamctl.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
with open(sys.argv[1], "w") as f:
    json.dump(sorted(sys.modules), f)
sys.exit(code)
"""


def modules(home: Path, argv: list[str], env: dict[str, str] | None = None) -> set[str]:
    listing = home / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(listing), *argv],
        capture_output=True,
        text=True,
        env=env_for(home, env),
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(listing.read_text()))


def heavy(found: set[str]) -> list[str]:
    return sorted(m for m in found if m in HEAVY or m.startswith(tuple(h + "." for h in HEAVY)))


def complete(words: str, cword: int) -> dict[str, str]:
    return {"_KAMCTL_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword)}


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["--help"], None),
        (["monitor", "--help"], None),
        ([], complete("kamctl ", 1)),
        ([], complete("kamctl sta", 1)),
        ([], complete("kamctl start --", 2)),
        ([], complete("kamctl doctor -", 2)),
        ([], complete("kamctl completion ", 2)),
    ],
)
def test_help_and_completion_import_nothing_heavy(
    home: Path, argv: list[str], env: dict[str, str] | None
) -> None:
    found = modules(home, argv, env)
    assert "kamctl.cli" in found  # the probe works
    assert heavy(found) == []


def test_monitor_snapshot_does_not_need_rich(
    home: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    base = tmp_path_factory.mktemp("kpx")
    proxy = KamproxyProcess(base, args=["--db", f"sqlite:///{base}/k.sqlite"]).start()
    try:
        found = modules(home, ["-s", f"unix:{proxy.sock}", "monitor", "--once"])
        table = modules(home, ["-s", f"unix:{proxy.sock}", "ps"])
    finally:
        proxy.stop()
    assert "kamctl.monitor.snapshot" in found
    assert [m for m in heavy(found) if not m.startswith("kamctl.monitor")] == []
    assert "rich" in table  # the guard can fail: a table does import rich
