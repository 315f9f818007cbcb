"""Stream framing: partial reads, pipelining, CRLF keep-alives, limits; datagram keep-alives."""

from __future__ import annotations

import pytest

from proxy.sip import (
    PING,
    PONG,
    SipFramingError,
    SipParseError,
    StreamFramer,
    is_keepalive,
    parse_message,
)
from tests.sip.samples import (
    COMPACT_INVITE,
    INVITE_SDP,
    MESSAGE_TEXT,
    SIPSAK_OPTIONS,
    SOFTPHONE_REGISTER,
)

STREAM = [INVITE_SDP, PING, SIPSAK_OPTIONS, MESSAGE_TEXT, PING, PING, COMPACT_INVITE,
          SOFTPHONE_REGISTER]


def test_one_byte_at_a_time() -> None:
    framer = StreamFramer()
    frames: list[bytes] = []
    data = b"".join(STREAM)
    for i in range(len(data)):
        frames += framer.feed(data[i:i + 1])
    assert frames == STREAM
    assert framer.buffered == 0


def test_everything_in_one_chunk() -> None:
    framer = StreamFramer()
    assert framer.feed(b"".join(STREAM)) == STREAM
    assert framer.buffered == 0


@pytest.mark.parametrize("size", [2, 3, 7, 64, 333])
def test_arbitrary_chunk_sizes(size: int) -> None:
    framer = StreamFramer()
    data = b"".join(STREAM) * 3
    frames: list[bytes] = []
    for i in range(0, len(data), size):
        frames += framer.feed(data[i:i + size])
    assert frames == STREAM * 3


def test_frames_parse_back() -> None:
    frames = StreamFramer().feed(b"".join(STREAM))
    messages = [parse_message(f) for f in frames if f not in (PING, PONG)]
    assert [m.serialize() for m in messages] == [f for f in STREAM if f != PING]


def test_body_split_across_reads_waits_for_all_of_it() -> None:
    framer = StreamFramer()
    head, body = MESSAGE_TEXT.split(b"\r\n\r\n")
    assert framer.feed(head + b"\r\n\r\nhello") == []
    assert framer.buffered == len(head) + 4 + 5
    assert framer.feed(b" alice" + SIPSAK_OPTIONS[:10]) == [MESSAGE_TEXT]
    assert framer.feed(SIPSAK_OPTIONS[10:]) == [SIPSAK_OPTIONS]


def test_keepalives() -> None:
    framer = StreamFramer()
    assert framer.feed(b"\r\n") == []  # could be the start of a ping
    assert framer.feed(b"\r\n") == [PING]
    assert framer.feed(b"\r\n\r\n\r\n\r\n") == [PING, PING]
    # a lone CRLF before a message is a pong (RFC 5626), reported and skipped
    assert framer.feed(b"\r\n" + SIPSAK_OPTIONS) == [PONG, SIPSAK_OPTIONS]
    # stray LF is ignored (RFC 3261 7.5)
    assert framer.feed(b"\n" + SIPSAK_OPTIONS) == [SIPSAK_OPTIONS]


def test_missing_content_length_means_empty_body() -> None:
    msg = SIPSAK_OPTIONS.replace(b"Content-Length: 0\r\n", b"")
    assert StreamFramer().feed(msg + msg) == [msg, msg]


def test_compact_content_length_frames_the_body() -> None:
    assert StreamFramer().feed(COMPACT_INVITE * 2) == [COMPACT_INVITE, COMPACT_INVITE]


def test_oversized_header_section() -> None:
    framer = StreamFramer(max_header_bytes=200)
    with pytest.raises(SipFramingError, match="header section too large"):
        for _ in range(100):  # bounded: never gets a blank line
            framer.feed(b"X-Filler: " + b"a" * 50 + b"\r\n")


def test_oversized_header_section_in_one_read() -> None:
    with pytest.raises(SipFramingError, match="header section too large"):
        StreamFramer(max_header_bytes=100).feed(INVITE_SDP)


def test_oversized_body() -> None:
    framer = StreamFramer(max_body_bytes=100)
    with pytest.raises(SipFramingError, match="body too large") as info:
        framer.feed(INVITE_SDP)
    assert isinstance(info.value, SipParseError)
    assert not info.value.can_reply


@pytest.mark.parametrize(
    ("header", "fragment"),
    [(b"Content-Length: abc", "bad Content-Length"), (b"Content-Length: -1", "bad Content-Length"),
     (b"Content-Length: 0\r\nl: 5", "conflicting"),
     (b"Content-Length: 99999999999", "bad Content-Length")],
)
def test_unframeable_content_length(header: bytes, fragment: str) -> None:
    data = SIPSAK_OPTIONS.replace(b"Content-Length: 0", header)
    with pytest.raises(SipFramingError, match=fragment):
        StreamFramer().feed(data)


@pytest.mark.parametrize("data", [b"", b"\r\n", b"\r\n\r\n", b"\n", b"\x00\x00\x00\x00", b" "])
def test_datagram_keepalives(data: bytes) -> None:
    assert is_keepalive(data)


@pytest.mark.parametrize("data", [SIPSAK_OPTIONS, b"\r\n\r\nX", b"\r\n" * 10])
def test_not_datagram_keepalives(data: bytes) -> None:
    assert not is_keepalive(data)
