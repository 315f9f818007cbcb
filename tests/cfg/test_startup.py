"""Start-up values: defaults, [cfg.*] of the config file, the overrides file, -d."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from proxy.cfg import startup
from proxy.config import ConfigError, ProxyConfig, load
from tests.support.proxy import ROOT


def _config(tmp_path: Path, text: str) -> ProxyConfig:
    path = tmp_path / "kamproxy.toml"
    path.write_text(text)
    return load(path)


def test_config_file_values_and_read_only_vars(tmp_path: Path) -> None:
    config = _config(
        tmp_path, '[cfg.core]\ndebug = 2\nlog_facility = "local4"\n[cfg.tcp]\nasync = 0\n'
    )
    params = startup.load(config).params
    assert params.get("core", "debug") == 2
    assert params.get("core", "log_facility") == "LOG_LOCAL4"
    assert params.get("tcp", "async") == 0
    assert params.get("tcp", "connect_timeout") == 10


def test_debug_flag_overrides_the_file(tmp_path: Path) -> None:
    config = replace(_config(tmp_path, "[cfg.core]\ndebug = 2\n"), debug=-1)
    setup = startup.load(config)
    assert setup.params.get("core", "debug") == -1
    assert setup.overrides is None  # saving is off by default


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('[cfg.core]\ndebug = "x"\n', "core.debug must be an integer, got string 'x'"),
        ("[cfg.core]\ndebug = 9\n", "core.debug must be between -5 and 3, got 9"),
        ("[cfg.core]\ndebg = 1\n", "unknown variable core.debg (did you mean core.debug?)"),
        ("[cfg.nosuch]\nx = 1\n", "unknown group 'nosuch' (groups: core, tcp"),
        ("[cfg.tcp]\nrd_buf_size = 100\n", "tcp.rd_buf_size must be between 512 and 16777216"),
        ('[cfg.core]\nlog_facility = "LOG_NOPE"\n', "core.log_facility must be one of"),
    ],
)
def test_bad_values_name_the_file_and_the_reason(tmp_path: Path, text: str, reason: str) -> None:
    config = _config(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        startup.load(config)
    assert str(info.value).startswith(f"{tmp_path / 'kamproxy.toml'}: {reason}")


def test_overrides_are_read_after_the_file_and_before_flags(tmp_path: Path) -> None:
    (tmp_path / "saved.toml").write_text("[cfg.core]\ndebug = 3\n[cfg.tcp]\nconnect_timeout = 4\n")
    config = _config(
        tmp_path, '[core]\ncfg_overrides = "saved.toml"\n[cfg.core]\ndebug = 1\nforce_rport = 1\n'
    )
    assert config.cfg_overrides == tmp_path / "saved.toml"  # relative to the config file
    setup = startup.load(config)
    params = setup.params
    assert params.get("core", "debug") == 3
    assert params.get("tcp", "connect_timeout") == 4
    assert params.get("core", "force_rport") == 1
    assert setup.overrides is not None
    assert setup.overrides.baseline.get("core", "debug") == 1  # save compares to the file
    assert params.startup_value("core", "debug") == 3  # reset returns to the saved value
    flagged = startup.load(replace(config, debug=0)).params
    assert flagged.get("core", "debug") == 0


def test_a_missing_overrides_file_is_empty(tmp_path: Path) -> None:
    config = replace(ProxyConfig(), cfg_overrides=tmp_path / "none.toml")
    assert startup.load(config).params.get("core", "debug") == 0


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[cfg.core\n", "saved.toml: "),
        ("[cfg.core]\ndebug = 99\n", "saved.toml: core.debug must be between -5 and 3"),
        ("[other]\nx = 1\n", "only [cfg.GROUP] tables belong here"),
        ("cfg = 1\n", "cfg must be a table"),
    ],
)
def test_a_bad_overrides_file_is_a_config_error(tmp_path: Path, text: str, reason: str) -> None:
    (tmp_path / "saved.toml").write_text(text)
    config = replace(ProxyConfig(), cfg_overrides=tmp_path / "saved.toml")
    with pytest.raises(ConfigError, match=reason.replace("[", r"\[")):
        startup.load(config)


def _check(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "check.toml"
    path.write_text(text)
    return subprocess.run(
        [sys.executable, "-m", "proxy.main", "-c", "-f", str(path), *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=str(ROOT),
    )


def test_kamproxy_check_reports_a_bad_cfg_value(tmp_path: Path) -> None:
    done = _check(tmp_path, '[cfg.core]\ndebug = "notanint"\n')
    assert done.returncode == 1
    assert done.stderr == (
        f"kamproxy: configuration error: {tmp_path / 'check.toml'}: "
        "core.debug must be an integer, got string 'notanint'\n"
    )
    done = _check(tmp_path, "[cfg.tcp]\nrd_buf_size = 1\n")
    assert done.returncode == 1 and "tcp.rd_buf_size must be between 512" in done.stderr


def test_kamproxy_check_accepts_good_values_and_read_only_ones(tmp_path: Path) -> None:
    done = _check(tmp_path, "[cfg.core]\ndebug = 3\n[cfg.tcp]\nasync = 0\ndefer_accept = 5\n")
    assert (done.returncode, done.stderr) == (0, "")
    assert "is valid" in done.stdout


def test_kamproxy_check_reads_the_overrides_file(tmp_path: Path) -> None:
    (tmp_path / "saved.toml").write_text("[cfg.core]\nnosuch = 1\n")
    done = _check(tmp_path, "", "--cfg-overrides", str(tmp_path / "saved.toml"))
    assert done.returncode == 1 and "unknown variable core.nosuch" in done.stderr
