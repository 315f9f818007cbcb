"""kamctl doctor: a healthy proxy passes; each check made to fail says why and how to fix."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rpc.address import PID_NAME
from tests.kamcmd.support import Fault, RecordingServer, env_for
from tests.kamctl_ops.support import NO_METHOD, Kamctl, proxy_args
from tests.support.proxy import KamproxyProcess


class Started:
    """A kamproxy started with ``kamctl start`` and its created SQLite database."""

    def __init__(self, kamctl: Kamctl, runtime_dir: Path) -> None:
        self.kamctl = kamctl
        self.dir = runtime_dir
        self.db_path = runtime_dir.parent / "k.sqlite"
        self.db = f"sqlite:///{self.db_path}"
        done = kamctl("start", "-Y", str(runtime_dir), "--", *proxy_args(self.db_path))
        assert done.returncode == 0, done.stderr
        created = kamctl("--db", self.db, "db", "create")
        assert created.returncode == 0, created.stderr

    @property
    def sock(self) -> str:
        return f"unix:{self.dir}/kamailio_rpc.sock"

    def doctor(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, Any]:
        return self.kamctl.json("--db", self.db, *args, "doctor", "-Y", str(self.dir), env=env)


@pytest.fixture
def started(kamctl: Kamctl, runtime_dir: Path) -> Iterator[Started]:
    proxy = Started(kamctl, runtime_dir)
    try:
        yield proxy
    finally:
        kamctl("stop", "-Y", str(runtime_dir), "--force", "--wait", "5")


def by_check(report: dict[str, Any], check: str) -> list[dict[str, Any]]:
    return [c for c in report["checks"] if c["check"] == check]


def one(report: dict[str, Any], check: str) -> dict[str, Any]:
    (found,) = by_check(report, check)
    return found


def test_a_healthy_proxy_passes(started: Started) -> None:
    code, report = started.doctor()
    assert code == 0 and report["ok"] is True, report
    assert one(report, "process")["status"] == "pass"
    rpc = by_check(report, "rpc")
    assert [c["status"] for c in rpc] == ["pass", "pass", "pass"]
    assert [c["subject"].split(":")[0] for c in rpc] == ["unix", "fifo", "http"]
    for check in ("database", "schema", "sockets", "aliases", "debug", "memory"):
        assert one(report, check)["status"] == "pass", one(report, check)
    assert one(report, "domains")["status"] in ("pass", "warn", "skip")
    assert report["summary"]["fail"] == 0
    text = started.kamctl("--db", started.db, "doctor", "-Y", str(started.dir))
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    assert lines[0].startswith("kamctl doctor: RPC unix:")
    assert lines[1].startswith("[PASS] process: kamproxy is running: pid ")
    assert lines[-1].endswith("0 failed, 0 skipped")


def test_missing_fifo_named_explicitly_fails(started: Started) -> None:
    missing = started.dir / "none.fifo"
    code, report = started.doctor("-s", f"fifo:{missing}")
    assert code == 1 and report["ok"] is False
    (rpc,) = by_check(report, "rpc")
    assert rpc["status"] == "fail"
    assert rpc["message"] == f"FIFO {missing} does not exist: the proxy is not serving it"
    assert "kamctl start" in rpc["fix"]
    text = started.kamctl("--db", started.db, "-s", f"fifo:{missing}", "doctor")
    assert text.returncode == 1
    assert f"[FAIL] rpc fifo:{missing}: FIFO {missing} does not exist" in text.stdout
    assert "       fix: start the proxy (`kamctl start`)" in text.stdout


def test_missing_fifo_among_the_defaults_warns(started: Started) -> None:
    os.unlink(started.dir / "kamailio_rpc.fifo")
    code, report = started.doctor()
    fifo = [c for c in by_check(report, "rpc") if c["subject"].startswith("fifo:")]
    assert fifo[0]["status"] == "warn"
    assert fifo[0]["message"].endswith("(another transport answers)")
    assert code == 0


def test_a_file_that_is_not_a_fifo_fails(started: Started) -> None:
    plain = started.dir.parent / "plain"
    plain.write_text("")
    code, report = started.doctor("-s", f"fifo:{plain}")
    assert code == 1
    assert by_check(report, "rpc")[0]["message"] == f"{plain} exists but is not a FIFO"


def test_proxy_not_running(kamctl: Kamctl, tmp_path: Path, short_dir: Path) -> None:
    empty = short_dir / "run"
    empty.mkdir()
    db = tmp_path / "k.sqlite"
    assert kamctl("--db", f"sqlite:///{db}", "db", "create").returncode == 0
    args = ["--db", f"sqlite:///{db}", "-s", f"unix:{empty}/kamailio_rpc.sock"]
    code, report = kamctl.json(*args, "doctor", "-Y", str(empty))
    assert code == 1
    process = one(report, "process")
    assert process["status"] == "fail"
    assert process["message"].startswith(f"the proxy is not running: no pid file in {empty}")
    assert "kamctl start" in process["fix"]
    assert one(report, "rpc")["status"] == "fail"
    for check in ("sockets", "aliases", "domains", "debug", "memory"):
        assert one(report, check)["status"] == "skip"
        assert one(report, check)["message"].startswith("no RPC address answers")
    assert one(report, "schema")["status"] == "pass"


def test_stale_pid_file(kamctl: Kamctl, short_dir: Path) -> None:
    run = short_dir / "run"
    run.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(10)
    (run / PID_NAME).write_text(f"{dead.pid}\n")
    code, report = kamctl.json("-s", f"unix:{run}/x.sock", "doctor", "-Y", str(run))
    assert code == 1
    process = one(report, "process")
    assert process["status"] == "fail"
    assert f"left by pid {dead.pid}" in process["message"]


def test_database_unreachable(started: Started) -> None:
    url = "sqlite:////nonexistent-kamctl-dir/k.sqlite"
    code, report = started.kamctl.json("--db", url, "doctor", "-Y", str(started.dir))
    assert code == 1
    (db,) = by_check(report, "database")
    assert db["status"] == "fail" and "does not exist" in db["message"]
    assert db["fix"] and not by_check(report, "schema")


def test_database_url_unusable(started: Started) -> None:
    code, report = started.kamctl.json("--db", "nosuch://x", "doctor", "-Y", str(started.dir))
    assert code == 1
    assert one(report, "database")["message"].startswith("the database URL cannot be used")


def test_schema_version_mismatch_and_missing_rows(started: Started) -> None:
    with sqlite3.connect(started.db_path) as conn:
        conn.execute("UPDATE version SET table_version = 6 WHERE table_name = 'subscriber'")
    code, report = started.doctor()
    assert code == 1
    schema = one(report, "schema")
    assert schema["status"] == "fail"
    assert "subscriber 6 (expected 7)" in schema["message"]
    assert schema["details"]["wrong"] == {"subscriber": {"found": 6, "expected": 7}}
    with sqlite3.connect(started.db_path) as conn:
        conn.execute("UPDATE version SET table_version = 7 WHERE table_name = 'subscriber'")
        conn.execute("DELETE FROM version WHERE table_name = 're_grp'")
    code, report = started.doctor()
    schema = one(report, "schema")
    assert schema["status"] == "warn" and schema["details"]["missing"] == ["re_grp"]
    assert code == 0


def test_no_version_table(started: Started) -> None:
    with sqlite3.connect(started.db_path) as conn:
        conn.execute("DROP TABLE version")
    code, report = started.doctor()
    assert code == 1
    assert one(report, "schema")["message"].startswith("no version table")


def test_debug_level_3_warns(started: Started) -> None:
    assert started.kamctl("-s", started.sock, "debug", "3").returncode == 0
    code, report = started.doctor()
    debug = one(report, "debug")
    assert debug["status"] == "warn" and "debug level 3" in debug["message"]
    assert "kamctl debug 0" in debug["fix"]
    assert code == 0  # a warning is not a failure


# -- what the proxy reports, from a recording server ----------------------------------------

UDP_ANY = {"PROTO": "udp", "NAME": "0.0.0.0", "ADDRLIST": {"ADDR": "0.0.0.0"}, "PORT": "5060",
           "MCAST": "no", "MHOMED": "no", "VIRTUAL": "no", "SOCKNAME": "-", "ADVERTISE": "-"}


def _serve(recorder: RecordingServer, **table: Any) -> None:
    base: dict[str, Any] = {
        "core.version": "fake 1.0",
        "corex.list_sockets": [UDP_ANY],
        "corex.list_aliases": [],
        "domain.dump": {"domains": [{"domain": "example.com", "did": "example.com"}]},
        "corex.debug": {"debug": 1},
        "core.shmmem": {"total": 1000, "real_used": 100, "used": 90, "free": 900,
                        "max_used": 120, "fragments": 1},
    }
    base.update(table)
    recorder.table.update(base)


def _doctor(kamctl: Kamctl, recorder: RecordingServer, short_dir: Path) -> tuple[int, Any]:
    db = short_dir / "k.sqlite"
    if not db.exists():
        assert kamctl("--db", f"sqlite:///{db}", "db", "create").returncode == 0
    run = short_dir / "run"
    run.mkdir(exist_ok=True)
    return kamctl.json(
        "--db", f"sqlite:///{db}", "-s", recorder.address, "doctor", "-Y", str(run)
    )


def test_wildcard_listener_without_aliases_warns(
    kamctl: Kamctl, recorder: RecordingServer, short_dir: Path
) -> None:
    _serve(recorder)
    code, report = _doctor(kamctl, recorder, short_dir)
    aliases = one(report, "aliases")
    assert aliases["status"] == "warn" and "udp:0.0.0.0:5060" in aliases["message"]
    assert "relayed, to itself" in aliases["message"] and "advertise" in aliases["fix"]
    assert code == 0
    assert one(report, "process")["status"] == "skip"  # answers, but no kamproxy pid file


@pytest.mark.parametrize(
    "table",
    [
        {"corex.list_aliases": [{"PROTO": "*", "ADDR": "sip.example.com", "PORT": 0}]},
        {"corex.list_sockets": [{**UDP_ANY, "ADVERTISE": "203.0.113.1:5060"}]},
    ],
)
def test_aliases_or_advertised_address_pass(
    kamctl: Kamctl, recorder: RecordingServer, short_dir: Path, table: dict[str, Any]
) -> None:
    _serve(recorder, **table)
    _code, report = _doctor(kamctl, recorder, short_dir)
    assert one(report, "aliases")["status"] == "pass"


def test_no_sockets_fails(kamctl: Kamctl, recorder: RecordingServer, short_dir: Path) -> None:
    _serve(recorder, **{"corex.list_sockets": []})
    code, report = _doctor(kamctl, recorder, short_dir)
    assert code == 1 and one(report, "sockets")["status"] == "fail"


@pytest.mark.parametrize(("used", "status", "code"), [(800, "warn", 0), (950, "fail", 1)])
def test_memory_use(
    kamctl: Kamctl, recorder: RecordingServer, short_dir: Path, used: int, status: str, code: int
) -> None:
    _serve(recorder, **{"core.shmmem": {"total": 1000, "real_used": used}})
    got, report = _doctor(kamctl, recorder, short_dir)
    memory = one(report, "memory")
    assert (memory["status"], got) == (status, code)
    assert memory["details"]["percent"] == used / 10


def test_no_local_domains_warns(
    kamctl: Kamctl, recorder: RecordingServer, short_dir: Path
) -> None:
    _serve(recorder, **{"domain.dump": Fault(404, "Server Domain Cache Empty")})
    _code, report = _doctor(kamctl, recorder, short_dir)
    domains = one(report, "domains")
    assert domains["status"] == "warn" and "kamctl domain add" in domains["fix"]


def test_missing_methods_are_skipped_not_crashes(
    kamctl: Kamctl, recorder: RecordingServer, short_dir: Path
) -> None:
    missing = Fault(*NO_METHOD)
    names = ("corex.list_sockets", "core.sockets_list", "corex.list_aliases", "domain.dump",
             "corex.debug", "core.shmmem", "stats.get_statistics")
    _serve(recorder, **{name: missing for name in names})
    code, report = _doctor(kamctl, recorder, short_dir)
    for check in ("sockets", "aliases", "domains", "debug", "memory"):
        assert one(report, check)["status"] == "skip", one(report, check)
    assert code == 0


# -- permissions: another user (root passes every access check) ------------------------------

AS_NOBODY = r"""
import contextlib, io, os, sys
from kamctl.cli import main
args = sys.argv[1:]
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    main(args)  # as root first: imports every module this run needs
os.setgroups([])
os.setgid(65534)
os.setuid(65534)
sys.exit(main(args))
"""


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory uid 65534 may enter (pytest's tmp dirs are private)."""
    path = Path(tempfile.mkdtemp(prefix="kd", dir="/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _doctor_as_nobody(home: Path, cwd: Path, *args: str, env: dict[str, str]) -> dict[str, Any]:
    import json

    if os.geteuid() != 0:
        pytest.skip("needs root to run the check as another user")
    done = subprocess.run(
        [sys.executable, "-c", AS_NOBODY, *args, "doctor", "-F", "json"],
        capture_output=True,
        text=True,
        env=env_for(home, env),
        cwd=str(cwd),
        timeout=60,
    )
    assert done.stdout, done.stderr
    return dict(json.loads(done.stdout))


def _proxy_in(base: Path, config: str) -> KamproxyProcess:
    proxy = KamproxyProcess(base, config=config, args=["--db", f"sqlite:///{base}/k.sqlite"])
    proxy.start()
    proxy.runtime_dir.chmod(0o755)  # made private under /tmp; let others look in
    return proxy


def test_fifo_this_user_may_not_write(home: Path, open_dir: Path) -> None:
    proxy = _proxy_in(open_dir, "")
    try:
        report = _doctor_as_nobody(
            home, open_dir, "-s", f"fifo:{proxy.fifo}", env={"KAMCTL_REPLY_DIR": "/tmp/"}
        )
    finally:
        proxy.stop()
    (rpc,) = by_check(report, "rpc")
    assert rpc["status"] == "fail"
    assert rpc["message"].startswith("nobody (uid 65534) may not write FIFO")
    assert "mode 0660" in rpc["message"] and "group" in rpc["fix"]


def test_reply_dir_this_user_may_not_write(home: Path, open_dir: Path) -> None:
    proxy = _proxy_in(open_dir, 'fifo_mode = "0666"\n')
    try:
        assert oct(proxy.fifo.stat().st_mode & 0o777) == "0o666"
        report = _doctor_as_nobody(
            home,
            open_dir,
            "-s",
            f"fifo:{proxy.fifo}",
            env={"KAMCTL_REPLY_DIR": f"{proxy.reply_dir}/"},
        )
    finally:
        proxy.stop()
    (rpc,) = by_check(report, "rpc")
    assert rpc["status"] == "fail"
    assert rpc["message"] == (
        f"nobody (uid 65534) cannot create a reply FIFO in {proxy.reply_dir}/: "
        "Permission denied"
    )
    assert "reply_dir" in rpc["fix"]


def test_the_same_checks_pass_for_root(kamctl: Kamctl, open_dir: Path) -> None:
    """The guard can fail: as root both checks above pass and the FIFO answers."""
    proxy = _proxy_in(open_dir, "")
    try:
        code, report = kamctl.json(
            "-s", f"fifo:{proxy.fifo}", "doctor", env={"KAMCTL_REPLY_DIR": f"{proxy.reply_dir}/"}
        )
    finally:
        proxy.stop()
    assert one(report, "rpc")["status"] == "pass"
    assert code in (0, 1)  # the database may be missing here; that is another check
