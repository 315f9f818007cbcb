"""Stateful calls per second through kamproxy, and memory per 10,000 transactions
(and Kamailio 5.6's figures from the same run where Debian's kamailio is installed).

Two measurements, over UDP on loopback, each against a fresh proxy that record-routes
and relays statefully (kamproxy: a routing script; Kamailio: tm + rr):

* ``calls``: client processes keep a fixed number of calls in flight; a call is
  INVITE -> 180 -> 200, ACK, BYE -> 200 between a client and a fast user agent
  server process, every message through the proxy (two transactions per call);
  bounded by ``--seconds`` and ``--max-calls``. Any missing or unexpected reply is a
  failure (nothing is retransmitted, so a lost message counts).
* ``memory``: ``--transactions`` INVITEs answered 180 only, so that their
  transactions stay; the proxy's growth divided by their number. kamproxy: resident
  memory (VmRSS); Kamailio: shared memory in use (core.shmmem real_used), where its
  transactions live.

Prints a markdown table.

    python benchmarks/sip_calls.py [--seconds 5] [--max-calls 20000] [--clients 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.kamailio import KAMAILIO  # noqa: E402
from tests.support.proxy import KamproxyProcess, free_port, free_sip_port  # noqa: E402

LOST_AFTER = 3.0  # seconds without any message: the calls in flight are lost

SCRIPT = '''\
api = globals()["api"]


def request_route(msg):
    if msg.to_tag is not None:
        if api.loose_route(msg) or msg.method != "ACK":
            api.relay(msg)
        return
    if msg.method == "INVITE":
        api.record_route(msg)
    api.relay(msg)
'''

KAMAILIO_CFG = '''\
#!KAMAILIO
#!defenvs BENCHDIR=KAMCTL_BENCH_DIR
#!trydef SIP_PORT 5070
debug=0
log_stderror=yes
fork=yes
children=1
auto_aliases=no
dns=no
rev_dns=no
listen=udp:127.0.0.1:SIP_PORT
loadmodule "jsonrpcs.so"
loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "siputils.so"
loadmodule "textops.so"
modparam("jsonrpcs", "transport", 4)  # datagram only
modparam("jsonrpcs", "dgram_socket", BENCHDIR "/kamailio_rpc.sock")
request_route {
    if (has_totag()) {
        if (loose_route() || !is_method("ACK")) {
            t_relay();
        }
        exit;
    }
    if (is_method("INVITE")) {
        record_route();
    }
    t_relay();
}
'''


# -- the user agents ------------------------------------------------------------------


def _header_lines(data: bytes, names: tuple[bytes, ...]) -> list[bytes]:
    out = []
    for line in data.split(b"\r\n")[1:]:
        if not line:
            break
        if line.split(b":", 1)[0].strip().lower() in names:
            out.append(line)
    return out


_KEEP = (b"via", b"v", b"from", b"f", b"call-id", b"i", b"cseq", b"record-route")
_TO = (b"to", b"t")


def _reply(request: bytes, status: bytes, tag: bytes, contact: bytes) -> bytes:
    lines = [b"SIP/2.0 " + status]
    for line in _header_lines(request, _KEEP + _TO):
        name = line.split(b":", 1)[0].strip().lower()
        if name in _TO and b";tag=" not in line:
            line += b";tag=" + tag
        lines.append(line)
    if contact:
        lines.append(b"Contact: " + contact)
    lines += [b"Content-Length: 0", b"", b""]
    return b"\r\n".join(lines)


def uas(port_out: mp.Queue, stop: mp.Event, ring_only: bool) -> None:  # type: ignore[type-arg]
    """Answers INVITE 180+200 (or 180 only), BYE 200; ignores ACK."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    port = sock.getsockname()[1]
    contact = f"<sip:uas@127.0.0.1:{port}>".encode()
    port_out.put(port)
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            data, addr = sock.recvfrom(65536)
        except TimeoutError:
            continue
        if data.startswith(b"INVITE "):
            sock.sendto(_reply(data, b"180 Ringing", b"uas1", contact), addr)
            if not ring_only:
                sock.sendto(_reply(data, b"200 OK", b"uas1", contact), addr)
        elif data.startswith(b"BYE "):
            sock.sendto(_reply(data, b"200 OK", b"uas1", b""), addr)


