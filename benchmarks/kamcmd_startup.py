"""Start-up cost of kamcmd: median wall time of a one-shot call and of ``--help``.

Run with the real interpreter (not a pyenv shim, which adds a bash start-up):

    /root/.pyenv/versions/3.11.7/bin/python3 benchmarks/kamcmd_startup.py [--runs N]

Starts a kamproxy on a private runtime dir and times, interleaved round by round:

* ``python -c pass`` (the interpreter's own start, for reference),
* ``kamcmd -s unix:SOCK core.version`` against kamproxy,
* ``kamcmd --help``,
* where /usr/sbin/kamailio and /usr/sbin/kamcmd exist: a throw-away Kamailio 5.6 on
  loopback, the C ``kamcmd`` over binrpc and our ``kamcmd`` over its jsonrpcs socket.

Prints a markdown table (median, min and max in milliseconds).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.proxy import KamproxyProcess, free_port  # noqa: E402

MAX_RUNS = 200
#: Children may cache bytecode (as an installed package has it); the first run writes it.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
KAMAILIO = "/usr/sbin/kamailio"
C_KAMCMD = "/usr/sbin/kamcmd"

KAMAILIO_CFG = """#!KAMAILIO
debug=1
log_stderror=yes
fork=yes
children=1
disable_tcp=yes
auto_aliases=no
listen=udp:127.0.0.1:{port}
loadmodule "jsonrpcs.so"
loadmodule "ctl.so"
loadmodule "sl.so"
modparam("jsonrpcs", "transport", 4)
modparam("jsonrpcs", "dgram_socket", "{run}/kamailio_rpc.sock")
modparam("ctl", "binrpc", "unix:{run}/kamailio_ctl")
request_route {{ sl_send_reply("404", "Not here"); exit; }}
"""


def our_kamcmd() -> list[str]:
    """The installed console script beside this interpreter, else the same import by -c."""
    script = Path(sys.executable).parent / "kamcmd"
    text = script.read_bytes() if script.is_file() else b""
    if text.startswith(b"#!/") and b"kamctl" in text:
        return [sys.executable, str(script)]
    code = "import sys; from kamctl.kamcmd import main; sys.exit(main())"
    return [sys.executable, "-c", code]


class Kamailio:
    """A minimal Kamailio 5.6: ctl (binrpc) and jsonrpcs datagram sockets in ``run``."""

    def __init__(self, run: Path) -> None:
        self.run = run
        self.cfg = run / "kamailio.cfg"
        self.pid_file = run / "kamailio.pid"
        self.cfg.write_text(KAMAILIO_CFG.format(port=free_port(), run=run))
        self.ctl = run / "kamailio_ctl"
        self.sock = run / "kamailio_rpc.sock"

    def start(self) -> Kamailio:
        args = [KAMAILIO, "-f", str(self.cfg), "-P", str(self.pid_file), "-Y", str(self.run)]
        args += ["-w", str(self.run), "-m", "32", "-M", "4"]
        with open(self.run / "kamailio.log", "ab") as log:
            subprocess.run(args, stdout=log, stderr=log, check=True, timeout=20)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.ctl.exists() and self.sock.exists() and self.pid_file.exists():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"Kamailio did not come up; see {self.run / 'kamailio.log'}")

    def stop(self) -> None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)


def check(cmd: list[str]) -> None:
    """Run once; a failing command would make its timings meaningless."""
    done = subprocess.run(cmd, capture_output=True, timeout=30, env=ENV)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode()}")


def time_rounds(cases: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """Wall times per case, the cases interleaved so load changes hit all alike."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, cmd in cases.items():
            start = time.perf_counter()
            # no timeout here: Popen.wait(timeout) polls with sleeps of up to 50 ms,
            # which would be measured too (check() ran each command once already)
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
            times[name].append(time.perf_counter() - start)
    return times


def table(times: dict[str, list[float]], runs: int) -> str:
    """Median, min and max per case, and the median above the interpreter's own start."""
    base = statistics.median(next(iter(times.values()))) * 1000
    lines = [
        f"| command ({runs} runs, {os.cpu_count()} CPUs) | median ms | min ms | max ms "
        "| median above `python -c pass` |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, values in times.items():
        ms = [v * 1000 for v in values]
        median = statistics.median(ms)
        lines.append(
            f"| {name} | {median:.1f} | {min(ms):.1f} | {max(ms):.1f} | {median - base:+.1f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=30, help=f"rounds (1..{MAX_RUNS})")
    runs = max(1, min(MAX_RUNS, parser.parse_args().runs))
    ours = our_kamcmd()
    base = Path(tempfile.mkdtemp(prefix="kb-", dir="/tmp"))  # short: socket paths
    proxy = KamproxyProcess(base / "kp", args=["-d", "2"])
    kamailio: Kamailio | None = None
    try:
        proxy.start()
        cases = {
            "`python -c pass` (interpreter start)": [sys.executable, "-c", "pass"],
            "`kamcmd -s unix:SOCK core.version` (kamproxy)": [
                *ours,
                "-s",
                f"unix:{proxy.sock}",
                "core.version",
            ],
            "`kamcmd --help`": [*ours, "--help"],
        }
        if os.path.exists(KAMAILIO) and os.path.exists(C_KAMCMD):
            run = base / "k"
            run.mkdir()
            kamailio = Kamailio(run).start()
            cases["C `kamcmd` binrpc `core.version` (Kamailio 5.6)"] = [
                C_KAMCMD,
                "-s",
                f"unix:{kamailio.ctl}",
                "core.version",
            ]
            cases["our `kamcmd` jsonrpcs dgram `core.version` (Kamailio 5.6)"] = [
                *ours,
                "-s",
                f"unix:{kamailio.sock}",
                "core.version",
            ]
        for cmd in cases.values():
            check(cmd)
        print(table(time_rounds(cases, runs), runs))
    finally:
        if kamailio is not None:
            kamailio.stop()
        proxy.stop()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
