"""Listen addresses: one syntax for -l and [core] listen, with an advertised address."""

from __future__ import annotations

import pytest

from proxy.transport import DEFAULT_LISTEN, ListenError, ListenSpec, parse_listen, parse_listen_list


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("udp:127.0.0.1:5060", [ListenSpec("udp", "127.0.0.1", 5060)]),
        ("tcp:[::1]:5070", [ListenSpec("tcp", "::1", 5070)]),
        ("TCP:[::1]", [ListenSpec("tcp", "::1", 5060)]),
        ("127.0.0.1:5080", [ListenSpec("udp", "127.0.0.1", 5080),
                            ListenSpec("tcp", "127.0.0.1", 5080)]),
        ("udp:localhost", [ListenSpec("udp", "localhost", 5060)]),
        ("udp:127.0.0.1:0", [ListenSpec("udp", "127.0.0.1", 0)]),
        ("udp:0.0.0.0:5060 advertise 203.0.113.1:5060",
         [ListenSpec("udp", "0.0.0.0", 5060, "203.0.113.1", 5060)]),
        ("udp:0.0.0.0:5060 ADVERTISE sip.example.com",
         [ListenSpec("udp", "0.0.0.0", 5060, "sip.example.com", None)]),
        ("tcp:[::]:5060/[2001:db8::1]:5080",
         [ListenSpec("tcp", "::", 5060, "2001:db8::1", 5080)]),
    ],
)
def test_good_addresses(text: str, expected: list[ListenSpec]) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "expected [PROTO:]HOST"),
        ("tls:127.0.0.1:5061", "tls is not supported"),
        ("udp:::1:5060", "brackets"),
        ("udp:[::1", "missing ']'"),
        ("udp:[::zz]:5060", "bad IPv6"),
        ("udp:127.0.0.1:99999", "port must be 0-65535"),
        ("udp:127.0.0.1:", "no port"),
        ("udp:127.0.0.1:x", "port must be"),
        ("udp:bad host:5060", "expected"),
        ("udp:127.0.0.1:5060 advertise", "expected"),
        ("udp:127.0.0.1:5060/", "nothing after '/'"),
        ("udp:ex!ample:5060", "bad host"),
        ("udp:[::1]x", "unexpected"),
    ],
)
def test_bad_addresses_say_why(text: str, fragment: str) -> None:
    with pytest.raises(ListenError) as info:
        parse_listen(text)
    assert fragment in str(info.value)
    assert repr(text) in str(info.value) or not text


def test_a_duplicate_is_refused_but_port_zero_may_repeat() -> None:
    with pytest.raises(ListenError, match="given twice"):
        parse_listen_list(["udp:127.0.0.1:5060", "127.0.0.1:5060"])
    assert len(parse_listen_list(["udp:127.0.0.1:0", "udp:127.0.0.1:0"])) == 2


def test_default_is_loopback_udp_and_tcp() -> None:
    specs = parse_listen_list(DEFAULT_LISTEN)
    assert [(s.proto, s.host, s.port) for s in specs] == [
        ("udp", "127.0.0.1", 5060), ("tcp", "127.0.0.1", 5060)]


def test_spec_text_round_trips() -> None:
    for text in ("udp:127.0.0.1:5060", "tcp:[::1]:5070 advertise 203.0.113.1:5060"):
        (spec,) = parse_listen(text)
        assert str(spec) == text
        assert parse_listen(str(spec)) == [spec]
