"""Header names, list splitting, parameters and the typed values (NameAddr, Via, CSeq)."""

from __future__ import annotations

import pytest

from proxy.sip import (
    COMPACT_FORMS,
    CSeq,
    NameAddr,
    Params,
    SipParseError,
    Via,
    canonical_name,
    header_key,
    is_list_header,
    parse_cseq,
    parse_name_addr,
    parse_name_addr_list,
    parse_uri,
    parse_via,
    parse_via_list,
    quote,
    split_commas,
    unquote,
)

# -- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("compact", "full"),
    [("i", "Call-ID"), ("m", "Contact"), ("f", "From"), ("t", "To"), ("v", "Via"),
     ("l", "Content-Length"), ("c", "Content-Type"), ("k", "Supported"), ("s", "Subject"),
     ("e", "Content-Encoding"), ("o", "Event"), ("r", "Refer-To"), ("b", "Referred-By"),
     ("u", "Allow-Events"), ("x", "Session-Expires"), ("y", "Identity"),
     ("a", "Accept-Contact"), ("j", "Reject-Contact"), ("d", "Request-Disposition")],
)
def test_compact_forms(compact: str, full: str) -> None:
    assert COMPACT_FORMS[compact] == full
    assert header_key(compact) == full.lower()
    assert header_key(compact.upper()) == full.lower()
    assert canonical_name(compact) == full
    assert canonical_name(full.upper()) == full


def test_canonical_names() -> None:
    assert canonical_name("call-id") == "Call-ID"
    assert canonical_name("CSEQ") == "CSeq"
    assert canonical_name("www-authenticate") == "WWW-Authenticate"
    assert canonical_name("record-route") == "Record-Route"
    assert canonical_name("X-Custom-Thing") == "X-Custom-Thing"  # unknown: as given
    assert header_key("X-Custom-Thing") == "x-custom-thing"


def test_list_headers() -> None:
    for name in ("Via", "v", "Contact", "m", "Route", "Record-Route", "Allow", "Supported",
                 "k", "Require", "Path"):
        assert is_list_header(name), name
    for name in ("From", "To", "Call-ID", "CSeq", "WWW-Authenticate", "Authorization",
                 "Date", "Subject", "User-Agent"):
        assert not is_list_header(name), name


# -- lexical pieces ------------------------------------------------------------------------------


def test_split_commas_respects_quotes_and_angles() -> None:
    value = ('"Smith, Bob" <sip:bob@b.example;x=1,2>;q=0.5, <sip:a@b?h=x,y>,'
             ' sip:c@d;expires=10 ,"a \\" , b" <sip:e@f>')
    assert split_commas(value) == [
        '"Smith, Bob" <sip:bob@b.example;x=1,2>;q=0.5',
        "<sip:a@b?h=x,y>",
        "sip:c@d;expires=10",
        '"a \\" , b" <sip:e@f>',
    ]
    assert split_commas("INVITE,ACK , BYE,,") == ["INVITE", "ACK", "BYE"]
    assert split_commas("") == []


@pytest.mark.parametrize("value", ['"unterminated, x', "<sip:a@b, c"])
def test_split_commas_errors(value: str) -> None:
    with pytest.raises(SipParseError):
        split_commas(value)


def test_quote_unquote() -> None:
    assert quote('a"b\\c') == '"a\\"b\\\\c"'
    assert unquote(quote('a"b\\c')) == 'a"b\\c'
    assert unquote('"plain"') == "plain"
    assert unquote("token") == "token"


def test_params_are_case_insensitive_and_ordered() -> None:
    params = Params([("Transport", "TCP"), ("lr", None), ("tag", "")])
    assert params.get("transport") == "TCP"
    assert "LR" in params
    assert params.get("lr") is None and "lr" in params
    assert params.get("tag") == ""
    assert params.get("missing", "x") == "x"
    assert str(params) == ";Transport=TCP;lr;tag="
    assert str(params.with_param("transport", "udp")) == ";Transport=udp;lr;tag="
    assert str(params.with_param("new", "1")) == ";Transport=TCP;lr;tag=;new=1"
    assert str(params.without_param("LR")) == ";Transport=TCP;tag="
    with pytest.raises(ValueError, match="bad parameter name"):
        params.with_param("a b", "1")
    with pytest.raises(ValueError, match="bad value"):
        params.with_param("a", "x\r\nVia: evil")


# -- name-addr ---------------------------------------------------------------------------------


