"""URIs: parsing, byte-exact output, RFC 3261 19.1.4 comparison, tel: (RFC 3966)."""

from __future__ import annotations

import pytest

from proxy.sip import Params, SipParseError, Uri, parse_uri, uri_equal


def test_full_sip_uri_components() -> None:
    uri = parse_uri("sip:alice:secret@atlanta.example.com:5070;transport=tcp;lr;maddr=239.255.255.1"
                    "?subject=project%20x&priority=urgent")
    assert uri.scheme == "sip"
    assert uri.user == "alice"
    assert uri.password == "secret"
    assert uri.host == "atlanta.example.com"
    assert uri.port == 5070
    assert uri.params.items == (("transport", "tcp"), ("lr", None), ("maddr", "239.255.255.1"))
    assert uri.transport == "tcp"
    assert uri.lr
    assert uri.maddr == "239.255.255.1"
    assert uri.headers == (("subject", "project%20x"), ("priority", "urgent"))
    assert uri.hostport == "atlanta.example.com:5070"


def test_minimal_uris() -> None:
    uri = parse_uri("sip:example.com")
    assert (uri.user, uri.host, uri.port, len(uri.params)) == (None, "example.com", None, 0)
    assert uri.default_port == 5060
    assert parse_uri("sips:b.example").default_port == 5061
    assert parse_uri("sip:127.0.0.1:5070").hostport == "127.0.0.1:5070"


@pytest.mark.parametrize(
    "text",
    [
        "sip:alice@example.com",
        "SIP:Alice@Example.COM;Transport=TCP",
        "sip:%61lice%20smith@example.com",
        "sip:+1-212-555-1212:1234@gateway.com;user=phone",
        "sip:user;par=u%40example.net@example.com",
        "sips:[2001:db8::10]:5061;transport=tls",
        "sip:[::1]",
        "sip:alice@[::ffff:192.0.2.1]",
        "sip:host.example.com;maddr=[2001:db8::1];lr",
        "sip:bob@b.example?Replaces=abc%40host%3Bto-tag%3D1&Require=replaces",
        "sip:*21#@example.com",
        "tel:+1-201-555-0123",
        "tel:7042;phone-context=example.com",
        "tel:+358-555-1234567;postd=pp22;isub=1411",
        "TEL:+12015550123;ext=1234",
    ],
)
def test_round_trip_is_byte_exact(text: str) -> None:
    assert str(parse_uri(text)) == text


def test_user_escapes_are_kept_as_written() -> None:
    uri = parse_uri("sip:%61lice@example.com")
    assert uri.user == "%61lice"
    assert str(uri) == "sip:%61lice@example.com"


def test_scheme_is_lower_case_but_text_kept() -> None:
    uri = parse_uri("SIPS:Bob@Biloxi.example.com")
    assert uri.scheme == "sips"
    assert uri.is_secure
    assert uri.host == "Biloxi.example.com"
    assert str(uri) == "SIPS:Bob@Biloxi.example.com"


def test_ipv6_host() -> None:
    uri = parse_uri("sip:alice@[2001:db8::10]:5070;transport=udp")
    assert uri.host == "[2001:db8::10]"
    assert uri.host_bare == "2001:db8::10"
    assert uri.is_ipv6
    assert uri.port == 5070
    assert parse_uri("sip:[::1]").port is None


def test_tel_uri() -> None:
    uri = parse_uri("tel:+1-201-555-0123;ext=1234")
    assert uri.is_tel
    assert uri.user == "+1-201-555-0123"
    assert uri.host == ""
    assert uri.param("ext") == "1234"
    assert uri.default_port is None


# -- comparison (RFC 3261 19.1.4 examples) ----------------------------------------------------

EQUIVALENT = [
    ("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"),
    ("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"),
    ("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
     "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"),
    ("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
     "sip:alice@atlanta.com?priority=urgent&subject=project%20x"),
    ("sip:alice@[2001:db8:0:0::1]", "sip:alice@[2001:DB8::1]"),
    ("tel:+1-201-555-0123", "tel:+1.201.555.0123"),
    ("tel:7042;phone-context=EXAMPLE.com", "tel:7042;phone-context=example.com"),
]

DIFFERENT = [
    ("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"),
    ("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"),
    ("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"),
    ("sip:alice@example.com", "sips:alice@example.com"),
    ("sip:alice:pw1@example.com", "sip:alice:pw2@example.com"),
    ("tel:+1-201-555-0123", "tel:+1-201-555-0124"),
    ("tel:7042;phone-context=example.com", "tel:7042;phone-context=example.net"),
    ("tel:+12015550123", "sip:+12015550123@example.com"),
]


