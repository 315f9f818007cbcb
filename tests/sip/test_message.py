"""Messages: lazy parsing, typed accessors, header edits, serialisation, replies."""

from __future__ import annotations

import pytest

from proxy.sip import (
    CSeq,
    Request,
    Response,
    SipParseError,
    Via,
    make_response,
    parse_message,
    parse_uri,
    reason_phrase,
)
from tests.sip.samples import (
    ALL,
    COMPACT_INVITE,
    INVITE_SDP,
    KAMAILIO_200_REGISTER,
    MESSAGE_TEXT,
    SDP,
    SIPSAK_OPTIONS,
    SOFTPHONE_REGISTER,
    crlf,
)


def request(data: bytes) -> Request:
    msg = parse_message(data)
    assert isinstance(msg, Request)
    return msg


def response(data: bytes) -> Response:
    msg = parse_message(data)
    assert isinstance(msg, Response)
    return msg


# -- start line and basic accessors ------------------------------------------------------------


def test_sipsak_options() -> None:
    msg = request(SIPSAK_OPTIONS)
    assert msg.is_request
    assert msg.method == "OPTIONS"
    assert msg.ruri == parse_uri("sip:127.0.0.1:5070")
    assert msg.ruri_text == "sip:127.0.0.1:5070"
    assert msg.version == "SIP/2.0"
    assert msg.status is None and msg.reason is None
    assert msg.via.branch == "z9hG4bK.5c3a1e27"
    assert msg.via.has_rport and "alias" in msg.via.params
    assert msg.call_id == "996458017@127.0.0.1"
    assert msg.cseq == CSeq(1, "OPTIONS")
    assert msg.from_.tag == "3b4a7c21"
    assert str(msg.from_.uri) == "sip:sipsak@127.0.0.1:41471"
    assert msg.to.tag is None
    assert msg.max_forwards == 70
    assert msg.content_length == 0
    assert msg.body == b""
    assert msg.get_header("user-agent") == "sipsak 0.9.8.1"
    msg.validate()


def test_kamailio_response() -> None:
    msg = response(KAMAILIO_200_REGISTER)
    assert not msg.is_request
    assert (msg.status, msg.reason) == (200, "OK")
    assert msg.method == "REGISTER"  # from CSeq
    assert msg.ruri is None
    assert msg.via.rport == 51643
    assert msg.via.received == "127.0.0.1"
    assert msg.contacts[0].expires == 3600
    assert msg.to.tag == "df673b98c9e0bd9172cfc0d849035098.239323f4"
    msg.validate()


def test_softphone_register_contact() -> None:
    msg = request(SOFTPHONE_REGISTER)
    (contact,) = msg.contacts
    assert str(contact.uri) == "sip:alice@192.0.2.20;transport=udp"
    assert contact.expires == 3600
    assert contact.q == 0.7
    assert contact.param("reg-id") == "1"
    assert contact.param("+sip.instance") == '"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>"'
    assert msg.expires == 3600
    assert not msg.contact_star
    assert msg.to.tag is None and str(msg.to.uri) == "sip:alice@example.com"


def test_invite_with_sdp() -> None:
    msg = request(INVITE_SDP)
    assert msg.body == SDP
    assert msg.content_length == len(SDP)
    assert msg.content_type == "application/sdp"
    assert msg.from_.display_name == 'Alice, the "first" <one>'
    assert msg.to.display_name == "Bob"
    msg.validate()


def test_multi_values_over_one_and_several_lines() -> None:
    msg = request(INVITE_SDP)
    assert [v.sent_by for v in msg.vias] == [
        "client.atlanta.example.com:5060", "[2001:db8::9]:5062", "192.0.2.4"]
    assert msg.via.transport == "TCP"
    assert [str(r.uri) for r in msg.record_routes] == \
        ["sip:p2.example.com;lr", "sip:p1.example.com;lr"]
    assert [str(r.uri) for r in msg.routes] == \
        ["sip:[2001:db8::1]:5070;lr;transport=udp", "sip:p3.example.com;lr"]
    assert msg.routes[0].uri.host_bare == "2001:db8::1"
    assert msg.header_values("Allow") == ["INVITE", "ACK", "CANCEL", "OPTIONS", "BYE",
                                          "REFER", "NOTIFY"]
    assert msg.get_headers("allow") == ["INVITE, ACK, CANCEL, OPTIONS, BYE", "REFER, NOTIFY"]
    assert msg.get_header("Allow") == "INVITE, ACK, CANCEL, OPTIONS, BYE"
    # a non-list header is never split
    assert msg.header_values("From") == [msg.get_header("f")]