@dataclass
class Call:
    n: int
    state: str  # "invite" or "bye"


def _call_id(data: bytes) -> bytes:
    start = data.find(b"\nCall-ID: ")
    if start < 0:
        return b""
    return data[start + 10:data.find(b"\r", start)]


def _status(data: bytes) -> int:
    return int(data[8:11]) if data.startswith(b"SIP/2.0 ") else 0


def _cseq_method(data: bytes) -> bytes:
    start = data.find(b"\nCSeq: ")
    line = data[start + 7:data.find(b"\r", start)]
    return line.split(b" ")[-1]


class Uac:
    """One client process's calls (see the module docstring)."""

    def __init__(self, proxy: tuple[str, int], uas_port: int, ring_only: bool) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.me = self.sock.getsockname()
        self.proxy = proxy
        self.ruri = f"sip:uas@127.0.0.1:{uas_port}"
        self.ring_only = ring_only
        self.tag = os.urandom(4).hex()
        self.calls: dict[bytes, Call] = {}
        self.started = self.ok = self.failed = 0

    def _common(self, method: str, n: int, cseq: int, to_tag: str = "") -> str:
        me = f"{self.me[0]}:{self.me[1]}"
        to = f"<{self.ruri}>" + (f";tag={to_tag}" if to_tag else "")
        return (f"Via: SIP/2.0/UDP {me};branch=z9hG4bK{self.tag}{method[0]}{n};rport\r\n"
                f"From: <sip:uac@{me}>;tag={self.tag}\r\nTo: {to}\r\n"
                f"Call-ID: {self.tag}-{n}\r\nCSeq: {cseq} {method}\r\nMax-Forwards: 70\r\n")

    def invite(self) -> None:
        self.started += 1
        n = self.started
        me = f"{self.me[0]}:{self.me[1]}"
        data = (f"INVITE {self.ruri} SIP/2.0\r\n" + self._common("INVITE", n, 1)
                + f"Contact: <sip:uac@{me}>\r\nContent-Length: 0\r\n\r\n")
        self.calls[f"{self.tag}-{n}".encode()] = Call(n, "invite")
        self.sock.sendto(data.encode(), self.proxy)

    def in_dialog(self, call: Call, reply: bytes) -> None:
        to_line = _header_lines(reply, _TO)[0].decode()
        to_tag = re.search(r";tag=([^;>\s]+)", to_line)
        contact = re.search(r"\nContact: <([^>]+)>", reply.decode())
        routes = [line.split(b":", 1)[1].strip().decode()
                  for line in _header_lines(reply, (b"record-route",))]
        route = "".join(f"Route: {r}\r\n" for r in reversed(routes))
        target = contact.group(1) if contact else self.ruri
        tag = to_tag.group(1) if to_tag else ""
        for method, cseq in (("ACK", 1), ("BYE", 2)):
            data = (f"{method} {target} SIP/2.0\r\n" + self._common(method, call.n, cseq, tag)
                    + route + "Content-Length: 0\r\n\r\n")
            self.sock.sendto(data.encode(), self.proxy)
        call.state = "bye"

    def on_message(self, data: bytes) -> bool:
        """True when a call ended (well or not)."""
        call = self.calls.get(_call_id(data))
        status = _status(data)
        if call is None or status == 0:
            return False
        method = _cseq_method(data)
        if status < 200:
            if self.ring_only and status == 180 and call.state == "invite":
                call.state = "ringing"
                del self.calls[_call_id(data)]
                self.ok += 1
                return True
            return False
        if method == b"INVITE" and call.state == "invite" and status == 200:
            self.in_dialog(call, data)
            return False
        if method == b"BYE" and call.state == "bye" and status == 200:
            del self.calls[_call_id(data)]
            self.ok += 1
            return True
        if method == b"INVITE" and status == 200:
            return False  # a retransmitted 200 (the UAS saw no ACK yet)
        del self.calls[_call_id(data)]
        self.failed += 1
        return True


