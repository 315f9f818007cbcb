"""core.version requests per second over each RPC transport, 1 and 16 clients.

Starts a kamproxy (and, where Debian's kamailio is installed, a Kamailio 5.6 peer
with jsonrpcs on all three transports) on loopback, then runs client processes that
call ``core.version`` in a loop, bounded by count and time. Prints a markdown table
for docs/performance.md.

    python benchmarks/rpc_throughput.py [--seconds 3] [--max-calls 20000]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rpc.client import ClientOptions, connect  # noqa: E402
from tests.support.kamailio import KAMAILIO, KamailioPeer  # noqa: E402
from tests.support.proxy import KamproxyProcess  # noqa: E402


def _worker(
    address: str, reply_dir: str, seconds: float, max_calls: int, go: Any, out: mp.Queue
) -> None:
    done = errors = 0
    with connect(address, ClientOptions(timeout=5, reply_dir=reply_dir)) as client:
        client.call("core.version")  # connected and warm before the clock starts
        go.wait()
        start = time.monotonic()
        deadline = start + seconds
        while done + errors < max_calls and time.monotonic() < deadline:
            try:
                client.call("core.version")
                done += 1
            except Exception:
                errors += 1
        out.put((done, errors, time.monotonic() - start))


def measure(
    address: str, reply_dir: str, clients: int, seconds: float, max_calls: int
) -> tuple[float, int]:
    """(calls per second, errors) with ``clients`` concurrent client processes.

    Every client connects and makes one call first; the clock starts for all at
    once, so process start-up and imports are not counted.
    """
    queue: mp.Queue = mp.Queue()
    go = mp.Event()
    per_client = max(1, max_calls // clients)
    procs = [
        mp.Process(target=_worker, args=(address, reply_dir, seconds, per_client, go, queue))
        for _ in range(clients)
    ]
    for proc in procs:
        proc.start()
    time.sleep(0.5 + 0.1 * clients)  # let them import and connect
    go.set()
    results = [queue.get(timeout=seconds + 60) for _ in procs]
    for proc in procs:
        proc.join(10)
    total = sum(r[0] for r in results)
    return total / max(r[2] for r in results), sum(r[1] for r in results)


def addresses(fifo: Path, sock: Path, http: str) -> dict[str, str]:
    return {"unix": f"unix:{sock}", "fifo": f"fifo:{fifo}", "http": http}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time bound per run")
    parser.add_argument("--max-calls", type=int, default=20000, help="count bound per run")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="kpb", dir="/tmp"))
    proxy = KamproxyProcess(base).start()
    peer = KamailioPeer().start() if os.access(KAMAILIO, os.X_OK) else None
    rows = []
    try:
        ours = addresses(proxy.fifo, proxy.sock, proxy.http_url)
        theirs = addresses(peer.fifo, peer.sock, peer.http_url) if peer else {}
        for transport in ("unix", "fifo", "http"):
            for clients in (1, 16):
                rate, errors = measure(
                    ours[transport], f"{proxy.reply_dir}/", clients, args.seconds, args.max_calls
                )
                row = [transport, str(clients), f"{rate:,.0f}", str(errors)]
                if peer:
                    k_rate, k_errors = measure(
                        theirs[transport],
                        f"{peer.reply_dir}/",
                        clients,
                        args.seconds,
                        args.max_calls,
                    )
                    row += [
                        f"{k_rate:,.0f}",
                        str(k_errors),
                        f"{rate / k_rate:.2f}" if k_rate else "-",
                    ]
                rows.append(row)
    finally:
        proxy.stop()
        if peer:
            peer.stop()
        shutil.rmtree(base, ignore_errors=True)

    header = ["transport", "clients", "kamproxy calls/s", "errors"]
    if peer:
        header += ["Kamailio 5.6 calls/s", "errors", "ratio"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(
        f"\n{os.cpu_count()} CPUs, {args.seconds} s or {args.max_calls} calls per run, "
        "clients are separate processes using kamctl's rpc.client."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
