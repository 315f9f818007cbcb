"""Unit tests of "myself", Via received/rport, reply targets and branches."""

from __future__ import annotations

import socket

import pytest

from proxy.core import Alias, LocalAddresses, apply_received, parse_alias, reply_target
from proxy.core.branch import is_ours, loop_hash, loop_part, stateless_branch
from proxy.core.errors import TooManyHops
from proxy.core.forward import decrement_max_forwards
from proxy.core.sl import reply_destination
from proxy.sip import Request, parse_message, parse_uri, parse_via
from proxy.transport import Destination, ReceiveInfo, SocketInfo
from tests.sip.samples import SIPSAK_OPTIONS

UDP4 = SocketInfo("udp", "127.0.0.1", 5060, socket.AF_INET, "127.0.0.1")
TCP6 = SocketInfo("tcp", "::1", 5070, socket.AF_INET6, "::1")
NAMED = SocketInfo("udp", "127.0.0.2", 5080, socket.AF_INET, "proxy.local")
NATTED = SocketInfo("udp", "0.0.0.0", 5090, socket.AF_INET, "0.0.0.0", "203.0.113.1", 5060)


@pytest.fixture
def local() -> LocalAddresses:
    local = LocalAddresses([parse_alias("example.com"), parse_alias("tcp:sip.example.com:5061")])
    local.refresh([UDP4, TCP6, NAMED, NATTED], names=["proxy.local"],
                  local_ips=["127.0.0.1", "192.0.2.7"])
    return local


@pytest.mark.parametrize(
    ("uri", "ours"),
    [
        ("sip:127.0.0.1:5060", True),
        ("sip:127.0.0.1", True),  # no port: the host decides
        ("sip:127.0.0.1:5062", False),
        ("sip:127.0.0.1:5060;transport=tcp", False),  # only UDP there
        ("sip:bob@[::1]:5070;transport=tcp", True),
        ("sip:bob@[0:0::1]:5070", True),
        ("sip:proxy.local:5080", True),
        ("sip:PROXY.local", True),
        ("sip:example.com", True),
        ("sip:example.com:7777", True),  # an alias without port: any port
        ("sips:example.com", True),
        ("sip:sip.example.com:5061;transport=tcp", True),
        ("sip:sip.example.com:5061;transport=udp", False),
        ("sip:sip.example.com:5060", False),
        ("sip:203.0.113.1:5060", True),  # advertised
        ("sip:203.0.113.1:5090", False),
        ("sip:192.0.2.7:5090", True),  # wildcard socket, a local address
        ("sip:192.0.2.8:5090", False),
        ("sip:other.example.org", False),
        ("tel:+15551234", False),
    ],
)
def test_uri_is_myself(local: LocalAddresses, uri: str, ours: bool) -> None:
    assert local.uri_is_myself(parse_uri(uri)) is ours


def test_own_destination_and_via(local: LocalAddresses) -> None:
    assert local.is_own_destination(Destination("udp", "127.0.0.1", 5060))
    assert not local.is_own_destination(Destination("udp", "127.0.0.1", 5061))
    assert local.via_is_ours(parse_via("SIP/2.0/TCP [::1]:5070;branch=z9hG4bK1"))
    assert not local.via_is_ours(parse_via("SIP/2.0/UDP [::1]:5070;branch=z9hG4bK1"))
    assert local.sent_by_texts == ["127.0.0.1:5060", "[::1]:5070", "127.0.0.2:5080",
                                   "203.0.113.1:5060"]
    assert [str(a) for a in local.aliases] == ["example.com", "tcp:sip.example.com:5061",
                                               "proxy.local"]


def test_alias_syntax() -> None:
    assert parse_alias("udp:[2001:DB8::1]:5060") == Alias("2001:db8::1", 5060, "udp")
    with pytest.raises(ValueError, match="alias 'a b'"):
        parse_alias("a b")


def info(src: str = "192.0.2.9", port: int = 40000, proto: str = "udp") -> ReceiveInfo:
    return ReceiveInfo(proto, src, port, UDP4, 7 if proto == "tcp" else None)


def request_with_via(via: str) -> Request:
    return Request("OPTIONS", "sip:127.0.0.1", headers=[
        ("Via", via), ("From", "<sip:a@b>;tag=1"), ("To", "<sip:c@d>"), ("Call-ID", "x"),
        ("CSeq", "1 OPTIONS")])


@pytest.mark.parametrize(
    ("via", "force", "expected"),
    [
        ("SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK1", False,
         "SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK1"),
        ("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1", False,
         "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;received=192.0.2.9"),
        ("SIP/2.0/UDP phone.example.com;branch=z9hG4bK1", False,
         "SIP/2.0/UDP phone.example.com;branch=z9hG4bK1;received=192.0.2.9"),
        ("SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK1;rport", False,
         "SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK1;rport=40000;received=192.0.2.9"),
        ("SIP/2.0/UDP 192.0.2.9:5060;rport;branch=z9hG4bK1", True,
         "SIP/2.0/UDP 192.0.2.9:5060;rport=40000;branch=z9hG4bK1;received=192.0.2.9"),
        ("SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK1", True,
         "SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK1;rport=40000;received=192.0.2.9"),
    ],
)
def test_received_and_rport(via: str, force: bool, expected: str) -> None:
    request = request_with_via(via)
    apply_received(request, info(), force)
    assert request.get_headers("via") == [expected]


