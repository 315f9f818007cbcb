"""Record-Route values and loose routing (RFC 3261 16.4, 16.6, 16.12), without sockets."""

from __future__ import annotations

import socket

from proxy.routing.rr import add_record_route, is_own_rr_uri, loose_route, rr_value
from proxy.sip import Request, Uri, parse_uri
from proxy.transport import SocketInfo

UDP4 = SocketInfo("udp", "127.0.0.1", 5060, socket.AF_INET, "127.0.0.1")
TCP4 = SocketInfo("tcp", "127.0.0.1", 5060, socket.AF_INET, "127.0.0.1")
UDP6 = SocketInfo("udp", "::1", 5062, socket.AF_INET6, "::1")
NAT = SocketInfo("udp", "10.0.0.1", 5060, socket.AF_INET, "10.0.0.1", "203.0.113.7", 5080)
OURS = {("127.0.0.1", 5060), ("[::1]", 5062), ("203.0.113.7", 5080)}


def myself(uri: Uri) -> bool:
    return (uri.host, uri.port or 5060) in OURS


def req(ruri: str = "sip:bob@192.0.2.9", routes: tuple[str, ...] = ()) -> Request:
    headers = [("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx"), ("From", "<sip:a@x>;tag=1"),
               ("To", "<sip:b@y>;tag=2"), ("Call-ID", "c"), ("CSeq", "2 BYE")]
    headers += [("Route", r) for r in routes]
    return Request("BYE", ruri, headers=headers)


def test_rr_values() -> None:
    assert rr_value(UDP4, None) == "<sip:127.0.0.1:5060;lr>"
    assert rr_value(TCP4, None) == "<sip:127.0.0.1:5060;transport=tcp;lr>"
    assert rr_value(UDP6, None, double=True) == "<sip:[::1]:5062;lr;r2=on>"
    assert rr_value(NAT, None, "ftag=1") == "<sip:203.0.113.7:5080;lr;ftag=1>"


def test_single_and_double_record_route() -> None:
    one = req()
    add_record_route(one, UDP4, UDP4, "127.0.0.2", "127.0.0.3")
    assert one.get_headers("record-route") == ["<sip:127.0.0.1:5060;lr>"]
    two = req()
    two.add_header("Record-Route", "<sip:upstream;lr>")
    add_record_route(two, UDP4, UDP6, "127.0.0.2", "::1")
    assert two.get_headers("record-route") == [
        "<sip:[::1]:5062;lr;r2=on>", "<sip:127.0.0.1:5060;lr;r2=on>", "<sip:upstream;lr>"]
    tcp = req()
    add_record_route(tcp, UDP4, TCP4, None, None)
    assert len(tcp.get_headers("record-route")) == 2  # same address, other transport


def test_loose_route_pops_ours_and_goes_to_the_next() -> None:
    request = req(routes=("<sip:127.0.0.1:5060;lr>", "<sip:192.0.2.50;lr>"))
    result = loose_route(request, myself)
    assert result.applied and result.next_hop == "sip:192.0.2.50;lr"
    assert request.get_headers("route") == ["<sip:192.0.2.50;lr>"]
    assert request.ruri_text == "sip:bob@192.0.2.9"


def test_loose_route_pops_both_of_a_double_record_route() -> None:
    request = req(routes=("<sip:[::1]:5062;lr;r2=on>, <sip:127.0.0.1:5060;lr;r2=on>",))
    result = loose_route(request, myself)
    assert result.applied and result.next_hop is None
    assert request.get_headers("route") == []


def test_no_route_header_is_not_applied() -> None:
    request = req()
    assert not loose_route(request, myself).applied


def test_preloaded_foreign_route_is_followed() -> None:
    request = req(routes=("<sip:192.0.2.50;lr>",))
    result = loose_route(request, myself)
    assert result.applied and result.next_hop == "sip:192.0.2.50;lr"
    assert request.get_headers("route") == ["<sip:192.0.2.50;lr>"]


def test_strict_router_before_us() -> None:
    # a strict router put our Record-Route into the Request-URI, the remote target last
    request = req("sip:127.0.0.1:5060;lr", routes=("<sip:bob@192.0.2.9>",))
    assert is_own_rr_uri(request.ruri, myself)
    result = loose_route(request, myself)
    assert result.applied and result.next_hop is None
    assert request.ruri_text == "sip:bob@192.0.2.9"
    assert request.get_headers("route") == []


def test_strict_router_next() -> None:
    request = req(routes=("<sip:127.0.0.1:5060;lr>", "<sip:192.0.2.60>", "<sip:192.0.2.61;lr>"))
    result = loose_route(request, myself)
    assert result.applied and result.next_hop is None
    assert request.ruri == parse_uri("sip:192.0.2.60")
    assert request.header_values("route") == ["<sip:192.0.2.61;lr>", "<sip:bob@192.0.2.9>"]
