"""kamctl as a subprocess against a real kamproxy, its address from flags or a profile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kamctl.config.kamailio import ENVIRONMENT
from tests.support.proxy import ROOT, KamproxyProcess


def kamctl(home: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """``kamctl ARGS`` with a private home and config dir, and no KAMCTL_* variables."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("KAMCTL_") and k not in ENVIRONMENT and k != "XDG_CONFIG_HOME"
    }
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "xdg"), PYTHONPATH=str(ROOT))
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "-m", "kamctl.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        timeout=30,
    )


def profiles(kamproxy: KamproxyProcess) -> str:
    """A kamctl.toml whose "lab" profile reaches kamproxy over its FIFO."""
    return (
        'default_profile = "broken"\n'
        "\n"
        "[profiles.lab]\n"
        f'rpc = "fifo:{kamproxy.fifo}"\n'
        f'reply_dir = "{kamproxy.reply_dir}/"\n'
        "timeout = 5\n"
        "\n"
        "[profiles.broken]\n"
        f'rpc = "unix:{kamproxy.base}/nobody-here.sock"\n'
        "timeout = 1\n"
    )


def test_flag_address_still_works(kamproxy: KamproxyProcess, tmp_path: Path) -> None:
    done = kamctl(tmp_path, "-s", f"unix:{kamproxy.sock}", "uptime")
    assert done.returncode == 0, done.stderr
    assert "Uptime:" in done.stdout


def test_address_from_a_config_file_profile(kamproxy: KamproxyProcess, tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text(profiles(kamproxy))
    done = kamctl(tmp_path, "--config", str(config), "--profile", "lab", "uptime")
    assert done.returncode == 0, done.stderr
    assert "Uptime:" in done.stdout
    # the file's default profile points nowhere: the failure names where the address came from
    done = kamctl(tmp_path, "--config", str(config), "uptime")
    assert done.returncode == 3
    assert f"({config}:9)" in done.stderr and "nobody-here.sock" in done.stderr
    # -s beats the profile
    done = kamctl(tmp_path, "--config", str(config), "-s", f"unix:{kamproxy.sock}", "uptime")
    assert done.returncode == 0, done.stderr


def test_user_file_and_environment_profile(kamproxy: KamproxyProcess, tmp_path: Path) -> None:
    user = tmp_path / "xdg" / "kamctl" / "kamctl.toml"
    user.parent.mkdir(parents=True)
    user.write_text(profiles(kamproxy))
    done = kamctl(tmp_path, "uptime", KAMCTL_PROFILE="lab")
    assert done.returncode == 0, done.stderr
    done = kamctl(tmp_path, "config", "show", "-F", "json", KAMCTL_PROFILE="lab")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["profile"] == {"name": "lab", "source": "environment KAMCTL_PROFILE"}
    assert data["settings"]["rpc"]["value"] == f"fifo:{kamproxy.fifo}"
    assert data["settings"]["rpc"]["source"] == f"{user}:4"
    assert data["settings"]["reply_dir"]["source"] == f"{user}:5"


@pytest.mark.parametrize("form", ["kamctlrc", "environment"])
def test_rpcfifopath_from_kamctlrc_or_environment(
    kamproxy: KamproxyProcess, tmp_path: Path, form: str
) -> None:
    if form == "kamctlrc":
        (tmp_path / ".kamctlrc").write_text(f'RPCFIFOPATH="{kamproxy.fifo}"\n')
        done = kamctl(tmp_path, "uptime", KAMCTL_REPLY_DIR=f"{kamproxy.reply_dir}/")
    else:
        done = kamctl(
            tmp_path,
            "uptime",
            RPCFIFOPATH=str(kamproxy.fifo),
            KAMCTL_REPLY_DIR=f"{kamproxy.reply_dir}/",
        )
    assert done.returncode == 0, done.stderr
    assert "Uptime:" in done.stdout
