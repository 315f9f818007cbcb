"""Request building, reply parsing and the decoding limits."""

from __future__ import annotations

import json

import pytest

from rpc import protocol
from rpc.errors import ProtocolError, RemoteError


def test_build_request_members_and_unique_ids() -> None:
    a = protocol.build_request("core.echo", ["x", 1], extra={"reply_name": "r1"})
    b = protocol.build_request("core.version")
    assert a["jsonrpc"] == "2.0" and a["method"] == "core.echo" and a["params"] == ["x", 1]
    assert a["reply_name"] == "r1"
    assert "params" not in b
    assert a["id"] != b["id"]


def test_encode_keeps_strings_exact() -> None:
    tricky = 'quote " backslash \\ newline \n tab \t % $(x) `y` é'
    doc = protocol.build_request("core.echo", [tricky], request_id=7)
    assert json.loads(protocol.encode(doc))["params"] == [tricky]


def test_parse_reply_result_and_error() -> None:
    assert protocol.parse_reply(b'{"jsonrpc":"2.0","result":[1],"id":3}', 3) == [1]
    with pytest.raises(RemoteError) as info:
        protocol.parse_reply(
            b'{"jsonrpc":"2.0","error":{"code":500,"message":"Method Not Found"},"id":1}'
        )
    assert (info.value.code, info.value.message) == (500, "Method Not Found")
    assert str(info.value) == "500 - Method Not Found"


@pytest.mark.parametrize(
    "reply",
    [
        b"",
        b"not json",
        b"[]",
        b'{"result":1}',
        b'{"jsonrpc":"2.0","id":1}',
        b'{"jsonrpc":"2.0","error":"x","id":1}',
    ],
)
def test_parse_reply_rejects_garbage(reply: bytes) -> None:
    with pytest.raises(ProtocolError):
        protocol.parse_reply(reply)


def test_parse_reply_checks_id() -> None:
    with pytest.raises(ProtocolError, match="does not match"):
        protocol.parse_reply(b'{"jsonrpc":"2.0","result":1,"id":2}', 1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff", "invalid UTF-8"),
        (b"   ", "empty document"),
        (b"[" * 100 + b"]" * 100, "nesting deeper"),
        (b"[" * 50000 + b"]" * 50000, "nesting deeper"),
        (b"1" * 100, "more than 40 digits"),
        (b"1e999", "out of range"),
        (b"NaN", "not JSON"),
        (b'{"a":', "line 1"),
    ],
)
def test_decode_limits(data: bytes, message: str) -> None:
    with pytest.raises(protocol.DecodeError, match=message):
        protocol.decode(data)


def test_decode_accepts_normal_documents() -> None:
    assert protocol.decode(b'{"a":[1,2.5,"x",null,true]}') == {"a": [1, 2.5, "x", None, True]}