def client(proxy: tuple[str, int], uas_port: int, seconds: float, limit: int, window: int,
           ring_only: bool, out: mp.Queue) -> None:  # type: ignore[type-arg]
    uac = Uac(proxy, uas_port, ring_only)
    deadline = time.monotonic() + seconds
    start = time.monotonic()
    for _ in range(min(window, limit)):
        uac.invite()
    while uac.calls:
        ready, _, _ = select.select([uac.sock], [], [], LOST_AFTER)
        if not ready:
            uac.failed += len(uac.calls)
            break
        data = uac.sock.recv(65536)
        if uac.on_message(data) and uac.started < limit and time.monotonic() < deadline:
            uac.invite()
    out.put((uac.ok, uac.failed, time.monotonic() - start))
    uac.sock.close()


def run_calls(proxy: tuple[str, int], uas_port: int, clients: int, seconds: float,
              limit: int, window: int, ring_only: bool = False) -> tuple[int, int, float]:
    """(calls completed, failed, calls per second)."""
    queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    procs = [mp.Process(target=client, args=(proxy, uas_port, seconds, max(1, limit // clients),
                                             window, ring_only, queue))
             for _ in range(clients)]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=seconds + 120) for _ in procs]
    for proc in procs:
        proc.join(10)
    ok = sum(r[0] for r in results)
    failed = sum(r[1] for r in results)
    elapsed = max(r[2] for r in results)
    return ok, failed, ok / elapsed if elapsed else 0.0


# -- the proxies ------------------------------------------------------------------------


class Server:
    """A proxy under test: its SIP address, its memory, and how to stop it."""

    name = ""
    address: tuple[str, int]

    def memory(self) -> int:
        raise NotImplementedError

    def transactions(self) -> int:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


class Kamproxy(Server):
    name = "kamproxy"

    def __init__(self, base: Path) -> None:
        base.mkdir(parents=True, exist_ok=True)
        script = base / "bench_script.py"
        script.write_text(SCRIPT)
        port = free_sip_port()
        self.address = ("127.0.0.1", port)
        self.proc = KamproxyProcess(base / "kp", args=[
            "-l", f"udp:127.0.0.1:{port}", "--script", str(script)]).start()

    def _rpc(self, method: str) -> object:
        body = json.dumps({"jsonrpc": "2.0", "method": method, "id": 1}).encode()
        with urllib.request.urlopen(self.proc.http_url, body, timeout=10) as reply:
            return json.loads(reply.read())["result"]

    def memory(self) -> int:
        assert self.proc.proc is not None
        status = Path(f"/proc/{self.proc.proc.pid}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(match.group(1)) * 1024 if match else 0

    def transactions(self) -> int:
        stats = self._rpc("tm.stats")
        assert isinstance(stats, dict)
        return int(stats["current"])

    def stop(self) -> None:
        self.proc.stop()


class Kamailio(Server):
    name = "Kamailio 5.6 (1 UDP worker)"

    def __init__(self, base: Path) -> None:
        self.dir = base / "kam"
        self.dir.mkdir(parents=True)
        cfg = self.dir / "kamailio.cfg"
        cfg.write_text(KAMAILIO_CFG)
        port = free_port(socket.SOCK_DGRAM)
        self.address = ("127.0.0.1", port)
        self.pid_file = self.dir / "kamailio.pid"
        env = dict(os.environ, KAMCTL_BENCH_DIR=str(self.dir))
        with open(self.dir / "kamailio.log", "ab") as log:
            rc = subprocess.call([KAMAILIO, "-f", str(cfg), "-P", str(self.pid_file), "-Y",
                                  str(self.dir), "-w", str(self.dir), "-E", "-m", "512",
                                  "-A", f"SIP_PORT={port}"],
                                 stdout=log, stderr=subprocess.STDOUT, env=env, timeout=30)
        if rc != 0:
            raise RuntimeError((self.dir / "kamailio.log").read_text())
        deadline = time.monotonic() + 20
        while not (self.dir / "kamailio_rpc.sock").exists():
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("Kamailio did not start:\n"
                                   + (self.dir / "kamailio.log").read_text())
            time.sleep(0.05)

    def _rpc(self, method: str) -> object:
        from rpc.client import connect

        with connect(f"unix:{self.dir / 'kamailio_rpc.sock'}", timeout=10) as client:
            return client.call(method)

    def memory(self) -> int:
        info = self._rpc("core.shmmem")
        assert isinstance(info, dict)
        return int(info["real_used"])

    def transactions(self) -> int:
        stats = self._rpc("tm.stats")
        assert isinstance(stats, dict)
        return int(stats["current"])

    def stop(self) -> None:
        try:
            pid = int(self.pid_file.read_text().strip())
            os.kill(pid, signal.SIGTERM)
        except (OSError, ValueError):
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)


