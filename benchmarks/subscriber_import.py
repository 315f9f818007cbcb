"""Benchmark: ``kamctl subscriber import`` of many users, and ``kamctl add`` latency.

Run: ``python benchmarks/subscriber_import.py [--users 100000] [--runs 15]``. Not a test.
Everything runs as real subprocesses on SQLite files in a temporary directory:

* ``kamctl subscriber import`` of ``--users`` users (CSV with cleartext passwords: every
  row gets its MD5, SHA-256 and SHA-512-256 hashes), into a new database;
* ``kamctl add`` latency (median of ``--runs`` runs, each a new process, as an operator
  runs it), on a database that already holds the imported users;
* beside it, Debian's Kamailio 5.6 ``/usr/sbin/kamctl add`` on a database made by its
  ``kamdbctl create``, when installed. Kamailio's kamctl has no bulk import: loading N
  users means N ``kamctl add`` runs, so its import time is extrapolated from the median.

Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KAMCTL_DEBIAN = "/usr/sbin/kamctl"
KAMDBCTL_DEBIAN = "/usr/sbin/kamdbctl"
MAX_USERS = 1_000_000
MAX_RUNS = 200


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAMCTL_")}
    for name in ("SIP_DOMAIN", "DBENGINE", "DB_PATH", "STORE_PLAINTEXT_PW"):
        env.pop(name, None)
    env["HOME"] = str(home)
    return env


def _kamctl(*args: str) -> list[str]:
    """Our kamctl, started the way the console script starts it."""
    code = "import sys; from kamctl.cli import main; sys.exit(main())"
    return [sys.executable, "-c", code, "-s", "unix:/nonexistent/kamproxy.sock", *args]


def _run(cmd: list[str], env: dict[str, str], stdin: str | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, input=stdin, capture_output=True, text=True, timeout=3600)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:6])}... failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def _write_csv(path: Path, users: int) -> None:
    with path.open("w") as out:
        out.write("username,domain,password\n")
        for i in range(users):
            out.write(f"user{i:07d},example.com,pw-{i}\n")


def bench_import(work: Path, env: dict[str, str], users: int) -> tuple[float, str]:
    csv_path = work / "users.csv"
    _write_csv(csv_path, users)
    url = f"sqlite:///{work}/import.sqlite"
    elapsed = _run(_kamctl("--db", url, "subscriber", "import", str(csv_path)), env)
    return elapsed, url


def bench_add(url: str, env: dict[str, str], runs: int) -> list[float]:
    times = []
    for i in range(runs):
        times.append(_run(_kamctl("--db", url, "add", f"new{i}@example.com", f"pw{i}", "-q"), env))
    return times


def bench_debian_add(work: Path, home: Path, runs: int) -> list[float] | None:
    if not (os.access(KAMCTL_DEBIAN, os.X_OK) and os.access(KAMDBCTL_DEBIAN, os.X_OK)):
        return None
    if shutil.which("sqlite3") is None:
        return None
    db = work / "kamailio-made.sqlite"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "DBENGINE": "SQLITE",
        "DB_PATH": str(db),
        "INSTALL_EXTRA_TABLES": "no",
        "INSTALL_PRESENCE_TABLES": "no",
        "INSTALL_DBUID_TABLES": "no",
    }
    _run([KAMDBCTL_DEBIAN, "create"], env, stdin="y\ny\n")
    return [_run([KAMCTL_DEBIAN, "add", f"new{i}@example.com", f"pw{i}"], env) for i in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000, help="users to import")
    parser.add_argument("--runs", type=int, default=15, help="kamctl add runs (median)")
    args = parser.parse_args()
    users = max(1, min(args.users, MAX_USERS))
    runs = max(1, min(args.runs, MAX_RUNS))
    work = Path(tempfile.mkdtemp(prefix="kamctl-bench-"))
    try:
        home = work / "home"
        home.mkdir()
        env = _env(home)
        imported, url = bench_import(work, env, users)
        ours = bench_add(url, env, runs)
        theirs = bench_debian_add(work, home, runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ours_median = statistics.median(ours)
    print(f"SQLite, {users:,} users imported, `kamctl add` median of {runs} runs\n")
    print("| measurement | kamctl | Kamailio 5.6 kamctl |")
    print("|---|---|---|")
    if theirs:
        theirs_median = statistics.median(theirs)
        their_import = f"{theirs_median * users:,.0f} s (extrapolated: {users:,} × `kamctl add`)"
        their_add = f"{theirs_median * 1000:.0f} ms"
    else:
        their_import = their_add = "not installed"
    print(
        f"| `subscriber import` of {users:,} users | {imported:.1f} s "
        f"({users / imported:,.0f} users/s) | {their_import} |"
    )
    print(f"| `add` latency (median) | {ours_median * 1000:.0f} ms | {their_add} |")
    print(
        f"| `add` latency (min / max) | {min(ours) * 1000:.0f} / {max(ours) * 1000:.0f} ms | "
        + (
            f"{min(theirs) * 1000:.0f} / {max(theirs) * 1000:.0f} ms |"
            if theirs
            else "not installed |"
        )
    )


if __name__ == "__main__":
    main()
