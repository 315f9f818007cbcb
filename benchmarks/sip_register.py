"""REGISTER with digest authentication per second through kamproxy (and Kamailio 5.6
with auth_db/registrar where installed), on loopback UDP.

Each registration is what a phone without a cached nonce does: REGISTER, 401 with the
challenges, REGISTER with credentials (qop=auth, nc=1), 200. Client processes keep a
fixed number of registrations in flight, cycling over ``--users`` subscribers (added
with kamctl's code to a fresh SQLite database), bounded by time and count. Every
registration must end in its 200: a wrong answer or a lost one is a failure and is
reported (exit status 1).

    python benchmarks/sip_register.py [--seconds 3] [--max-registrations 20000]
        [--clients 2] [--window 8] [--users 1000] [--algorithm MD5|SHA-256]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import os
import re
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

DOMAIN = "example.com"
PASSWORD = "bench-secret"
LOST_AFTER = 3.0  # seconds without any answer: what is in flight is lost
_HASH = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
_CHALLENGE = re.compile(rb"\r\nWWW-Authenticate: (Digest [^\r]*)", re.IGNORECASE)
_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]+))')


def make_database(path: Path, users: int) -> str:
    """A fresh SQLite database with ``users`` subscribers (u0..uN@example.com)."""
    from proxy.storage import admin
    from proxy.storage.database import Database
    from proxy.storage.ha1 import subscriber_hashes
    from proxy.storage.subscribers import Subscribers
    from proxy.storage.url import parse_url

    url = f"sqlite:///{path}"
    admin.create(parse_url(url))
    rows = [{"username": f"u{i}", "domain": DOMAIN, "password": "",
             **subscriber_hashes(f"u{i}", DOMAIN, PASSWORD)} for i in range(users)]
    with Database.open(url) as db, db.transaction():
        Subscribers(db).insert_rows(rows)
    return url


def _register(user: str, me: tuple[str, int], call_id: str, cseq: int, branch: str,
              authorization: str = "") -> bytes:
    auth = f"Authorization: {authorization}\r\n" if authorization else ""
    return (f"REGISTER sip:{DOMAIN} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {me[0]}:{me[1]};branch=z9hG4bK{branch};rport\r\n"
            f"From: <sip:{user}@{DOMAIN}>;tag={call_id}\r\nTo: <sip:{user}@{DOMAIN}>\r\n"
            f"Call-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\nMax-Forwards: 70\r\n"
            f"Contact: <sip:{user}@{me[0]}:{me[1]}>\r\nExpires: 3600\r\n{auth}"
            f"User-Agent: kamctl-bench\r\nContent-Length: 0\r\n\r\n").encode()


def _answer(data: bytes, user: str, algorithm: str) -> str:
    """The Authorization value for the challenge of ``algorithm`` in a 401."""
    for raw in _CHALLENGE.findall(data):
        params = {m[0].lower(): m[1] or m[2] for m in _PARAM.findall(raw.decode()[7:])}
        if params.get("algorithm", "MD5").upper() != algorithm:
            continue
        h = _HASH[algorithm]
        ha1 = h(f"{user}:{params['realm']}:{PASSWORD}".encode()).hexdigest()
        ha2 = h(f"REGISTER:sip:{DOMAIN}".encode()).hexdigest()
        cnonce = os.urandom(4).hex()
        response = h(f"{ha1}:{params['nonce']}:00000001:{cnonce}:auth:{ha2}".encode()).hexdigest()
        return (f'Digest username="{user}", realm="{params["realm"]}", '
                f'nonce="{params["nonce"]}", uri="sip:{DOMAIN}", response="{response}", '
                f'algorithm={algorithm}, qop=auth, nc=00000001, cnonce="{cnonce}"')
    raise ValueError(f"no {algorithm} challenge")


def _call_id(data: bytes) -> str:
    start = data.find(b"\nCall-ID: ")
    end = data.find(b"\r", start)
    return data[start + 10:end].decode() if start >= 0 else ""


def client(proxy: tuple[str, int], users: list[str], algorithm: str, seconds: float,
           limit: int, window: int, out: mp.Queue) -> None:  # type: ignore[type-arg]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    me = sock.getsockname()
    tag = os.urandom(4).hex()
    inflight: dict[str, tuple[str, int]] = {}  # call-id -> (user, step)
    started = ok = failed = 0
    deadline = time.monotonic() + seconds

    def start_one() -> None:
        nonlocal started
        user = users[started % len(users)]
        started += 1
        call_id = f"{tag}-{started}"
        inflight[call_id] = (user, 1)
        sock.sendto(_register(user, me, call_id, 1, f"{call_id}a"), proxy)

    begin = time.monotonic()
    for _ in range(min(window, limit)):
        start_one()
    while inflight:
        ready, _, _ = select.select([sock], [], [], LOST_AFTER)
        if not ready:
            failed += len(inflight)
            break
        data = sock.recv(65536)
        call_id = _call_id(data)
        state = inflight.get(call_id)
        if state is None or data.startswith(b"SIP/2.0 1"):
            continue
        user, step = state
        if step == 1 and data.startswith(b"SIP/2.0 401 "):
            inflight[call_id] = (user, 2)
            sock.sendto(_register(user, me, call_id, 2, f"{call_id}b",
                                  _answer(data, user, algorithm)), proxy)
            continue
        del inflight[call_id]
        if step == 2 and data.startswith(b"SIP/2.0 200 "):
            ok += 1
        else:
            failed += 1
            if failed <= 3:
                print(f"unexpected answer: {data[:60]!r}", file=sys.stderr)
        if started < limit and time.monotonic() < deadline:
            start_one()
    out.put((ok, failed, time.monotonic() - begin))
    sock.close()


def run(proxy: tuple[str, int], users: int, algorithm: str, clients: int, seconds: float,
        limit: int, window: int) -> tuple[int, int, float]:
    """(registered, failed, registrations per second)."""
    names = [f"u{i}" for i in range(users)]
    share = max(1, len(names) // clients)
    queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    procs = [mp.Process(target=client, args=(proxy, names[i * share:(i + 1) * share] or names,
                                             algorithm, seconds, max(1, limit // clients),
                                             window, queue))
             for i in range(clients)]
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
    parser.add_argument("--max-registrations", type=int, default=20000)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--window", type=int, default=8, help="registrations in flight each")
    parser.add_argument("--users", type=int, default=1000, help="subscribers to cycle over")
    parser.add_argument("--algorithm", choices=sorted(_HASH), default="MD5")
    args = parser.parse_args()
    rows: list[tuple[str, int, int, float]] = []
    base = Path(tempfile.mkdtemp(prefix="kpr"))
    try:
        url = make_database(base / "kamailio.sqlite", args.users)
        for mode in (1, 3):
            port = free_sip_port()
            config = (f'[core]\naliases = ["{DOMAIN}"]\n[routing]\nauth = true\n'
                      f"[cfg.usrloc]\ndb_mode = {mode}\n")
            work = base / f"kp{mode}"
            work.mkdir()
            proxy = KamproxyProcess(work, http=False, config=config,
                                    args=["-l", f"udp:127.0.0.1:{port}", "--db", url]).start()
            try:
                address = ("127.0.0.1", port)
                run(address, args.users, args.algorithm, 1, 0.5, 200, args.window)  # warm up
                ok, failed, rate = run(address, args.users, args.algorithm, args.clients,
                                       args.seconds, args.max_registrations, args.window)
                rows.append((f"kamproxy, usrloc db_mode {mode}", ok, failed, rate))
            finally:
                proxy.stop()
        if os.access(KAMAILIO, os.X_OK) and args.algorithm == "MD5":
            peer = KamailioPeer(defines=["WITH_REGISTRAR"])
            shutil.copy(base / "kamailio.sqlite", peer.db_path)
            peer.start()
            try:
                address = ("127.0.0.1", peer.sip_port)
                run(address, args.users, "MD5", 1, 0.5, 200, args.window)
                ok, failed, rate = run(address, args.users, "MD5", args.clients, args.seconds,
                                       args.max_registrations, args.window)
                rows.append(("Kamailio 5.6 (1 UDP worker, usrloc db_mode 1)", ok, failed, rate))
            finally:
                peer.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)

    print(f"\nREGISTER + 401 + authenticated REGISTER + 200 ({args.algorithm}, SQLite), "
          f"{args.clients} client processes x {args.window} in flight, {args.users} users, "
          f"up to {args.seconds:g} s or {args.max_registrations} registrations, "
          f"{os.cpu_count()} CPUs\n")
    print("| server | registered | failures | registrations/s | requests/s |")
    print("|---|---:|---:|---:|---:|")
    for server, ok, failed, rate in rows:
        print(f"| {server} | {ok} | {failed} | {rate:,.0f} | {2 * rate:,.0f} |")
    return 1 if any(row[2] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