def test_folded_lines_are_unfolded() -> None:
    msg = request(INVITE_SDP)
    assert msg.get_header("Supported") == "timer, 100rel"
    assert msg.header_values("k") == ["timer", "100rel"]
    folded = crlf(
        "OPTIONS sip:a@b SIP/2.0\n"
        "Via: SIP/2.0/UDP 192.0.2.1\n"
        "\t;branch=z9hG4bK1\n"
        "Subject: first\n"
        "   second   \n"
        "  third\n"
        "Content-Length: 0\n\n"
    )
    msg = request(folded)
    assert msg.via.branch == "z9hG4bK1"
    assert msg.get_header("subject") == "first second third"
    assert msg.serialize() == folded


def test_compact_forms_in_a_message() -> None:
    msg = request(COMPACT_INVITE)
    assert msg.via.branch == "z9hG4bKkdjuw"
    assert msg.from_.display_name == "Carol"
    assert msg.to.uri.is_tel
    assert msg.to.uri.user == "+1-212-555-1212"
    assert msg.call_id == "1j9FpLxk3uxtm8tn@192.0.2.7"
    assert str(msg.contacts[0].uri) == "sip:carol@192.0.2.7"
    assert msg.get_header("Subject") == "Need more boxes"
    assert msg.get_header("EVENT") == "presence"
    assert msg.get_header("Session-Expires") == "1800;refresher=uac"
    assert msg.content_type == "text/plain"
    assert msg.body == b"abc"
    assert msg.ruri.param("user") == "phone"
    assert msg.has_header("supported") and msg.has_header("K")
    msg.validate()


def test_lazy_only_what_is_asked_is_parsed() -> None:
    data = crlf(
        "INVITE sip:bob@example.com SIP/2.0\n"
        "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKtop\n"
        "Via: this is not a via\n"
        "From: <<broken\n"
        "To: <sip:bob@example.com>\n"
        "Call-ID: lazy-1\n"
        "CSeq: 1 INVITE\n"
        "Contact: ,,<<\n"
        "Content-Length: 0\n\n"
    )
    msg = request(data)  # parsing the message reads no header value
    assert msg.via.branch == "z9hG4bKtop"  # only the top Via is parsed
    assert msg.call_id == "lazy-1"
    assert msg.cseq.seq == 1
    with pytest.raises(SipParseError, match="bad Via header"):
        msg.vias  # noqa: B018
    with pytest.raises(SipParseError, match="bad From header"):
        msg.from_  # noqa: B018
    with pytest.raises(SipParseError, match="Contact"):
        msg.contacts  # noqa: B018
    assert msg.serialize() == data


def test_parsed_values_are_cached_until_edited() -> None:
    msg = request(SIPSAK_OPTIONS)
    assert msg.via is msg.via
    assert msg.from_ is msg.from_
    top = msg.via
    msg.prepend_via("SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKnew")
    assert msg.via is not top
    assert msg.via.branch == "z9hG4bKnew"


def test_lf_only_message() -> None:
    data = SIPSAK_OPTIONS.replace(b"\r\n", b"\n")
    msg = request(data)
    assert msg.cseq.method == "OPTIONS"
    assert msg.serialize() == data  # unmodified: as received
    msg.add_header("X-Hop", "1")
    assert msg.serialize() == SIPSAK_OPTIONS.replace(
        b"Accept: text/plain\r\n", b"Accept: text/plain\r\nX-Hop: 1\r\n")


def test_leading_crlf_is_skipped() -> None:
    msg = request(b"\r\n\r\n" + SIPSAK_OPTIONS)
    assert msg.method == "OPTIONS"
    assert msg.serialize() == SIPSAK_OPTIONS


# -- body and Content-Length ---------------------------------------------------------------------


def test_datagram_longer_than_content_length_is_truncated() -> None:
    msg = request(MESSAGE_TEXT + b"garbage after the body")
    assert msg.body == b"hello alice"
    assert msg.serialize() == MESSAGE_TEXT


def test_missing_content_length_takes_the_rest_and_serialize_adds_it() -> None:
    data = crlf("MESSAGE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\n"
                "From: <sip:c@d>;tag=1\nTo: <sip:a@b>\nCall-ID: x\nCSeq: 1 MESSAGE\n\n") + b"hi"
    msg = request(data)
    assert msg.content_length is None
    assert msg.body == b"hi"
    assert msg.serialize() == data[:-4] + b"Content-Length: 2\r\n\r\nhi"


