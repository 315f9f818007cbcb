"""kamproxy's stateless SIP core end to end: a real kamproxy, test UAs on 127.0.0.1 and
::1, UDP and TCP."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest

from proxy.sip import Request, Response, parse_message
from rpc.client import connect
from tests.core.conftest import ALIAS, SipProxy, low_sip_port
from tests.sip.test_malformed import CORPUS
from tests.support.proxy import KamproxyProcess
from tests.support.sipua import SipUA, require_ipv6
from tests.support.tools import require

HOSTS = ["127.0.0.1", "::1"]


def ua(host: str, name: str = "alice") -> SipUA:
    if ":" in host:
        require_ipv6()
    return SipUA(host, name=name)


def proxy_uri(proxy: SipProxy, host: str, user: str | None = None) -> str:
    h, port = proxy.addr(host)
    h = f"[{h}]" if ":" in h else h
    return f"sip:{user + '@' if user else ''}{h}:{port}"


# -- OPTIONS to the proxy ------------------------------------------------------------------


@pytest.mark.parametrize("proto", ["udp", "tcp"])
@pytest.mark.parametrize("host", HOSTS)
def test_options_to_self(sip_proxy: SipProxy, host: str, proto: str) -> None:
    with ua(host) as alice:
        request = alice.request("OPTIONS", proxy_uri(sip_proxy, host), proto=proto)
        reply = alice.transact(request, sip_proxy.addr(host), proto)
    assert (reply.status, reply.reason) == (200, "OK")
    assert "OPTIONS" in (reply.get_header("allow") or "")
    assert reply.get_header("accept") == "*/*"
    assert reply.to.tag and reply.get_header("server", ) and reply.call_id == request.call_id
    via = reply.via
    assert via.received == host
    assert via.rport == alice.port if proto == "udp" else via.rport is not None


def test_options_to_an_alias_and_with_a_user(sip_proxy: SipProxy) -> None:
    with ua("127.0.0.1") as alice:
        ok = alice.transact(alice.request("OPTIONS", f"sip:{ALIAS}"), sip_proxy.v4)
        user = alice.transact(alice.request("OPTIONS", f"sip:bob@{ALIAS}"), sip_proxy.v4)
    assert ok.status == 200
    assert user.status == 404  # a user of ours, and no location service yet


@pytest.mark.parametrize("proto", ["udp", "tcp"])
def test_sipsak_options(tmp_path_factory: pytest.TempPathFactory, proto: str) -> None:
    sipsak = require("/usr/bin/sipsak", "Debian package sipsak")
    port = low_sip_port()
    proc = KamproxyProcess(tmp_path_factory.mktemp("kp"), http=False, args=[
        "-l", f"udp:127.0.0.1:{port}", "-l", f"tcp:127.0.0.1:{port}", "--script", "none"]).start()
    try:
        args = [sipsak, "-s", f"sip:127.0.0.1:{port}", "-vv"] + (["-E", "tcp"] if proto == "tcp"
                                                                else [])
        result = subprocess.run(args, capture_output=True, text=True, timeout=30)
    finally:
        proc.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SIP/2.0 200 OK" in result.stdout
    assert "received=127.0.0.1" in result.stdout  # sipsak asks for rport
    assert "final received" in result.stdout


# -- stateless forwarding --------------------------------------------------------------------


def relay(proxy: SipProxy, alice: SipUA, bob: SipUA, *, a_proto: str = "udp",
          b_proto: str = "udp", max_forwards: int | None = 70) -> tuple[Request, Response]:
    """MESSAGE from alice to bob through the proxy; (what bob got, what alice got)."""
    bob.answer("MESSAGE", 200)
    request = alice.request("MESSAGE", bob.uri("bob", b_proto), proto=a_proto,
                            max_forwards=max_forwards, body=b"hello",
                            headers=[("Content-Type", "text/plain")])
    reply = alice.transact(request, proxy.addr(alice.host), a_proto)
    got = bob.wait_request("MESSAGE")
    assert isinstance(got.msg, Request) and got.proto == b_proto
    return got.msg, reply


def test_forward_and_reply_back(sip_proxy: SipProxy) -> None:
    with ua("127.0.0.1", "alice") as alice, ua("127.0.0.1", "bob") as bob:
        got, reply = relay(sip_proxy, alice, bob)
    top, second = got.vias
    assert (top.transport, top.host, top.port) == ("UDP", "127.0.0.1", sip_proxy.port)
    assert top.branch and top.branch.startswith("z9hG4bKkp")
    assert second.received == "127.0.0.1" and second.rport == alice.port
    assert got.max_forwards == 69
    assert got.body == b"hello" and got.call_id == reply.call_id
    assert reply.status == 200
    assert [v.host for v in reply.vias] == ["127.0.0.1"] and len(reply.vias) == 1
    assert reply.via.branch == second.branch


@pytest.mark.parametrize(
    ("a_host", "a_proto", "b_host", "b_proto"),
    [
        ("127.0.0.1", "udp", "127.0.0.1", "tcp"),
        ("127.0.0.1", "tcp", "127.0.0.1", "udp"),
        ("127.0.0.1", "udp", "::1", "tcp"),
        ("::1", "tcp", "127.0.0.1", "udp"),
        ("::1", "udp", "::1", "udp"),
    ],
)
def test_forward_across_transports_and_families(
    sip_proxy: SipProxy, a_host: str, a_proto: str, b_host: str, b_proto: str
) -> None:
    with ua(a_host, "alice") as alice, ua(b_host, "bob") as bob:
        got, reply = relay(sip_proxy, alice, bob, a_proto=a_proto, b_proto=b_proto)
    top = got.via
    assert top.transport == b_proto.upper()
    assert top.host_bare == b_host and top.port == sip_proxy.addr(b_host)[1]
    assert reply.status == 200 and len(reply.vias) == 1


def test_max_forwards_absent_is_added(sip_proxy: SipProxy) -> None:
    with ua("127.0.0.1", "alice") as alice, ua("127.0.0.1", "bob") as bob:
        got, _reply = relay(sip_proxy, alice, bob, max_forwards=None)
    assert got.get_headers("max-forwards") == ["70"]


def test_max_forwards_zero_is_483(sip_proxy: SipProxy) -> None:
    with ua("127.0.0.1", "alice") as alice, ua("127.0.0.1", "bob") as bob:
        bob.answer("*", 200)
        to_self = alice.transact(alice.request("OPTIONS", proxy_uri(sip_proxy, "127.0.0.1"),
                                               max_forwards=0), sip_proxy.v4)
        onward = alice.transact(alice.request("MESSAGE", bob.uri("bob"), max_forwards=0),
                                sip_proxy.v4)
        # bob gets nothing: a later message proves the path works and is the first he sees
        relay(sip_proxy, alice, bob)
        assert [i.msg.method for i in bob.received] == ["MESSAGE"]
    assert (to_self.status, to_self.reason) == (483, "Too Many Hops")
    assert onward.status == 483


@pytest.mark.parametrize(
    ("ruri", "status"),
    [
        ("sip:bob@127.0.0.1:{port}", 404),  # our address: answered here
        ("sip:bob@127.0.0.1", 404),  # our address without a port
        (f"sip:bob@{ALIAS}", 404),  # an alias
        ("sip:bob@localhost:{port}", 482),  # not an alias, but it resolves to us
        ("sip:127.0.0.1:{port};transport=tcp", 200),
    ],
)
def test_request_for_ourselves_is_never_sent_to_ourselves(
    sip_proxy: SipProxy, ruri: str, status: int
) -> None:
    before = sip_proxy.stat("core:fwd_requests")
    with ua("127.0.0.1") as alice:
        method = "OPTIONS" if status == 200 else "MESSAGE"
        reply = alice.transact(alice.request(method, ruri.format(port=sip_proxy.port)),
                               sip_proxy.v4)
    assert reply.status == status
    assert sip_proxy.stat("core:fwd_requests") == before
    if status == 482:
        assert "add it to [core] aliases" in sip_proxy.proc.log()


def test_a_request_that_comes_back_unchanged_is_a_loop(sip_proxy: SipProxy) -> None:
    with ua("127.0.0.1", "alice") as alice, ua("127.0.0.1", "bob") as bob:
        got, _reply = relay(sip_proxy, alice, bob)
        # bob, a misconfigured proxy, sends it back with his own Via on top
        got.prepend_via(f"SIP/2.0/UDP {bob.hostport};branch=z9hG4bKbob1;rport")
        got.ruri = bob.uri("bob")
        bob.send(got, sip_proxy.v4)
        reply = bob.wait_for(lambda i: isinstance(i.msg, Response)
                             and i.msg.via.branch == "z9hG4bKbob1")
    assert isinstance(reply.msg, Response)
    assert (reply.msg.status, reply.msg.reason) == (482, "Loop Detected")


# -- TCP framing through the proxy -------------------------------------------------------------


def options_bytes(port: int, n: int, proto: str = "TCP") -> bytes:
    return (f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/{proto} 127.0.0.1:9;branch=z9hG4bKraw{n};rport\r\n"
            f"From: <sip:raw@127.0.0.1>;tag={n}\r\nTo: <sip:127.0.0.1:{port}>\r\n"
            f"Call-ID: raw-{n}\r\nCSeq: {n} OPTIONS\r\nMax-Forwards: 70\r\n"
            f"Content-Length: 0\r\n\r\n").encode()


def read_replies(sock: socket.socket, count: int) -> list[Response]:
    from proxy.sip import StreamFramer

    framer = StreamFramer()
    replies: list[Response] = []
    deadline = time.monotonic() + 5
    while len(replies) < count and time.monotonic() < deadline:
        for frame in framer.feed(sock.recv(65536)):
            msg = parse_message(frame)
            assert isinstance(msg, Response)
            replies.append(msg)
    return replies


def test_tcp_split_and_pipelined(sip_proxy: SipProxy) -> None:
    with socket.create_connection(sip_proxy.v4, timeout=5) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        data = options_bytes(sip_proxy.port, 1)
        for i in range(0, len(data), 5):  # many segments
            sock.sendall(data[i:i + 5])
            time.sleep(0.001)
        (first,) = read_replies(sock, 1)
        batch = b"".join(options_bytes(sip_proxy.port, n) for n in (2, 3, 4))
        sock.sendall(batch)  # several messages in one segment
        rest = read_replies(sock, 3)
    assert first.status == 200 and first.call_id == "raw-1"
    assert [(r.status, r.call_id) for r in rest] == [(200, "raw-2"), (200, "raw-3"),
                                                      (200, "raw-4")]


def test_crlf_keepalives(sip_proxy: SipProxy) -> None:
    with socket.create_connection(sip_proxy.v4, timeout=5) as sock:
        sock.sendall(b"\r\n\r\n")
        assert sock.recv(16) == b"\r\n"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(5)
        udp.sendto(b"\r\n\r\n", sip_proxy.v4)  # ignored, no answer
        udp.sendto(options_bytes(sip_proxy.port, 5, "UDP"), sip_proxy.v4)
        reply = parse_message(udp.recvfrom(65536)[0])
    assert isinstance(reply, Response) and reply.call_id == "raw-5"


# -- malformed input -----------------------------------------------------------------------------


def test_malformed_corpus_then_a_good_message(sip_proxy: SipProxy) -> None:
    bad_call_id = "23469991c829ec47"  # every replyable corpus entry carries it
    with ua("127.0.0.1") as alice:
        for name, data, _fragment, can_reply, status in CORPUS:
            mark = len(alice.received)
            alice.send(data, sip_proxy.v4)
            if can_reply:
                answer = alice.wait_for(lambda i: i.msg.get_header("i") == bad_call_id, after=mark)
                assert isinstance(answer.msg, Response)
                assert answer.msg.status == status, name
            good = alice.request("OPTIONS", proxy_uri(sip_proxy, "127.0.0.1"))
            assert alice.transact(good, sip_proxy.v4).status == 200, name
            if not can_reply:
                assert not [i for i in alice.received[mark:]
                            if i.msg.get_header("i") == bad_call_id], name
    assert sip_proxy.proc.alive()


def test_malformed_over_tcp_keeps_the_connection_when_it_can(sip_proxy: SipProxy) -> None:
    bad = options_bytes(sip_proxy.port, 6).replace(b"CSeq: 6 OPTIONS", b"CSeq: x OPTIONS")
    with socket.create_connection(sip_proxy.v4, timeout=5) as sock:
        sock.sendall(bad + options_bytes(sip_proxy.port, 7))
        first, second = read_replies(sock, 2)
    assert (first.status, first.call_id) == (400, "raw-6")
    assert (second.status, second.call_id) == (200, "raw-7")


# -- statistics and RPC ---------------------------------------------------------------------------


def test_statistics_move(sip_proxy: SipProxy) -> None:
    names = ["core:rcv_requests", "core:rcv_requests_options", "core:rcv_requests_message",
             "core:fwd_requests", "core:fwd_replies", "core:rcv_replies",
             "core:rcv_replies_2xx", "core:rcv_replies_2xx_message", "sl:200_replies",
             "sl:sent_replies", "sl:400_replies", "sl:sent_err_replies", "core:bad_msg_hdr"]
    before = {n: sip_proxy.stat(n) for n in names}
    with ua("127.0.0.1", "alice") as alice, ua("127.0.0.1", "bob") as bob:
        alice.transact(alice.request("OPTIONS", proxy_uri(sip_proxy, "127.0.0.1")),
                       sip_proxy.v4)
        relay(sip_proxy, alice, bob)
        broken = alice.request("OPTIONS", proxy_uri(sip_proxy, "127.0.0.1"))
        broken.set_header("Max-Forwards", "many")
        assert alice.transact(broken, sip_proxy.v4).status == 400
    delta = {n: sip_proxy.stat(n) - before[n] for n in names}
    assert delta == {
        "core:rcv_requests": 3, "core:rcv_requests_options": 2,
        "core:rcv_requests_message": 1, "core:fwd_requests": 1, "core:fwd_replies": 1,
        "core:rcv_replies": 1, "core:rcv_replies_2xx": 1, "core:rcv_replies_2xx_message": 1,
        "sl:200_replies": 1, "sl:sent_replies": 2, "sl:400_replies": 1,
        "sl:sent_err_replies": 1, "core:bad_msg_hdr": 1,
    }
    lines = sip_proxy.rpc("stats.get_statistics", "core:", "sl:", "shmem:", "tcp:")
    assert all(" = " in line for line in lines)
    assert {line.split(":")[0] for line in lines} == {"core", "sl", "shmem", "tcp"}
    fetched = sip_proxy.rpc("stats.fetch", "shmem:")
    assert set(fetched) == {"shmem.total_size", "shmem.used_size", "shmem.real_used_size",
                            "shmem.max_used_size", "shmem.free_size", "shmem.fragments"}
    assert int(fetched["shmem.real_used_size"]) > 1 << 20


def test_socket_and_memory_rpcs(sip_proxy: SipProxy) -> None:
    sockets = sip_proxy.rpc("core.sockets_list")
    first = sockets[0]["socket"]
    assert first == {"proto": "udp", "address": "127.0.0.1", "ipaddress": "127.0.0.1",
                     "port": str(sip_proxy.port), "mcast": "no", "mhomed": "no",
                     "virtual": "no"}
    assert [s["socket"]["proto"] for s in sockets][:2] == ["udp", "tcp"]
    listed = sip_proxy.rpc("corex.list_sockets")[0]
    assert listed == {"PROTO": "udp", "NAME": "127.0.0.1", "ADDRLIST": {"ADDR": "127.0.0.1"},
                      "PORT": str(sip_proxy.port), "MCAST": "no", "MHOMED": "no",
                      "VIRTUAL": "no", "SOCKNAME": "-", "ADVERTISE": "-"}
    assert sip_proxy.rpc("core.aliases_list") == {
        "myself_callbacks": "no",
        "aliases": [{"alias": {"proto": "*", "address": ALIAS, "port": "*"}}]}
    assert sip_proxy.rpc("corex.list_aliases") == [{"PROTO": "*", "ADDR": ALIAS, "PORT": 0}]
    info = sip_proxy.rpc("core.tcp_info")
    assert set(info) == {"readers", "max_connections", "max_tls_connections",
                         "opened_connections", "opened_tls_connections", "write_queued_bytes"}
    mem = sip_proxy.rpc("core.shmmem")
    kib = sip_proxy.rpc("core.shmmem", "k")
    assert set(mem) == {"total", "free", "used", "real_used", "max_used", "fragments"}
    assert mem["total"] >= mem["real_used"] > 0 and kib["total"] == mem["total"] >> 10
    psx = [t["DSC"] for t in sip_proxy.rpc("core.psx")]
    assert f"udp receiver child=0 sock=127.0.0.1:{sip_proxy.port}" in psx
    assert "tcp main process" in psx


def test_tcp_list_shows_an_open_connection(sip_proxy: SipProxy) -> None:
    with socket.create_connection(sip_proxy.v4, timeout=5) as sock:
        sock.sendall(options_bytes(sip_proxy.port, 8))
        read_replies(sock, 1)
        local = sock.getsockname()
        conns = sip_proxy.rpc("core.tcp_list")
    mine = [c for c in conns if c["src_port"] == local[1]]
    assert len(mine) == 1
    assert set(mine[0]) == {"id", "type", "state", "timeout", "lifetime", "ref_count",
                            "src_ip", "src_port", "dst_ip", "dst_port"}
    assert mine[0]["type"] == "TCP" and mine[0]["state"] == "CONN_OK"
    assert (mine[0]["dst_ip"], mine[0]["dst_port"]) == sip_proxy.v4


def test_debug_log_shows_each_message(sip_proxy: SipProxy) -> None:
    with ua("127.0.0.1") as alice:
        request = alice.request("OPTIONS", proxy_uri(sip_proxy, "127.0.0.1"))
        alice.transact(request, sip_proxy.v4)
    here = f"127.0.0.1:{sip_proxy.port}"
    there = f"127.0.0.1:{alice.port}"
    call_id = request.call_id
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the log is written by another process
        log = sip_proxy.proc.log()
        if f"send udp {here} -> {there}" in log:
            break
        time.sleep(0.05)
    assert f"recv udp {there} -> {here}" in log
    assert f"send udp {here} -> {there}" in log
    received = [line for line in log.splitlines() if f"Call-ID: {call_id}" in line]
    assert any("DEBUG: <transport> recv udp" in line and
               f"'OPTIONS sip:{here} SIP/2.0'" in line for line in received)
    assert any("DEBUG: <transport> send udp" in line and "'SIP/2.0 200 OK'" in line
               for line in received)


# -- TCP connections ---------------------------------------------------------------------------


def test_tcp_connection_reuse(sip_proxy: SipProxy) -> None:
    with ua("127.0.0.1", "alice") as alice, ua("127.0.0.1", "bob") as bob:
        for _ in range(2):
            _got, reply = relay(sip_proxy, alice, bob, a_proto="tcp", b_proto="tcp")
            assert reply.status == 200
        # alice used one connection, and both replies came back on it
        assert len(alice.connections) == 1
        replies = [i for i in alice.received if isinstance(i.msg, Response)]
        assert len(replies) == 2 and all(i.conn is alice.connections[0] for i in replies)
        # the proxy opened one connection to bob and sent both requests on it
        requests = [i for i in bob.received if i.is_request]
        assert len(requests) == 2 and requests[0].conn is requests[1].conn
        assert [c.accepted for c in bob.connections] == [True]


def test_wildcard_listener_puts_a_real_address_in_its_via(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from tests.support.proxy import free_sip_port

    port = free_sip_port()
    proc = KamproxyProcess(tmp_path_factory.mktemp("kp"), http=False, args=[
        "-l", f"udp:0.0.0.0:{port}", "--script", "none"]).start()
    try:
        with ua("127.0.0.1", "alice") as alice, ua("127.0.0.1", "bob") as bob:
            bob.answer("MESSAGE", 200)
            request = alice.request("MESSAGE", bob.uri("bob"))
            reply = alice.transact(request, ("127.0.0.1", port))
            got = bob.wait_request("MESSAGE").msg
    finally:
        proc.stop()
    assert got.via.sent_by == f"127.0.0.1:{port}"
    assert reply.status == 200  # the reply came back through the proxy: its Via was ours


def test_advertised_address(tmp_path_factory: pytest.TempPathFactory) -> None:
    from tests.support.proxy import free_sip_port

    port = free_sip_port()
    proc = KamproxyProcess(tmp_path_factory.mktemp("kp"), args=[
        "-l", f"udp:127.0.0.1:{port} advertise 203.0.113.1:5080", "--script", "none"]).start()
    try:
        with ua("127.0.0.1", "alice") as alice, ua("127.0.0.1", "bob") as bob:
            to_self = alice.transact(alice.request("OPTIONS", "sip:203.0.113.1:5080"),
                                     ("127.0.0.1", port))
            request = alice.request("MESSAGE", bob.uri("bob"))
            alice.send(request, ("127.0.0.1", port))
            got = bob.wait_request("MESSAGE").msg
        with connect(proc.http_url, timeout=5) as client:
            listed = client.call("corex.list_sockets")
    finally:
        proc.stop()
    assert to_self.status == 200  # the advertised address is ours
    assert got.via.sent_by == "203.0.113.1:5080"
    assert listed[0]["ADVERTISE"] == "203.0.113.1:5080"
