"""Random mutations of valid input: only SipParseError may ever escape.

Deterministic (fixed seeds) and bounded in count, so a failure can be replayed.
"""

from __future__ import annotations

import random
from contextlib import suppress

import pytest

from proxy.sip import (
    Message,
    Request,
    SipFramingError,
    SipParseError,
    StreamFramer,
    make_response,
    parse_message,
    parse_name_addr,
    parse_uri,
    parse_via,
)
from tests.sip.samples import ALL

MESSAGE_MUTATIONS = 3000
TEXT_MUTATIONS = 3000
STREAM_MUTATIONS = 300

SPECIAL = [b":", b";", b",", b"<", b">", b'"', b"\r\n", b"\n", b"\r", b" ", b"\t", b"@", b"[",
           b"]", b"=", b"\\", b"%", b"\x00", b"\xff", b"\xc3", b"\r\n ", b"?", b"*", b"+", b"/",
           b"\r\n\r\n", b"Via: ", b"l: 9\r\n", b"Content-Length: 3\r\n", b"SIP/2.0", b"sip:",
           b"[::1]", b"tel:+1", "\u2028".encode(), b"\x1c"]


def mutate(rnd: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        op = rnd.randrange(7)
        i = rnd.randrange(len(buf) + 1)
        if op == 0 and buf:
            buf[min(i, len(buf) - 1)] = rnd.randrange(256)
        elif op == 1:
            buf[i:i] = rnd.choice(SPECIAL)
        elif op == 2:
            del buf[i:i + rnd.randint(1, 12)]
        elif op == 3:
            del buf[i:]
        elif op == 4:
            j = rnd.randrange(len(buf) + 1)
            buf[i:i] = buf[j:j + rnd.randint(1, 40)]
        elif op == 5:
            buf[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 6)))
        else:
            lines = bytes(buf).split(b"\r\n")
            k = rnd.randrange(len(lines))
            lines.insert(rnd.randrange(len(lines) + 1), lines[k])
            buf = bytearray(b"\r\n".join(lines))
    return bytes(buf)


def exercise(msg: Message, reparse: bool = True) -> None:
    """Touch every accessor and edit of a parsed message; only SipParseError may escape.

    With ``reparse``, what the message serialises to must parse again (not so for the partial
    request of an error: its start line may be the problem, e.g. SIP/3.0).
    """
    for attr in ("via", "vias", "call_id", "cseq", "from_", "to", "contacts", "contact_star",
                 "routes", "record_routes", "max_forwards", "content_length", "expires", "body",
                 "ruri", "method", "status", "reason", "content_type", "headers"):
        with suppress(SipParseError):
            getattr(msg, attr)
    for name in ("via", "contact", "allow", "route", "subject"):
        with suppress(SipParseError):
            msg.header_values(name)
    with suppress(SipParseError):
        msg.validate()
    with suppress(SipParseError):
        from_ = msg.from_
        parse_name_addr(str(from_))
        str(from_.uri.with_param("x", "1"))
    out = msg.serialize()
    if reparse:
        again = parse_message(out)  # whatever parsed must serialise into something parseable
        assert again.serialize() == out
    edited = msg.copy()
    with suppress(SipParseError):
        edited.pop_via()
    edited.set_header("X-Fuzz", "1")
    edited.prepend_via("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKfuzz")
    if reparse:
        assert parse_message(edited.serialize()).via.branch == "z9hG4bKfuzz"
    if isinstance(msg, Request):
        reply_to(msg)


def reply_to(request: Request) -> None:
    try:
        request.via  # noqa: B018
    except SipParseError:
        return  # no way back
    reply = make_response(request, 400, "Bad Request", to_tag="fz")
    parse_message(reply.serialize())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mutated_messages_raise_only_sip_parse_error(seed: int) -> None:
    rnd = random.Random(seed)
    seeds = list(ALL.values())
    parsed = failed = 0
    for _ in range(MESSAGE_MUTATIONS // 3):
        data = mutate(rnd, rnd.choice(seeds))
        try:
            msg = parse_message(data)
        except SipParseError as err:
            failed += 1
            assert str(err)
            assert err.can_reply == (err.request is not None)
            if err.request is not None:
                exercise(err.request, reparse=False)
                make_response(err.request, err.status, str(err)).serialize()
            continue
        parsed += 1
        exercise(msg)
    assert parsed and failed  # the mutations reach both outcomes


@pytest.mark.parametrize(
    ("parse", "samples"),
    [
        (parse_uri, ["sip:alice:pw@[2001:db8::1]:5070;transport=tcp;lr?Subject=x&h=y",
                     "tel:+1-201-555-0123;ext=1;phone-context=example.com",
                     "sips:bob@b.example.com;maddr=10.0.0.1"]),
        (parse_via, ["SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport=5;received=1.2.3.4",
                     "SIP/2.0/TLS [2001:db8::9]:5061;branch=z9hG4bKa;ttl=3"]),
        (parse_name_addr, ['"Doe, J <x>" <sip:jd@example.com;lr>;tag=1;q=0.5;expires=60',
                           "sip:a@b;tag=x", "<tel:+1-212-555-1212>;tag=9"]),
    ],
    ids=["uri", "via", "name-addr"],
)
def test_mutated_values_raise_only_sip_parse_error(parse: object, samples: list[str]) -> None:
    assert callable(parse)
    rnd = random.Random(7)
    ok = 0
    for _ in range(TEXT_MUTATIONS // 3):
        raw = mutate(rnd, rnd.choice(samples).encode())
        text = raw.decode("utf-8", "surrogateescape")
        try:
            value = parse(text)
        except SipParseError as err:
            assert str(err)
            continue
        ok += 1
        again = parse(str(value))  # what we write, we read back to the same value
        assert again == value
        assert str(again) == str(value)
    assert ok


def test_mutated_streams_raise_only_framing_errors() -> None:
    rnd = random.Random(11)
    stream = b"".join(ALL.values()) + b"\r\n\r\n"
    completed = 0
    for _ in range(STREAM_MUTATIONS):
        data = mutate(rnd, stream)
        framer = StreamFramer(max_header_bytes=2048, max_body_bytes=1024)
        try:
            pos = 0
            while pos < len(data):  # bounded: pos always advances
                step = rnd.randint(1, 200)
                for frame in framer.feed(data[pos:pos + step]):
                    with suppress(SipParseError):
                        parse_message(frame)
                pos += step
        except SipFramingError as err:
            assert str(err)
            continue
        completed += 1
        assert framer.buffered <= len(data)
    assert completed