def test_serialize_fixes_content_length() -> None:
    msg = request(MESSAGE_TEXT)
    msg.set_body(b"hello bob, longer now", "text/plain;charset=utf-8")
    out = msg.serialize()
    again = request(out)
    assert again.body == b"hello bob, longer now"
    assert again.content_length == len(b"hello bob, longer now")
    assert again.content_type == "text/plain;charset=utf-8"
    assert out.count(b"Content-Length") == 1
    msg.set_body(b"")
    assert request(msg.serialize()).content_length == 0


def test_compact_content_length_kept_when_right_and_fixed_when_wrong() -> None:
    msg = request(COMPACT_INVITE)
    msg.add_header("X-Tag", "1")
    assert b"\r\nl: 3\r\n" in msg.serialize()
    msg.set_body(b"abcdef")
    out = msg.serialize()
    assert b"\r\nl: 6\r\n" in out and out.endswith(b"\r\n\r\nabcdef")


def test_missing_empty_line_is_accepted_and_repaired() -> None:
    data = crlf("OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\n"
                "Content-Length: 0\n")
    msg = request(data)
    assert msg.serialize() == data + b"\r\n"


# -- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ALL))
def test_unmodified_round_trip_is_byte_exact(name: str) -> None:
    data = ALL[name]
    msg = parse_message(data)
    assert msg.serialize() == data
    assert bytes(msg) == data


@pytest.mark.parametrize("name", sorted(ALL))
def test_edited_message_keeps_untouched_lines(name: str) -> None:
    data = ALL[name]
    msg = parse_message(data)
    msg.add_header("X-Test", "1")
    msg.remove_header("X-Test")
    out = msg.serialize()
    assert out == data  # add + remove: every line re-written from its original text


def test_non_utf8_bytes_survive() -> None:
    data = SIPSAK_OPTIONS.replace(b"sipsak 0.9.8.1", b"caf\xe9 \xff phone")
    msg = request(data)
    msg.add_header("X-A", "b")
    assert b"User-Agent: caf\xe9 \xff phone\r\n" in msg.serialize()


# -- header edits --------------------------------------------------------------------------------


def test_set_header_twice_keeps_only_the_last_value() -> None:
    msg = request(SIPSAK_OPTIONS)
    msg.set_header("X-Who", "bob")
    msg.set_header("x-who", "carol")
    assert msg.get_headers("X-Who") == ["carol"]
    out = msg.serialize()
    assert b"carol" in out and b"bob" not in out and out.lower().count(b"x-who") == 1


def test_set_header_replaces_all_fields_in_place_of_the_first() -> None:
    msg = request(INVITE_SDP)
    msg.set_header("Allow", "INVITE, BYE")
    assert msg.get_headers("allow") == ["INVITE, BYE"]
    names = [name for name, _ in msg.headers]
    assert names.index("Allow") == names.index("Route") + 2  # where the first Allow was


def test_add_and_remove_compose() -> None:
    msg = request(SIPSAK_OPTIONS)
    msg.add_header("Route", "<sip:p2.example.com;lr>")
    msg.add_header("Route", "<sip:p3.example.com;lr>")
    msg.add_header("route", "<sip:p1.example.com;lr>", first=True)
    assert [r.uri.host for r in msg.routes] == \
        ["p1.example.com", "p2.example.com", "p3.example.com"]
    assert msg.remove_header("ROUTE") == 3
    assert msg.routes == []
    assert msg.remove_header("Route") == 0
    msg.add_header("i", "ignored-not", first=False)  # compact name, canonical on output
    assert msg.get_headers("Call-ID") == ["996458017@127.0.0.1", "ignored-not"]
    with pytest.raises(SipParseError, match="more than one Call-ID"):
        msg.call_id  # noqa: B018
    assert b"\r\nCall-ID: ignored-not\r\n" in msg.serialize()


def test_add_first_without_existing_goes_to_the_top() -> None:
    msg = request(SIPSAK_OPTIONS)
    msg.add_header("Record-Route", "<sip:192.0.2.1;lr>", first=True)
    assert msg.headers[0] == ("Record-Route", "<sip:192.0.2.1;lr>")
    assert msg.serialize().split(b"\r\n")[1] == b"Record-Route: <sip:192.0.2.1;lr>"


