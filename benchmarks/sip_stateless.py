"""Stateless SIP requests per second through kamproxy (and Kamailio 5.6 where installed).

Two scenarios over UDP on loopback, each with several client processes that keep a
fixed number of requests in flight (bounded by count and time):

* ``options-self``: OPTIONS to the proxy itself, answered 200 statelessly;
* ``options-relay``: OPTIONS to a user agent behind the proxy (a fast responder process),
  relayed statelessly both ways (kamproxy only: the Kamailio peer's script does not relay).

Every request must get its 200; a lost or wrong answer is a failure and is reported.
Prints a markdown table.

    python benchmarks/sip_stateless.py [--seconds 3] [--max-requests 60000] [--clients 2]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import select
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.kamailio import KAMAILIO, KamailioPeer  # noqa: E402
from tests.support.proxy import KamproxyProcess, free_sip_port  # noqa: E402

LOST_AFTER = 2.0  # seconds without any answer: the requests in flight are lost


def _options(target: str, me: tuple[str, int], n: int, tag: str) -> bytes:
    return (f"OPTIONS {target} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {me[0]}:{me[1]};branch=z9hG4bK{tag}x{n};rport\r\n"
            f"From: <sip:bench@{me[0]}>;tag={tag}\r\nTo: <{target}>\r\n"
            f"Call-ID: {tag}-{n}\r\nCSeq: {n} OPTIONS\r\nMax-Forwards: 70\r\n"
            f"User-Agent: kamctl-bench\r\nContent-Length: 0\r\n\r\n").encode()


def _call_id(data: bytes) -> bytes:
    start = data.find(b"\nCall-ID: ")
    if start < 0:
        return b""
    end = data.find(b"\r", start)
    return data[start + 10:end]


def client(proxy: tuple[str, int], target: str, seconds: float, limit: int, window: int,
           out: mp.Queue) -> None:  # type: ignore[type-arg]
    """Keep ``window`` requests in flight until ``limit`` are sent or time is up."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    me = sock.getsockname()
    tag = os.urandom(4).hex()
    inflight: set[bytes] = set()
    sent = ok = failed = 0
    deadline = time.monotonic() + seconds

    def send_one() -> None:
        nonlocal sent
        sent += 1
        inflight.add(f"{tag}-{sent}".encode())
        sock.sendto(_options(target, me, sent, tag), proxy)

    start = time.monotonic()
    for _ in range(min(window, limit)):
        send_one()
    while inflight:
        ready, _, _ = select.select([sock], [], [], LOST_AFTER)
        if not ready:
            failed += len(inflight)  # lost
            break
        data = sock.recv(65536)
        call_id = _call_id(data)
        if call_id not in inflight:
            continue  # a duplicate
        inflight.discard(call_id)
        if data.startswith(b"SIP/2.0 200 "):
            ok += 1
        else:
            failed += 1
        if sent < limit and time.monotonic() < deadline:
            send_one()
    out.put((ok, failed, time.monotonic() - start))
    sock.close()


def responder(port_out: mp.Queue, stop: mp.Event) -> None:  # type: ignore[type-arg]
    """A fast UAS: answers every request 200, copying Via/From/To/Call-ID/CSeq."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    port_out.put(sock.getsockname()[1])
    sock.settimeout(0.2)
    keep = (b"via", b"v", b"from", b"f", b"to", b"t", b"call-id", b"i", b"cseq")
    while not stop.is_set():
        try:
            data, addr = sock.recvfrom(65536)
        except TimeoutError:
            continue
        lines = [b"SIP/2.0 200 OK"]
        for line in data.split(b"\r\n")[1:]:
            if not line:
                break
            name = line.split(b":", 1)[0].strip().lower()
            if name in keep:
                lines.append(line + (b";tag=uas1" if name in (b"to", b"t") else b""))
        lines += [b"Content-Length: 0", b"", b""]
        sock.sendto(b"\r\n".join(lines), addr)


def run(proxy: tuple[str, int], target: str, clients: int, seconds: float, limit: int,
        window: int) -> tuple[int, int, float]:
    """(answered, failed, requests per second) with ``clients`` processes."""
    queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    procs = [mp.Process(target=client, args=(proxy, target, seconds, max(1, limit // clients),
                                             window, queue)) for _ in range(clients)]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=seconds + 60) for _ in procs]
    for proc in procs:
        proc.join(10)
    ok = sum(r[0] for r in results)
    failed = sum(r[1] for r in results)
    elapsed = max(r[2] for r in results)
    return ok, failed, ok / elapsed if elapsed else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--max-requests", type=int, default=60000, help="per measurement")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--window", type=int, default=16, help="requests in flight per client")
    args = parser.parse_args()
    rows: list[tuple[str, str, int, int, float]] = []

    base = Path(tempfile.mkdtemp(prefix="kpb"))
    port = free_sip_port()
    proxy = KamproxyProcess(base, http=False,
                            args=["-l", f"udp:127.0.0.1:{port}", "--script", "none"]).start()
    stop = mp.Event()
    port_q: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    uas = mp.Process(target=responder, args=(port_q, stop))
    uas.start()
    try:
        uas_port = port_q.get(timeout=10)
        address = ("127.0.0.1", port)
        run(address, f"sip:127.0.0.1:{port}", 1, 0.5, 500, args.window)  # warm up
        for scenario, target in (("options-self", f"sip:127.0.0.1:{port}"),
                                 ("options-relay", f"sip:uas@127.0.0.1:{uas_port}")):
            ok, failed, rate = run(address, target, args.clients, args.seconds,
                                   args.max_requests, args.window)
            rows.append(("kamproxy", scenario, ok, failed, rate))
    finally:
        stop.set()
        uas.join(5)
        proxy.stop()
        shutil.rmtree(base, ignore_errors=True)

    if os.access(KAMAILIO, os.X_OK):
        peer = KamailioPeer().start()
        try:
            address = ("127.0.0.1", peer.sip_port)
            target = f"sip:127.0.0.1:{peer.sip_port}"
            run(address, target, 1, 0.5, 500, args.window)
            ok, failed, rate = run(address, target, args.clients, args.seconds,
                                   args.max_requests, args.window)
            rows.append(("Kamailio 5.6 (1 UDP worker)", "options-self", ok, failed, rate))
        finally:
            peer.stop()
    else:
        print(f"({KAMAILIO} not installed: no Kamailio figure)")

    print(f"\nStateless OPTIONS over UDP, {args.clients} client processes x {args.window} in "
          f"flight, up to {args.seconds:g} s or {args.max_requests} requests, "
          f"{os.cpu_count()} CPUs\n")
    print("| server | scenario | answered | failures | requests/s |")
    print("|---|---|---:|---:|---:|")
    for server, scenario, ok, failed, rate in rows:
        print(f"| {server} | {scenario} | {ok} | {failed} | {rate:,.0f} |")
    return 1 if any(row[3] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
