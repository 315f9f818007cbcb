"""Kamailio levels, line formats and targets (proxy.log), following core.debug live."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from proxy import log
from proxy.cfg.catalog import new_params
from tests.cfg.rpchelp import CfgServer


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)


@pytest.fixture
def short_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="kl", dir="/tmp"))  # UNIX socket paths are short
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_levels_map_both_ways() -> None:
    assert [log.level_name(n) for n in range(-5, 4)] == [
        "ALERT", "BUG", "CRITICAL", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG",
    ]  # fmt: skip
    for level in range(-5, 4):
        assert log.from_logging(log.to_logging(level)) == level
    assert log.to_logging(9) == logging.DEBUG and log.to_logging(-9) == log.LEVELS[-5][0]
    assert log.from_logging(logging.CRITICAL) == log.L_CRIT


def _record(name: str, level: int, msg: str) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, None, None)


def test_text_line_has_time_pid_task_level_and_module() -> None:
    line = log.TextFormatter().format(_record("tm", logging.INFO, "hello"))
    assert line.endswith(f" [{os.getpid()}/main] INFO: <tm> hello")
    assert line[:4].isdigit() and line[10] == " " and line[19] == "."  # 2024-11-28 22:40:01.123
    crit = log.TextFormatter().format(_record("core", logging.CRITICAL, "no prefix"))
    assert crit.endswith("] <core> no prefix")  # Kamailio's -2: no prefix


def test_task_name_is_the_asyncio_task() -> None:
    async def inside() -> str:
        return log.TextFormatter().format(_record("rpc", logging.DEBUG, "x"))

    async def main() -> str:
        return await asyncio.create_task(inside(), name="fifo-server")

    assert f"[{os.getpid()}/fifo-server] DEBUG: <rpc> x" in asyncio.run(main())


def test_json_line() -> None:
    doc = json.loads(log.JsonFormatter().format(_record("cfg", 25, "changed")))
    assert doc["level"] == "NOTICE" and doc["severity"] == 1
    assert doc["module"] == "cfg" and doc["message"] == "changed"
    assert doc["pid"] == os.getpid() and doc["task"] == "main"
    assert "T" in doc["time"]


def test_file_target_follows_core_debug_at_the_next_line(tmp_path: Path) -> None:
    params = new_params()
    path = tmp_path / "k.log"
    log.setup(log.LogOptions("file", str(path)), params)
    rpc = logging.getLogger("rpc")
    rpc.debug("hidden at 0")
    rpc.warning("shown at 0")
    params.set("core", "debug", 3)
    rpc.debug("shown at 3")
    params.set("core", "debug", 0)
    rpc.debug("hidden again")
    text = path.read_text()
    assert "shown at 0" in text and "shown at 3" in text
    assert "hidden" not in text
    assert "INFO: <cfg> core.debug changed from 0 to 3 (rpc)" in text


def test_rpc_calls_are_logged_at_debug_3_only(tmp_path: Path) -> None:
    server = CfgServer()
    path = tmp_path / "k.log"
    log.setup(log.LogOptions("file", str(path), json=True), server.params)
    server.call("cfg.get", "core", "debug")
    assert "call cfg.get" not in path.read_text()
    server.call("corex.debug", 3)
    server.call("cfg.list", "tcp")
    server.call("corex.debug", 0)
    server.call("cfg.get", "tcp")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    calls = [(d["level"], d["message"]) for d in lines if d["module"] == "rpc"]
    # the call that raises the level is logged before it runs: still at 0, so not shown
    assert calls == [
        ("DEBUG", "rpc: call cfg.list ['tcp']"),
        ("DEBUG", "rpc: call corex.debug [0]"),
    ]


def _syslog_socket(directory: Path) -> tuple[socket.socket, str]:
    path = str(directory / "log.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(5)
    return sock, path


def test_syslog_target_uses_core_log_facility(short_dir: Path) -> None:
    params = new_params()
    sock, path = _syslog_socket(short_dir)
    with sock:
        log.setup(log.LogOptions("syslog", path), params)
        logging.getLogger("core").warning("first")
        first = sock.recv(4096).decode()
        params.set("core", "log_facility", "LOG_LOCAL0")
        logging.getLogger("core").error("second")
        second = sock.recv(4096).decode()
    # <PRI> = facility * 8 + severity: daemon(3)/warning(4) = 28, local0(16)/err(3) = 131
    assert first.startswith(f"<28>kamproxy[{os.getpid()}]: WARNING: <core> [main] first")
    assert second.startswith("<131>") and "ERROR: <core> [main] second" in second


def test_unusable_targets_are_reported(tmp_path: Path) -> None:
    with pytest.raises(log.LogSetupError, match="cannot open log file .*No such file"):
        log.setup(log.LogOptions("file", str(tmp_path / "no" / "dir.log")), new_params())
    with pytest.raises(log.LogSetupError, match="cannot log to syslog at .*nosock"):
        log.setup(log.LogOptions("syslog", str(tmp_path / "nosock")), new_params())


def test_announce_prints_whatever_the_level(tmp_path: Path) -> None:
    params = new_params()
    params.set("core", "debug", -5)
    path = tmp_path / "k.log"
    log.setup(log.LogOptions("file", str(path)), params)
    logging.getLogger("core").error("not at -5")
    log.announce(logging.getLogger("core"), "kamproxy started: %s", "x")
    assert path.read_text().splitlines()[-1].endswith("NOTICE: <core> kamproxy started: x")
    assert "not at -5" not in path.read_text()


def test_module_logger_with_kamailio_names(tmp_path: Path) -> None:
    params = new_params()
    path = tmp_path / "k.log"
    log.setup(log.LogOptions("file", str(path)), params)
    tm = log.get_logger("tm")
    assert tm.enabled(log.L_WARN) and not tm.enabled(log.L_NOTICE)
    tm.notice("hidden")
    tm.dbg("hidden")
    params.set("core", "debug", 1)
    tm.notice("a notice")
    tm.err("an error")
    tm.alert("an alert")
    tm.bug("a bug")
    tm.crit("critical")
    tm.warn("a warning")
    tm.info("hidden info")
    text = path.read_text()
    for expected in (
        "NOTICE: <tm> a notice",
        "ERROR: <tm> an error",
        "ALERT: <tm> an alert",
        "BUG: <tm> a bug",
        "CRITICAL: <tm> critical",
        "WARNING: <tm> a warning",
    ):
        assert expected in text
    assert "hidden" not in text