@pytest.mark.parametrize(("a", "b"), EQUIVALENT)
def test_equivalent_uris(a: str, b: str) -> None:
    ua, ub = parse_uri(a), parse_uri(b)
    assert ua == ub
    assert ub == ua
    assert uri_equal(ua, ub)
    assert hash(ua) == hash(ub)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_uris(a: str, b: str) -> None:
    ua, ub = parse_uri(a), parse_uri(b)
    assert ua != ub
    assert not uri_equal(ub, ua)


def test_uri_is_not_equal_to_text() -> None:
    assert parse_uri("sip:a@b") != "sip:a@b"


# -- building -----------------------------------------------------------------------------------


def test_replace_and_params() -> None:
    uri = parse_uri("sip:alice@example.com;transport=udp")
    moved = uri.replace(host="192.0.2.5", port=5080)
    assert str(moved) == "sip:alice@192.0.2.5:5080;transport=udp"
    assert str(uri) == "sip:alice@example.com;transport=udp"  # immutable
    assert str(uri.with_param("lr")) == "sip:alice@example.com;transport=udp;lr"
    assert str(uri.with_param("Transport", "tcp")) == "sip:alice@example.com;transport=tcp"
    assert str(uri.without_param("TRANSPORT")) == "sip:alice@example.com"
    assert str(uri.replace(params=[("a", "1")], headers=[("h", "v")])) == \
        "sip:alice@example.com;a=1?h=v"


def test_constructed_uri() -> None:
    uri = Uri("sip", "proxy.example.com", user="bob", port=5061, params=Params([("lr", None)]))
    assert str(uri) == "sip:bob@proxy.example.com:5061;lr"
    assert uri == parse_uri("sip:bob@PROXY.example.com:5061;lr")
    assert str(Uri("tel", user="+431234")) == "tel:+431234"


def test_uri_is_immutable() -> None:
    uri = parse_uri("sip:a@b")
    with pytest.raises(AttributeError):
        uri.host = "c"  # type: ignore[misc]


@pytest.mark.parametrize(
    "changes",
    [
        {"host": "bad host"},
        {"host": "[::zz]"},
        {"port": 70000},
        {"user": "a b"},
        {"user": "a@b"},
        {"params": [("bad name", None)]},
        {"params": [("x", "a;b")]},
        {"headers": [("h", "a b")]},
        {"password": "p"},  # no user
    ],
)
def test_replace_validates(changes: dict[str, object]) -> None:
    base = parse_uri("sip:example.com")
    with pytest.raises(SipParseError):
        base.replace(**changes)


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "no scheme"),
        ("alice@example.com", "no scheme"),
        (":alice@example.com", "no scheme"),
        ("sip:", "no host"),
        ("sip:alice@", "no host"),
        ("sip:@example.com", "empty user"),
        ("sip:alice@example.com:", "bad port"),
        ("sip:alice@example.com:50a", "bad port"),
        ("sip:alice@example.com:65536", "out of range"),
        ("sip:alice@[::1", "unterminated IPv6"),
        ("sip:alice@[::1]x", "junk after IPv6"),
        ("sip:alice@[1:2:3:4:5:6:7:8:9]", "bad IPv6 address"),
        ("sip:alice@exa mple.com", "bad URI host"),
        ("sip:al ice@example.com", "bad URI user"),
        ("sip:alice@example.com;;lr", "empty parameter"),
        ("sip:alice@example.com;a=b c", "bad value"),
        ("sip:alice@example.com?subject", "without '='"),
        ("sip:alice@example.com?", "without '='"),
        ("tel:", "bad tel URI number"),
        ("tel:+", "bad tel URI number"),
        ("tel:12a@host", "bad tel URI number"),
        ("tel:+1 555", "bad tel URI number"),
    ],
)
def test_bad_uris(text: str, fragment: str) -> None:
    with pytest.raises(SipParseError) as info:
        parse_uri(text)
    assert fragment in str(info.value)
    assert info.value.status == 400


@pytest.mark.parametrize("text", ["mailto:alice@example.com", "http://example.com/", "urn:x:y"])
def test_unsupported_scheme_is_416(text: str) -> None:
    with pytest.raises(SipParseError) as info:
        parse_uri(text)
    assert info.value.status == 416
    assert "unsupported URI scheme" in str(info.value)