def test_name_addr_quoted_display_name() -> None:
    addr = parse_name_addr('"Alice" <sip:alice@example.com>;tag=1')
    assert addr.display_name == "Alice"
    assert str(addr.uri) == "sip:alice@example.com"
    assert addr.tag == "1"


def test_name_addr_display_name_with_comma_and_angle() -> None:
    addr = parse_name_addr('"Doe, John <boss> \\"JD\\"" <sip:jd@example.com;transport=tcp>;tag=x')
    assert addr.display_name == 'Doe, John <boss> "JD"'
    assert addr.uri.transport == "tcp"
    assert addr.tag == "x"
    assert parse_name_addr(str(addr)) == addr


def test_name_addr_token_display_name() -> None:
    addr = parse_name_addr("Bob Smith <sip:bob@biloxi.example.com>")
    assert addr.display_name == "Bob Smith"
    assert addr.tag is None


def test_name_addr_without_display_name() -> None:
    addr = parse_name_addr("<sip:a@b>")
    assert addr.display_name is None
    assert str(addr) == "<sip:a@b>"
    empty = parse_name_addr('"" <sip:a@b>')
    assert empty.display_name == ""


def test_addr_spec_params_belong_to_the_header() -> None:
    addr = parse_name_addr("sip:a@b;tag=x;lr")
    assert addr.tag == "x"
    assert "lr" in addr.params
    assert len(addr.uri.params) == 0
    assert str(addr) == "<sip:a@b>;tag=x;lr"


def test_addr_spec_with_quoted_angle_in_param() -> None:
    addr = parse_name_addr('sip:alice@192.0.2.4;+sip.instance="<urn:uuid:1>";reg-id=1')
    assert str(addr.uri) == "sip:alice@192.0.2.4"
    assert addr.param("+sip.instance") == '"<urn:uuid:1>"'
    assert addr.param("reg-id") == "1"


def test_bracketed_uri_params_stay_in_the_uri() -> None:
    addr = parse_name_addr("<sip:a@b;lr;tag=inner>;tag=outer")
    assert addr.uri.lr
    assert addr.uri.param("tag") == "inner"
    assert addr.tag == "outer"


def test_name_addr_params_with_spaces_and_quotes() -> None:
    addr = parse_name_addr('<sip:a@b> ; expires = 60 ;+sip.instance="<urn:uuid:1>" ; q=0.5')
    assert addr.expires == 60
    assert addr.q == 0.5
    assert addr.param("+sip.instance") == '"<urn:uuid:1>"'


def test_name_addr_tel_uri() -> None:
    addr = parse_name_addr("<tel:+1-212-555-1212>;tag=9")
    assert addr.uri.is_tel
    assert addr.tag == "9"


def test_name_addr_edits() -> None:
    addr = parse_name_addr("<sip:a@b>")
    tagged = addr.with_tag("abc")
    assert str(tagged) == "<sip:a@b>;tag=abc"
    assert str(tagged.without_param("tag")) == "<sip:a@b>"
    assert str(addr.replace(display_name="Al")) == '"Al" <sip:a@b>'
    assert str(NameAddr(parse_uri("sip:x@y"), 'A "q"')) == '"A \\"q\\"" <sip:x@y>'
    with pytest.raises(SipParseError):
        NameAddr(parse_uri("sip:x@y"), "two\r\nlines")


def test_name_addr_list() -> None:
    addrs = parse_name_addr_list('<sip:p2.example.com;lr>, "x, y" <sip:p1.example.com;lr>')
    assert [str(a.uri) for a in addrs] == ["sip:p2.example.com;lr", "sip:p1.example.com;lr"]
    assert addrs[1].display_name == "x, y"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "empty"),
        ('"Alice <sip:a@b>', "unterminated quoted string"),
        ('"Alice" sip:a@b', "'<' expected"),
        ("<sip:a@b", "missing '>'"),
        ("Al<ice> <sip:a@b>", "bad"),
        ("<mailto:a@b>", "unsupported URI scheme"),
        ("<sip:a@b>;tag", None),  # valid: flag parameter
        ("<sip:a@b> junk", "bad parameters"),
        ("<sip:a@b>;=x", "bad parameters"),
        ("sip:a@b c", "bad address"),
        ("<sip:a@b>;x=\"open", "bad parameters"),
    ],
)
def test_name_addr_errors(value: str, fragment: str | None) -> None:
    if fragment is None:
        assert parse_name_addr(value, "To").tag is None
        return
    with pytest.raises(SipParseError) as info:
        parse_name_addr(value, "To")
    assert fragment in str(info.value)
    assert str(info.value).startswith("bad To header") or "unsupported" in str(info.value)


