"""A corpus of malformed messages: each gives a SipParseError with a message and the right
``can_reply``; when a reply is possible it can be built and sent."""

from __future__ import annotations

import pytest

from proxy.sip import Request, SipParseError, make_response, parse_message
from tests.sip.samples import KAMAILIO_200_REGISTER, SIPSAK_OPTIONS, crlf

GOOD_HEAD = (
    "Via: SIP/2.0/UDP 127.0.0.1:5098;branch=z9hG4bKba01eb42ca;rport\n"
    "From: <sip:alice@example.com>;tag=98029be1\n"
    "To: <sip:alice@example.com>\n"
    "Call-ID: 23469991c829ec47\n"
    "CSeq: 1 REGISTER\n"
    "Max-Forwards: 70\n"
    "Contact: <sip:alice@127.0.0.1:5099>\n"
)


def register(head: str = GOOD_HEAD, extra: str = "Content-Length: 0\n", body: str = "",
             start: str = "REGISTER sip:example.com SIP/2.0") -> bytes:
    return crlf(f"{start}\n{head}{extra}\n") + body.encode()


def without(line_start: str) -> str:
    return "".join(line + "\n" for line in GOOD_HEAD.splitlines()
                   if not line.startswith(line_start))


def replaced(line_start: str, new_line: str) -> str:
    return "".join((new_line if line.startswith(line_start) else line) + "\n"
                   for line in GOOD_HEAD.splitlines())


# (id, data, fragment of the message, can_reply, status)
CORPUS: list[tuple[str, bytes, str, bool, int]] = [
    ("empty", b"", "empty message", False, 400),
    ("only-crlf", b"\r\n\r\n\r\n", "empty message", False, 400),
    ("no-empty-line", register()[:-4] + b"X: y", "not terminated", False, 400),
    ("garbage", b"\x00\x01\x02 hello\r\n\r\n", "bad request line", False, 400),
    ("http", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "bad SIP version", False, 400),
    ("two-words", register(start="REGISTER sip:example.com"), "bad request line", False, 400),
    ("four-words", register(start="REGISTER sip:a b SIP/2.0"), "bad request line", False, 400),
    ("bad-method", register(start="REG<ISTER sip:example.com SIP/2.0"), "bad request method",
     False, 400),
    ("bare-cr-start", register(start="REGISTER sip:exa\rmple.com SIP/2.0"), "bare CR", False,
     400),
    ("sip-3.0", register(start="REGISTER sip:example.com SIP/3.0"), "unsupported SIP version",
     True, 505),
    ("bad-ruri", register(start="REGISTER sip:exa<mple.com SIP/2.0"), "bad URI host", True, 400),
    ("ruri-scheme", register(start="REGISTER mailto:a@example.com SIP/2.0"),
     "unsupported URI scheme", True, 416),
    ("no-colon", register(extra="Content-Length: 0\nThis line has no colon\n"),
     "bad header line", True, 400),
    ("space-in-name", register(extra="Content-Length: 0\nX Bad: 1\n"), "bad header name", True,
     400),
    ("empty-name", register(extra="Content-Length: 0\n: value\n"), "bad header line", True, 400),
    ("bare-cr-header", register(extra="Content-Length: 0\nSubject: a\rb\n"), "bare CR", True,
     400),
    ("fold-first", register(head=" folded\n" + GOOD_HEAD), "continuation line", True, 400),
    ("body-short", register(extra="Content-Type: text/plain\nContent-Length: 20\n", body="hi"),
     "body shorter than Content-Length", True, 400),
    ("length-nan", register(extra="Content-Length: ten\n"), "bad Content-Length", True, 400),
    ("length-negative", register(extra="Content-Length: -1\n"), "bad Content-Length", True, 400),
    ("length-huge", register(extra="Content-Length: 99999999999999\n"), "Content-Length", True,
     400),
    ("length-conflict", register(extra="Content-Length: 0\nl: 2\n", body="ab"),
     "conflicting Content-Length", True, 400),
    ("no-via", register(head=without("Via")), "missing Via", False, 400),
    ("bad-via", register(head=replaced("Via", "Via: SIP/2.0/UDP")), "bad Via", False, 400),
    ("bad-via-port", register(head=replaced("Via", "Via: SIP/2.0/UDP h:99999;branch=z9hG4bK1")),
     "bad Via", False, 400),
    ("no-from", register(head=without("From")), "missing From", False, 400),
    ("no-to", register(head=without("To")), "missing To", False, 400),
    ("no-call-id", register(head=without("Call-ID")), "missing Call-ID", False, 400),
    ("empty-call-id", register(head=replaced("Call-ID", "Call-ID:")), "bad Call-ID", False,
     400),
    ("no-cseq", register(head=without("CSeq")), "missing CSeq", False, 400),
    ("bad-cseq", register(head=replaced("CSeq", "CSeq: abc REGISTER")),
     "bad CSeq header: number is not an integer", True, 400),
    ("cseq-method", register(head=replaced("CSeq", "CSeq: 1 INVITE")), "CSeq method", True, 400),
    ("bad-from", register(head=replaced("From", "From: <sip:alice@example.com;tag=1")),
     "bad From header", True, 400),
    ("bad-to", register(head=replaced("To", 'To: "Alice <sip:alice@example.com>')),
     "bad To header", True, 400),
    ("two-from", register(head=GOOD_HEAD + "f: <sip:eve@example.com>;tag=2\n"),
     "more than one From", True, 400),
    ("two-call-id", register(head=GOOD_HEAD + "i: other\n"), "more than one Call-ID", True, 400),
    ("bad-max-forwards", register(head=replaced("Max-Forwards", "Max-Forwards: many")),
     "bad Max-Forwards", True, 400),
    ("max-forwards-256", register(head=replaced("Max-Forwards", "Max-Forwards: 256")),
     "bad Max-Forwards", True, 400),
    ("status-code-abc", b"SIP/2.0 2x0 OK\r\n\r\n", "bad status line", False, 400),
    ("status-code-99", b"SIP/2.0 099 Odd\r\n\r\n", "bad status line", False, 400),
    ("status-code-700", b"SIP/2.0 700 Odd\r\n\r\n", "bad status line", False, 400),
    ("status-code-long", b"SIP/2.0 2000 OK\r\n\r\n", "bad status line", False, 400),
    ("response-body-short", KAMAILIO_200_REGISTER.replace(b"Content-Length: 0",
                                                          b"Content-Length: 5"),
     "body shorter", False, 400),
    ("response-bad-line", KAMAILIO_200_REGISTER.replace(b"Server:", b"Server"), "bad header",
     False, 400),
    ("response-no-via", KAMAILIO_200_REGISTER.replace(b"Via:", b"X-Via:"), "missing Via",
     False, 400),
]