def test_received_keeps_the_other_vias() -> None:
    request = request_with_via("SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;rport, "
                               "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2")
    apply_received(request, info(), False)
    assert [str(v) for v in request.vias] == [
        "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;rport=40000;received=192.0.2.9",
        "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2"]


@pytest.mark.parametrize(
    ("via", "target"),
    [
        ("SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK1", ("udp", "10.0.0.1", 5062)),
        ("SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK1", ("tcp", "10.0.0.1", 5060)),
        ("SIP/2.0/UDP h;received=10.0.0.9;branch=z9hG4bK1", ("udp", "10.0.0.9", 5060)),
        ("SIP/2.0/UDP h:5070;received=10.0.0.9;rport=4000", ("udp", "10.0.0.9", 4000)),
        ("SIP/2.0/UDP [::1]:5070;rport", ("udp", "::1", 5070)),
    ],
)
def test_reply_target(via: str, target: tuple[str, str, int]) -> None:
    assert reply_target(parse_via(via)) == target


def test_reply_destination_prefers_the_connection() -> None:
    request = request_with_via("SIP/2.0/TCP 10.0.0.1:5062;branch=z9hG4bK1")
    dest = reply_destination(request, info(proto="tcp"))
    assert (dest.proto, dest.host, dest.port, dest.conn_id) == ("tcp", "10.0.0.1", 5062, 7)


def test_max_forwards() -> None:
    request = request_with_via("SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1")
    decrement_max_forwards(request)
    assert request.get_header("max-forwards") == "70"
    request.set_header("Max-Forwards", "1")
    decrement_max_forwards(request)
    assert request.max_forwards == 0
    with pytest.raises(TooManyHops):
        decrement_max_forwards(request)


def test_stateless_branch_is_stable_and_shared_by_cancel() -> None:
    invite = parse_message(SIPSAK_OPTIONS.replace(b"OPTIONS", b"INVITE"))
    cancel = parse_message(SIPSAK_OPTIONS.replace(b"OPTIONS", b"CANCEL"))
    assert isinstance(invite, Request) and isinstance(cancel, Request)
    again = parse_message(SIPSAK_OPTIONS.replace(b"OPTIONS", b"INVITE"))
    assert isinstance(again, Request)
    branch = stateless_branch(invite)
    assert branch.startswith("z9hG4bK") and is_ours(branch)
    assert stateless_branch(again) == branch  # a retransmission
    assert stateless_branch(cancel).split(".")[0] == branch.split(".")[0]
    other = parse_message(SIPSAK_OPTIONS.replace(b"z9hG4bK.5c3a1e27", b"z9hG4bK.other"))
    assert isinstance(other, Request)
    first = parse_message(SIPSAK_OPTIONS)
    assert isinstance(first, Request)
    assert stateless_branch(other) != stateless_branch(first)


def test_loop_hash_follows_the_request_uri() -> None:
    request = parse_message(SIPSAK_OPTIONS)
    assert isinstance(request, Request)
    before = loop_hash(request)
    assert loop_part(stateless_branch(request)) == before
    request.ruri = "sip:elsewhere.example.com"
    assert loop_hash(request) != before
    assert loop_part("z9hG4bK.notours") is None


def test_the_ack_of_a_non_2xx_and_cancel_keep_the_invite_branch() -> None:
    def make(method: str, to: str, extra: list[tuple[str, str]]) -> Request:
        return Request(method, "sip:bob@example.com", headers=[
            ("Via", "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKabc"), ("From", "<sip:a@b>;tag=1"),
            ("To", to), ("Call-ID", "x"), ("CSeq", f"5 {method}"), *extra])

    invite = make("INVITE", "<sip:bob@example.com>",
                  [("Proxy-Authorization", "Digest x"), ("Proxy-Require", "foo")])
    ack = make("ACK", "<sip:bob@example.com>;tag=99", [])
    cancel = make("CANCEL", "<sip:bob@example.com>", [])
    assert stateless_branch(invite) == stateless_branch(ack) == stateless_branch(cancel)
    other_route = make("INVITE", "<sip:bob@example.com>", [("Route", "<sip:p1;lr>")])
    assert loop_hash(other_route) != loop_hash(invite)


def test_a_module_check_answers_for_more_names(local: LocalAddresses) -> None:
    assert not local.is_myself("voip.example.net")
    local.add_check(lambda host, port, proto: host.endswith(".example.net"))
    assert local.uri_is_myself(parse_uri("sip:alice@voip.example.net"))
    # a destination address is only ever compared with our sockets and aliases
    local.add_check(lambda host, port, proto: True)
    assert not local.is_own_destination(Destination("udp", "192.0.2.200", 5060))
