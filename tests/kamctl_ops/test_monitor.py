"""kamctl monitor: one snapshot (text, JSON, not on a terminal), sections a proxy cannot
give, rates, and the live view through a pseudo-terminal (bounded by --count, q, Ctrl-C)."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kamctl.monitor.snapshot import Collector
from rpc.client import connect
from tests.kamcmd.ptyrun import PtyProcess
from tests.kamcmd.support import KAMCTL_ENTRY, Fault, RecordingServer, env_for
from tests.kamctl_ops.support import NO_METHOD, Kamctl
from tests.support.proxy import KamproxyProcess

LABELS = ("uptime", "requests", "replies", "transactions", "registrations", "memory")


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KamproxyProcess]:
    base = tmp_path_factory.mktemp("kpm")
    proc = KamproxyProcess(base, args=["--db", f"sqlite:///{base}/k.sqlite"]).start()
    try:
        yield proc
    finally:
        proc.stop()


def _minimal(recorder: RecordingServer, **extra: Any) -> None:
    """A proxy with the core only: uptime, version, core statistics; nothing else."""
    missing = Fault(*NO_METHOD)
    recorder.table.update(
        {
            "core.uptime": {"now": "now", "up_since": "then", "uptime": 100},
            "core.version": "mini 1.0 ",
            "stats.get_statistics": [
                "core:rcv_requests = 50",
                "core:fwd_requests = 40",
                "core:rcv_replies = 20",
            ],
            "tm.stats": missing,
            "core.shmmem": missing,
            "corex.debug": missing,
        }
    )
    recorder.table.update(extra)


def test_once_against_kamproxy(kamctl: Kamctl, proxy: KamproxyProcess) -> None:
    done = kamctl("-s", f"unix:{proxy.sock}", "monitor", "--once")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("kamproxy ") and f"unix:{proxy.sock}" in lines[0]
    labels = [line.split("  ")[0] for line in lines[1:-1]]
    assert labels == [*LABELS, "debug level"]
    assert re.search(r"^requests +\d+ received", done.stdout, re.M)
    assert re.search(r"^debug level +0 \(WARNING\)$", done.stdout, re.M)
    assert lines[-1].startswith("rates: ")


def test_not_a_terminal_prints_one_snapshot(kamctl: Kamctl, proxy: KamproxyProcess) -> None:
    done = kamctl("-s", f"unix:{proxy.sock}", "monitor", "-i", "0.1", timeout=30)
    assert done.returncode == 0
    assert done.stdout.count("\nuptime ") == 1


def test_json_snapshot(kamctl: Kamctl, proxy: KamproxyProcess) -> None:
    code, snap = kamctl.json("-s", f"unix:{proxy.sock}", "monitor")
    assert code == 0
    assert set(snap) >= {"address", "server", "time", "rate_basis", "unavailable", *LABELS}
    assert snap["uptime"]["seconds"] >= 0 and snap["memory"]["total"] > 0
    assert snap["requests"]["received"] >= 0 and snap["debug"] == {"level": 0, "name": "WARNING"}


def test_missing_methods_show_na(kamctl: Kamctl, recorder: RecordingServer) -> None:
    _minimal(recorder)
    done = kamctl("-s", recorder.address, "monitor", "--once")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "transactions   n/a (tm.stats: no such method)" in out
    assert "registrations  n/a (no usrloc or registrar statistics)" in out
    assert "memory         n/a (core.shmmem: no such method; no shmem: statistics)" in out
    assert "debug level    n/a (corex.debug: no such method)" in out
    assert "50 received (0.50/s), 40 forwarded" in out  # average since start: 50 / 100 s
    code, snap = kamctl.json("-s", recorder.address, "monitor")
    assert code == 0 and snap["transactions"] is None and snap["memory"] is None
    assert set(snap["unavailable"]) == {"transactions", "registrations", "memory", "debug"}


def test_memory_falls_back_to_shmem_statistics(kamctl: Kamctl, recorder: RecordingServer) -> None:
    _minimal(
        recorder,
        **{
            "stats.get_statistics": [
                "core:rcv_requests = 1",
                "shmem:total_size = 1000",
                "shmem:real_used_size = 250",
                "shmem:used_size = 200",
                "shmem:max_used_size = 300",
                "shmem:free_size = 750",
            ],
            "tm.stats": Fault(500, "tm busy"),
        },
    )
    code, snap = kamctl.json("-s", recorder.address, "monitor")
    assert code == 0
    assert snap["memory"]["source"] == "shmem: statistics"
    assert snap["memory"]["used_percent"] == 25.0
    assert snap["unavailable"]["transactions"] == "tm.stats: 500 - tm busy"


def test_rates_between_snapshots(recorder: RecordingServer) -> None:
    counter = {"n": 0}

    def stats(_params: Any) -> list[str]:
        counter["n"] += 30
        return [f"core:rcv_requests = {counter['n']}", "core:rcv_replies = 0"]

    _minimal(recorder, **{"stats.get_statistics": stats})
    with connect(recorder.address) as client:
        collector = Collector(client, recorder.address)
        first = collector.take().data
        second = collector.take().data
    assert first["rate_basis"] == "average since start"
    assert first["requests"]["rate"] == pytest.approx(30 / 100)
    assert second["rate_basis"].startswith("last ")
    assert second["requests"]["rate"] > 0  # 30 more requests within the interval
    assert second["replies"]["received_rate"] == 0


def test_unreachable_once_is_an_error(kamctl: Kamctl, short_dir: Path) -> None:
    done = kamctl("-s", f"unix:{short_dir}/none.sock", "monitor", "--once")
    assert done.returncode == 3 and done.stdout == ""
    assert "does not exist" in done.stderr


# -- the live view, through a pseudo-terminal ----------------------------------------------


def _live(home: Path, *args: str) -> PtyProcess:
    env = env_for(home, {"COLUMNS": "120", "LINES": "40", "TERM": "xterm"})
    return PtyProcess([sys.executable, "-c", KAMCTL_ENTRY, *args], env, str(home))


CAPTION = "q or Ctrl-C quits"


def test_live_stops_after_count(home: Path, proxy: KamproxyProcess) -> None:
    term = _live(home, "-s", f"unix:{proxy.sock}", "monitor", "-i", "0.2", "--count", "3")
    try:
        assert term.wait(20) == 0
    finally:
        term.close()
    text = term.output.decode("utf-8", "replace")
    assert 3 <= text.count(CAPTION) <= 4  # three refreshes; rich draws the last one again
    assert "transactions" in text and "kamproxy" in text


def test_live_quits_on_q(home: Path, proxy: KamproxyProcess) -> None:
    term = _live(home, "-s", f"unix:{proxy.sock}", "monitor", "-i", "30")
    try:
        term.expect(CAPTION, timeout=20)
        term.send("q")
        assert term.wait(10) == 0  # well before the next refresh in 30 s
    finally:
        term.close()


def test_live_quits_on_ctrl_c(home: Path, proxy: KamproxyProcess) -> None:
    term = _live(home, "-s", f"unix:{proxy.sock}", "monitor", "-i", "30")
    try:
        term.expect(CAPTION, timeout=20)
        term.send("\x03")
        assert term.wait(10) == 0
    finally:
        term.close()
    assert b"Traceback" not in term.output


def test_live_keeps_asking_an_unreachable_proxy(home: Path, short_dir: Path) -> None:
    term = _live(
        home, "-s", f"unix:{short_dir}/none.sock", "monitor", "-i", "0.2", "--count", "2"
    )
    try:
        assert term.wait(20) == 0
    finally:
        term.close()
    text = term.output.decode("utf-8", "replace")
    assert text.count("does not exist") >= 2 and "asking again every 0.2 s" in text
