"""Reading the configuration stays light: no click, no rich, tomllib only for a TOML file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kamctl.config.paths import SYSTEM_TOML
from tests.support.proxy import ROOT

PROBE = """
import json, sys
from kamctl.config import configured_rpc_address
print(json.dumps([configured_rpc_address(), sorted(sys.modules)]))
"""
HEAVY = ("click", "rich", "httpx", "tomllib", "proxy", "kamctl.cli", "kamctl.config.tomlfile")


def probe(home: Path) -> tuple[object, set[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAMCTL_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "xdg"), PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=30
    )
    assert done.returncode == 0, done.stderr
    address, modules = json.loads(done.stdout)
    return address, set(modules)


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m in HEAVY or m.startswith(tuple(h + "." for h in HEAVY)))


@pytest.mark.skipif(os.path.exists(SYSTEM_TOML), reason=f"{SYSTEM_TOML} exists on this host")
def test_no_toml_file_imports_nothing_heavy(tmp_path: Path) -> None:
    address, modules = probe(tmp_path)
    assert address is None
    assert "kamctl.config.load" in modules  # the probe works
    assert heavy(modules) == []


def test_a_toml_file_brings_tomllib_only(tmp_path: Path) -> None:
    toml = tmp_path / "xdg" / "kamctl" / "kamctl.toml"
    toml.parent.mkdir(parents=True)
    toml.write_text('rpc = "unix:/run/k.sock"\n')
    address, modules = probe(tmp_path)
    assert address == ["unix:/run/k.sock", f"{toml}:1"]
    assert "tomllib" in modules and "kamctl.config.tomlfile" in modules
    others = [m for m in heavy(modules) if not m.startswith(("tomllib", "kamctl.config.toml"))]
    assert others == []