@pytest.mark.parametrize(
    ("name", "value"),
    [("X-Evil", "a\r\nVia: injected"), ("X-Evil", "a\nb"), ("Bad Name", "x"), ("", "x"),
     ("X:", "x"), ("X-S", "\ud800")],
)
def test_edits_refuse_header_injection(name: str, value: str) -> None:
    msg = request(SIPSAK_OPTIONS)
    with pytest.raises(ValueError):
        msg.add_header(name, value)
    with pytest.raises(ValueError):
        msg.set_header(name, value)
    assert msg.serialize() == SIPSAK_OPTIONS


def test_via_prepend_and_pop() -> None:
    msg = request(INVITE_SDP)
    mine = Via("UDP", "198.51.100.1", 5060).with_param("branch", "z9hG4bKproxy")
    msg.prepend_via(mine)
    assert msg.via == mine
    assert len(msg.vias) == 4
    assert msg.pop_via() == mine
    assert msg.via.host == "client.atlanta.example.com"
    msg.pop_via()
    # the next field holds two values: popping the first keeps the second
    assert msg.pop_via().host == "[2001:db8::9]"
    assert msg.get_headers("via") == ["SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK9"]
    assert msg.pop_via().host == "192.0.2.4"
    with pytest.raises(SipParseError, match="missing Via"):
        msg.pop_via()
    with pytest.raises(SipParseError, match="missing Via"):
        msg.via  # noqa: B018


def test_prepend_via_checks_text() -> None:
    msg = request(SIPSAK_OPTIONS)
    with pytest.raises(SipParseError):
        msg.prepend_via("not a via")


def test_proxy_style_forwarding() -> None:
    msg = request(SIPSAK_OPTIONS)
    msg.prepend_via(Via("UDP", "192.0.2.99", 5060).with_param("branch", "z9hG4bKfw"))
    msg.set_header("Max-Forwards", str((msg.max_forwards or 70) - 1))
    msg.ruri = "sip:alice@192.0.2.50:5062"
    out = request(msg.serialize())
    assert out.ruri_text == "sip:alice@192.0.2.50:5062"
    assert out.max_forwards == 69
    assert [v.host for v in out.vias] == ["192.0.2.99", "127.0.0.1"]
    assert out.serialize().startswith(
        b"OPTIONS sip:alice@192.0.2.50:5062 SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKfw\r\n"
        b"Via: SIP/2.0/UDP 127.0.0.1:41471;branch=z9hG4bK.5c3a1e27;rport;alias\r\n")


def test_ruri_set_from_uri_and_bad_text() -> None:
    msg = request(SIPSAK_OPTIONS)
    msg.ruri = msg.ruri.replace(user="bob")
    assert msg.serialize().startswith(b"OPTIONS sip:bob@127.0.0.1:5070 SIP/2.0\r\n")
    with pytest.raises(SipParseError):
        msg.ruri = "not a uri"


def test_copy_is_independent() -> None:
    msg = request(INVITE_SDP)
    branch = msg.copy()
    branch.prepend_via("SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKb1")
    branch.ruri = "sip:bob@10.9.9.9"
    assert msg.serialize() == INVITE_SDP
    assert branch.via.host == "10.1.1.1" and msg.via.host == "client.atlanta.example.com"


# -- building messages ----------------------------------------------------------------------------


def test_build_request_from_scratch() -> None:
    req = Request("OPTIONS", "sip:kamailio@127.0.0.1:5060", headers=[
        ("Via", "SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKping;rport"),
        ("f", "<sip:ping@localhost>;tag=1"),
        ("To", "<sip:kamailio@127.0.0.1:5060>"),
        ("call-id", "ping-1"),
        ("cseq", "1 OPTIONS"),
        ("Max-Forwards", "70"),
    ])
    assert req.serialize() == crlf(
        "OPTIONS sip:kamailio@127.0.0.1:5060 SIP/2.0\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKping;rport\n"
        "From: <sip:ping@localhost>;tag=1\n"
        "To: <sip:kamailio@127.0.0.1:5060>\n"
        "Call-ID: ping-1\n"
        "CSeq: 1 OPTIONS\n"
        "Max-Forwards: 70\n"
        "Content-Length: 0\n\n")
    request(req.serialize()).validate()
    with pytest.raises(ValueError):
        Request("BAD METHOD", "sip:a@b")
    with pytest.raises(SipParseError):
        Request("OPTIONS", "nonsense")