# -- measuring -----------------------------------------------------------------------------


@dataclass
class Row:
    server: str
    calls: int
    failed: int
    rate: float
    mem_per_10k: float | None  # MiB


def with_uas(ring_only: bool, work: object) -> object:
    stop = mp.Event()
    port_q: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    proc = mp.Process(target=uas, args=(port_q, stop, ring_only))
    proc.start()
    try:
        port = port_q.get(timeout=10)
        return work(port)  # type: ignore[operator]
    finally:
        stop.set()
        proc.join(5)


def measure(make: type[Server], base: Path, args: argparse.Namespace) -> Row:
    server = make(base / "calls")
    try:
        def calls(uas_port: int) -> tuple[int, int, float]:
            run_calls(server.address, uas_port, 1, 0.5, 200, args.window)  # warm up
            return run_calls(server.address, uas_port, args.clients, args.seconds,
                             args.max_calls, args.window)

        ok, failed, rate = with_uas(False, calls)  # type: ignore[misc]
    finally:
        server.stop()
    mem = None
    if args.transactions:
        server = make(base / "mem")
        try:
            before = server.memory()

            def ring(uas_port: int) -> tuple[int, int, float]:
                return run_calls(server.address, uas_port, args.clients, 120,
                                 args.transactions, args.window, ring_only=True)

            rung, lost, _rate = with_uas(True, ring)  # type: ignore[misc]
            alive = server.transactions()
            grown = server.memory() - before
            failed += lost
            if alive:
                mem = grown / alive * 10000 / (1 << 20)
            print(f"{make.name}: {rung} ringing calls, {alive} transactions alive, "
                  f"memory +{grown / (1 << 20):.1f} MiB", file=sys.stderr)
        finally:
            server.stop()
    return Row(make.name, ok, failed, rate, mem)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="calls measurement time")
    parser.add_argument("--max-calls", type=int, default=20000, help="calls at most")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--window", type=int, default=8, help="calls in flight per client")
    parser.add_argument("--transactions", type=int, default=10000,
                        help="INVITE transactions kept alive for the memory figure (0: skip)")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="kpc"))
    rows = []
    try:
        rows.append(measure(Kamproxy, base / "kamproxy", args))
        if os.access(KAMAILIO, os.X_OK):
            rows.append(measure(Kamailio, base / "kamailio", args))
        else:
            print(f"({KAMAILIO} not installed: no Kamailio figure)")
    finally:
        shutil.rmtree(base, ignore_errors=True)

    print(f"\nStateful calls over UDP (INVITE, 180, 200, ACK, BYE, 200; record-routed), "
          f"{args.clients} client processes x {args.window} calls in flight, up to "
          f"{args.seconds:g} s or {args.max_calls} calls; memory with {args.transactions} "
          f"INVITE transactions alive; {os.cpu_count()} CPUs\n")
    print("| server | calls | failures | calls/s | memory per 10,000 transactions |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        mem = f"{row.mem_per_10k:.1f} MiB" if row.mem_per_10k is not None else "-"
        print(f"| {row.server} | {row.calls} | {row.failed} | {row.rate:,.0f} | {mem} |")
    return 1 if any(row.failed for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