def test_contact_expires_and_q_errors() -> None:
    with pytest.raises(SipParseError, match="expires"):
        parse_name_addr("<sip:a@b>;expires=soon").expires  # noqa: B018
    with pytest.raises(SipParseError, match="q value"):
        parse_name_addr("<sip:a@b>;q=high").q  # noqa: B018
    with pytest.raises(SipParseError, match="out of range"):
        parse_name_addr("<sip:a@b>;q=1.5").q  # noqa: B018
    assert parse_name_addr("<sip:a@b>").expires is None


# -- Via -------------------------------------------------------------------------------------


def test_via_full() -> None:
    via = parse_via("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;received=203.0.113.7"
                    ";rport=40001;ttl=16;maddr=224.2.0.1")
    assert via.protocol == "SIP/2.0"
    assert via.transport == "UDP"
    assert via.host == "192.0.2.1"
    assert via.port == 5060
    assert via.branch == "z9hG4bK776asdhds"
    assert via.received == "203.0.113.7"
    assert via.rport == 40001
    assert via.has_rport
    assert via.ttl == 16
    assert via.maddr == "224.2.0.1"
    assert via.sent_by == "192.0.2.1:5060"


def test_via_empty_rport_and_ipv6() -> None:
    via = parse_via("SIP/2.0/tcp [2001:db8::9]:5062;branch=z9hG4bKa;rport")
    assert via.transport == "TCP"
    assert via.host == "[2001:db8::9]"
    assert via.host_bare == "2001:db8::9"
    assert via.port == 5062
    assert via.has_rport and via.rport is None
    assert parse_via("SIP/2.0/UDP [::1];branch=z9hG4bKb").port is None


def test_via_with_spaces() -> None:
    via = parse_via("SIP / 2.0 / UDP   first.example.com : 4000 ; ttl=16 ;branch=z9hG4bKa7c6a8dlze")
    assert (via.host, via.port, via.ttl, via.branch) == \
        ("first.example.com", 4000, 16, "z9hG4bKa7c6a8dlze")


def test_via_list_and_str() -> None:
    vias = parse_via_list("SIP/2.0/UDP a.example;branch=z9hG4bK1, SIP/2.0/TCP b.example:5070")
    assert [v.host for v in vias] == ["a.example", "b.example"]
    assert str(vias[0]) == "SIP/2.0/UDP a.example;branch=z9hG4bK1"
    assert str(vias[1]) == "SIP/2.0/TCP b.example:5070"


def test_via_building() -> None:
    via = Via("UDP", "192.0.2.1", 5060).with_param("branch", "z9hG4bKx").with_param("rport")
    assert str(via) == "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx;rport"
    answered = via.with_param("received", "203.0.113.9").with_param("rport", "5999")
    assert str(answered) == \
        "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx;rport=5999;received=203.0.113.9"
    assert parse_via(str(answered)) == answered
    with pytest.raises(SipParseError):
        Via("UDP", "bad host")
    with pytest.raises(SipParseError):
        Via("UDP", "h", 70000)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "SIP/2.0 host",
        "SIP/2.0/UDP",
        "SIP/2.0/UDP host:99999",
        "SIP/2.0/UDP host:50x",
        "SIP/2.0/UDP [::1",
        "SIP/2.0/UDP [1::2::3]",
        "SIP/2.0/UDP host;rport=abc",
        "SIP/2.0/UDP host;ttl=999",
        "SIP/2.0/UDP host branch=1",
        "SIP/2.0/UDP host;branch=\"x",
    ],
)
def test_bad_vias(value: str) -> None:
    with pytest.raises(SipParseError) as info:
        parse_via(value)
    assert str(info.value).startswith("bad Via header")


# -- CSeq --------------------------------------------------------------------------------------


def test_cseq() -> None:
    assert parse_cseq("4711 INVITE") == CSeq(4711, "INVITE")
    assert parse_cseq("  1\tACK ") == CSeq(1, "ACK")
    assert str(CSeq(2, "BYE")) == "2 BYE"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("abc REGISTER", "not an integer"), ("1", "expected number and method"),
     ("", "expected"), ("1 INVITE extra", "expected"), ("99999999999 INVITE", "out of range"),
     ("4294967296 INVITE", "out of range"), ("1 IN<VITE", "bad method"), ("-1 INVITE", "integer")],
)
def test_bad_cseq(value: str, fragment: str) -> None:
    with pytest.raises(SipParseError) as info:
        parse_cseq(value)
    assert fragment in str(info.value)
