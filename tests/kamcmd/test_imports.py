"""The one-shot path stays light: no click, rich, httpx, jsonrpcserver or asyncio."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kamcmd.support import RecordingServer, env_for

HEAVY = ("click", "rich", "httpx", "jsonrpcserver", "asyncio", "readline", "kamctl.kamcmd_cli")
#: Run main() as the console script does, then list every module that got imported.
PROBE = """
import json, sys
from kamctl.kamcmd import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    json.dump(sorted(sys.modules), f)
sys.exit(code)
"""


def _modules(argv: list[str], tmp_path: Path) -> tuple[int, set[str]]:
    listing = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(listing), *argv],
        capture_output=True,
        env=env_for(tmp_path),
        timeout=30,
    )
    return done.returncode, set(json.loads(listing.read_text()))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m in HEAVY or m.startswith(tuple(h + "." for h in HEAVY)))


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        (["core.version"], 0),
        (["-F", "json", "core.psx"], 0),
        (["-f", "%v\\n", "ps"], 0),
        (["test.nested"], 0),
        (["test.fault"], 1),
        (["core.echo", "i:x"], 2),
        (["core.echo", "j:[1]", "-5", "s:7"], 0),
    ],
)
def test_one_shot_imports_nothing_heavy(
    extra: list[str], code: int, recorder: RecordingServer, tmp_path: Path
) -> None:
    rc, modules = _modules(["-s", recorder.address, *extra], tmp_path)
    assert rc == code
    assert "kamctl.kamcmd" in modules and "rpc.client.dgram" in modules  # the probe works
    assert _heavy(modules) == []


def test_unreachable_imports_nothing_heavy(short_dir: Path, tmp_path: Path) -> None:
    rc, modules = _modules(["-s", f"unix:{short_dir}/none.sock", "core.version"], tmp_path)
    assert rc == 3
    assert _heavy(modules) == []


def test_fifo_one_shot_imports_nothing_heavy(short_dir: Path, tmp_path: Path) -> None:
    rc, modules = _modules(["-s", f"fifo:{short_dir}/none.fifo", "core.version"], tmp_path)
    assert rc == 3
    assert "rpc.client.fifo" in modules
    assert _heavy(modules) == []


def test_help_and_table_do_import_what_they_need(recorder: RecordingServer, tmp_path: Path) -> None:
    """The guard can fail: these paths are allowed their heavy imports."""
    _rc, modules = _modules(["--help"], tmp_path)
    assert "click" in modules
    _rc, modules = _modules(["-s", recorder.address, "-F", "table", "core.psx"], tmp_path)
    assert "rich" in modules and "click" not in modules