@pytest.mark.parametrize(("data", "fragment", "can_reply", "status"),
                         [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS])
def test_malformed(data: bytes, fragment: str, can_reply: bool, status: int) -> None:
    with pytest.raises(SipParseError) as info:
        parse_message(data).validate()
    err = info.value
    text = str(err)
    assert fragment in text
    assert text.isascii() and text.isprintable() and len(text) < 120
    assert err.can_reply is can_reply
    assert err.status == status
    if not can_reply:
        assert err.request is None
        return
    assert isinstance(err.request, Request)
    reply = make_response(err.request, err.status, text, to_tag="err1")
    back = parse_message(reply.serialize())
    assert back.status == status and back.reason == text
    assert back.get_headers("Via") == err.request.get_headers("Via")
    assert back.get_header("CSeq") == err.request.get_header("CSeq")
    assert back.get_header("Call-ID") == err.request.get_header("Call-ID")


def test_bad_cseq_reply_matches_kamailio() -> None:
    """Kamailio answered probe 05 (CSeq "abc REGISTER") with a 400 copying the CSeq as is."""
    data = register(head=replaced("CSeq", "CSeq: abc REGISTER"))
    msg = parse_message(data)
    assert msg.via.branch == "z9hG4bKba01eb42ca"  # the rest of the message reads fine
    with pytest.raises(SipParseError) as info:
        msg.cseq  # noqa: B018
    assert info.value.request is msg
    reply = make_response(msg, 400, "CSeq number is illegal", to_tag="t")
    assert b"\r\nCSeq: abc REGISTER\r\n" in reply.serialize()
    assert reply.serialize().startswith(b"SIP/2.0 400 CSeq number is illegal\r\n")


def test_lazy_errors_carry_the_request_only_when_replyable() -> None:
    msg = parse_message(SIPSAK_OPTIONS.replace(b"Max-Forwards: 70", b"Max-Forwards: x"))
    with pytest.raises(SipParseError) as info:
        msg.max_forwards  # noqa: B018
    assert info.value.request is msg
    broken_via = parse_message(SIPSAK_OPTIONS.replace(b"SIP/2.0/UDP", b"SIP/2.0/"))
    with pytest.raises(SipParseError) as info:
        broken_via.from_.uri.replace(host="bad host")
    assert not info.value.can_reply  # the error came from replace(), not from the message
    with pytest.raises(SipParseError) as info:
        broken_via.via  # noqa: B018
    assert not info.value.can_reply
