"""Runtime parameters and the live debug level through a real kamproxy subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rpc.client import Client, connect
from rpc.errors import RemoteError
from tests.support.proxy import ROOT, KamproxyProcess


@pytest.fixture
def client(kamproxy: KamproxyProcess) -> Iterator[Client]:
    with connect(f"unix:{kamproxy.sock}", timeout=5) as rpc_client:
        yield rpc_client


def _debug_calls(kamproxy: KamproxyProcess) -> list[str]:
    return [
        line.split("<rpc> ", 1)[1] for line in kamproxy.log().splitlines() if "DEBUG: <rpc>" in line
    ]


def test_debug_3_shows_rpc_calls_at_once_and_0_stops_them(
    kamproxy: KamproxyProcess, client: Client
) -> None:
    assert client.call("cfg.get", "core", "debug") == 0
    client.call("core.version")
    assert _debug_calls(kamproxy) == []
    client.call("cfg.seti", "core", "debug", 3)
    assert "INFO: <cfg> core.debug changed from 0 to 3 (cfg.seti)" in kamproxy.log()
    client.call("core.uptime")
    # written before the reply was sent: no waiting needed
    assert _debug_calls(kamproxy) == ["dgram: call core.uptime "]
    client.call("corex.debug", 0)
    client.call("core.version")
    client.call("cfg.get", "core", "debug")
    assert _debug_calls(kamproxy) == ["dgram: call core.uptime ", "dgram: call corex.debug [0]"]


def test_staged_changes_are_shared_by_all_transports(kamproxy: KamproxyProcess) -> None:
    fifo = connect(f"fifo:{kamproxy.fifo}", reply_dir=f"{kamproxy.reply_dir}/", timeout=5)
    http = connect(kamproxy.http_url, timeout=5)
    dgram = connect(f"unix:{kamproxy.sock}", timeout=5)
    with fifo, http, dgram:
        dgram.call("cfg.set_delayed_int", "tcp", "connect_timeout", 3)
        fifo.call("cfg.set_delayed_string", "core", "log_facility", "LOG_LOCAL2")
        assert http.call("cfg.get", "tcp", "connect_timeout") == 10  # invisible until commit
        assert [c["variable name"] for c in http.call("cfg.diff")] == [
            "connect_timeout",
            "log_facility",
        ]
        fifo.call("cfg.commit")
        assert dgram.call("cfg.get", "tcp", "connect_timeout") == 3
        assert dgram.call("cfg.get", "core", "log_facility") == "LOG_LOCAL2"
        http.call("cfg.set_delayed", "tcp", "connect_timeout", 7)
        dgram.call("cfg.rollback")
        assert fifo.call("cfg.diff") == []
        http.call("cfg.commit")
        assert http.call("cfg.get", "tcp", "connect_timeout") == 3


@pytest.mark.parametrize(
    ("method", "params", "message"),
    [
        ("cfg.seti", ["core", "debug", "notanint"], "core.debug must be an integer"),
        ("cfg.seti", ["core", "debug", 4], "core.debug must be between -5 and 3, got 4"),
        ("cfg.sets", ["core", "nosuchvar", "1"], "unknown variable core.nosuchvar"),
        ("cfg.set", ["nosuch", "debug", 1], "unknown group 'nosuch'"),
        ("cfg.seti", ["tcp", "async", 0], "tcp.async is read-only"),
        ("cfg.seti", ["tcp", "rd_buf_size", 100], "must be between 512 and 16777216"),
        ("cfg.set_delayed_int", ["tcp", "connect_timeout", 0], "must be between 1 and 86400"),
        ("corex.debug", [9], "core.debug must be between -5 and 3, got 9"),
    ],
)
def test_errors_leave_every_value_unchanged(
    client: Client, method: str, params: list[object], message: str
) -> None:
    client.call("cfg.seti", "core", "debug", 1)
    before = {group: client.call("cfg.get", group) for group in ("core", "tcp")}
    with pytest.raises(RemoteError) as info:
        client.call(method, *params)
    assert info.value.code == 400
    assert info.value.message.startswith(f"{method}: ") and message in info.value.message
    assert {group: client.call("cfg.get", group) for group in ("core", "tcp")} == before
    assert client.call("cfg.diff") == []


def test_config_values_and_the_debug_flag(tmp_path_factory: pytest.TempPathFactory) -> None:
    proc = KamproxyProcess(
        tmp_path_factory.mktemp("kp"),
        config="[cfg.core]\ndebug = 1\nforce_rport = 1\n[cfg.tcp]\nasync = 0\n",
        args=["-d", "2"],
        http=False,
    ).start()
    try:
        with connect(f"unix:{proc.sock}", timeout=5) as rpc_client:
            assert rpc_client.call("cfg.get", "core", "debug") == 2
            assert rpc_client.call("cfg.get", "core", "force_rport") == 1
            assert rpc_client.call("cfg.get", "tcp", "async") == 0
            rpc_client.call("cfg.seti", "core", "force_rport", 0)
            rpc_client.call("cfg.reset", "core")  # back to the start-up values
            assert rpc_client.call("cfg.get", "core", "force_rport") == 1
    finally:
        proc.stop()


def test_saved_changes_survive_a_restart(tmp_path_factory: pytest.TempPathFactory) -> None:
    saved = tmp_path_factory.mktemp("saved") / "cfg-overrides.toml"
    config = f'[core]\ncfg_overrides = "{saved}"\n[cfg.core]\ndebug = 1\n'
    first = KamproxyProcess(tmp_path_factory.mktemp("kp"), config=config, http=False).start()
    try:
        with connect(f"unix:{first.sock}", timeout=5) as rpc_client:
            rpc_client.call("cfg.seti", "tcp", "connect_timeout", 4)
            rpc_client.call("cfg.seti", "core", "debug", 2)
            result = rpc_client.call("cfg.save")
            assert result == {
                "file": str(saved),
                "saved": {"core": {"debug": 2}, "tcp": {"connect_timeout": 4}},
            }
    finally:
        first.stop()
    second = KamproxyProcess(tmp_path_factory.mktemp("kp"), config=config, http=False).start()
    try:
        with connect(f"unix:{second.sock}", timeout=5) as rpc_client:
            assert rpc_client.call("cfg.get", "tcp", "connect_timeout") == 4
            assert rpc_client.call("cfg.get", "core", "debug") == 2
    finally:
        second.stop()


def test_json_lines_to_a_log_file(tmp_path_factory: pytest.TempPathFactory) -> None:
    base = tmp_path_factory.mktemp("kp")
    log_file = base / "json.log"
    proc = KamproxyProcess(
        base, args=["--log-file", str(log_file), "--log-json"], http=False, ready_log=log_file
    ).start()
    try:
        with connect(f"unix:{proc.sock}", timeout=5) as rpc_client:
            rpc_client.call("corex.debug", 3)
            rpc_client.call("core.version")
        lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    finally:
        proc.stop()
    assert proc.log() == ""  # nothing on stderr
    started = next(d for d in lines if d["message"].startswith("kamproxy started"))
    assert (started["level"], started["module"]) == ("NOTICE", "core")
    call = next(d for d in lines if d["message"] == "dgram: call core.version ")
    assert (call["level"], call["severity"], call["module"]) == ("DEBUG", 3, "rpc")
    assert {"time", "pid", "task"} <= set(call)


def test_an_unreachable_syslog_stops_the_start(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "proxy.main", "-Y", str(tmp_path / "run"), "--rpc-http", "off",
         "--syslog", str(tmp_path / "no-syslog")],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=str(ROOT),
    )  # fmt: skip
    assert done.returncode == 1
    assert "kamproxy: cannot start: cannot log to syslog at" in done.stderr
    assert "no syslog daemon listens there" in done.stderr