def test_build_response_and_status() -> None:
    resp = Response(486, headers=[("Call-ID", "x")], body=b"busy")
    assert resp.reason == "Busy Here"
    resp.set_status(603)
    assert resp.serialize().startswith(b"SIP/2.0 603 Decline\r\n")
    assert resp.serialize().endswith(b"Content-Length: 4\r\n\r\nbusy")
    with pytest.raises(ValueError):
        Response(99)
    with pytest.raises(ValueError):
        Response(200, "OK\r\nX: y")


# -- make_response (RFC 3261 8.2.6) ----------------------------------------------------------


def test_make_response_copies_the_right_headers() -> None:
    req = request(INVITE_SDP)
    resp = make_response(req, 180, to_tag="as8d7f")
    assert resp.status == 180 and resp.reason == "Ringing"
    assert resp.get_headers("via") == req.get_headers("via")
    assert resp.get_header("From") == req.get_header("From")
    assert resp.to.tag == "as8d7f"
    assert resp.get_header("To") == "Bob <sip:bob@biloxi.example.com>;tag=as8d7f"
    assert resp.call_id == req.call_id
    assert resp.cseq == req.cseq
    assert not resp.has_header("Route") and not resp.has_header("Contact")
    assert resp.body == b""
    out = response(resp.serialize())
    assert out.method == "INVITE" and [v.host for v in out.vias] == [v.host for v in req.vias]


def test_make_response_keeps_existing_to_tag() -> None:
    req = request(SIPSAK_OPTIONS)
    req.set_header("To", "<sip:127.0.0.1:5070>;tag=dialog")
    assert make_response(req, 200, to_tag="new").to.tag == "dialog"


def test_make_response_extras() -> None:
    req = request(SOFTPHONE_REGISTER)
    req.add_header("Timestamp", "54")
    resp = make_response(req, 200, "Registered", to_tag="t1", headers=[
        ("Contact", "<sip:alice@192.0.2.20;transport=udp>;expires=3600"),
        ("Server", "kamproxy")], body=b"x", content_type="text/plain")
    assert resp.reason == "Registered"
    assert resp.contacts[0].expires == 3600
    assert resp.get_header("server") == "kamproxy"
    assert not resp.has_header("Timestamp")  # only a 100 copies it
    assert response(resp.serialize()).body == b"x"
    assert make_response(req, 100).get_header("timestamp") == "54"


def test_make_response_to_addr_spec_to() -> None:
    resp = make_response(request(SIPSAK_OPTIONS), 200, to_tag="abc")
    assert resp.get_header("To") == "sip:127.0.0.1:5070;tag=abc"
    assert resp.to.tag == "abc" and len(resp.to.uri.params) == 0


def test_reason_phrases() -> None:
    assert reason_phrase(200) == "OK"
    assert reason_phrase(404) == "Not Found"
    assert reason_phrase(483) == "Too Many Hops"
    assert reason_phrase(499) == "Client Error"
    assert make_response(request(SIPSAK_OPTIONS), 699).reason == "Global Failure"


# -- validate ---------------------------------------------------------------------------------


def test_validate_finds_cseq_method_mismatch() -> None:
    msg = request(SIPSAK_OPTIONS.replace(b"CSeq: 1 OPTIONS", b"CSeq: 1 INVITE"))
    with pytest.raises(SipParseError, match="CSeq method") as info:
        msg.validate()
    assert info.value.can_reply and info.value.request is msg


def test_validate_bad_max_forwards() -> None:
    msg = request(SIPSAK_OPTIONS.replace(b"Max-Forwards: 70", b"Max-Forwards: 256"))
    with pytest.raises(SipParseError, match="Max-Forwards") as info:
        msg.validate()
    assert info.value.can_reply


def test_contact_star() -> None:
    contact = next(line for line in SOFTPHONE_REGISTER.split(b"\r\n")
                   if line.startswith(b"Contact:"))
    data = SOFTPHONE_REGISTER.replace(contact, b"Contact: *").replace(b"Expires: 3600",
                                                                      b"Expires: 0")
    msg = request(data)
    assert msg.contact_star
    assert msg.contacts == []
    assert msg.expires == 0
    mixed = request(data.replace(b"Contact: *", b"Contact: *\r\nm: <sip:a@b>"))
    with pytest.raises(SipParseError, match="'\\*' mixed"):
        mixed.contacts  # noqa: B018
