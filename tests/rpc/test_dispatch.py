"""The dispatcher: every kind of request gets the right reply object, or none."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from rpc.dispatch import Dispatcher, Reply
from tests.support.methods import VERSION, make_dispatcher


def handle(data: bytes | str, dispatcher: Dispatcher | None = None) -> Reply:
    raw = data.encode() if isinstance(data, str) else data
    return asyncio.run((dispatcher or make_dispatcher()).handle(raw, source="test"))


def body(reply: Reply) -> Any:
    assert reply.body is not None
    return json.loads(reply.body)


def test_success_reply_member_order_and_status() -> None:
    reply = handle('{"jsonrpc":"2.0","method":"core.version","id":1}')
    assert reply.status == 200
    assert list(body(reply)) == ["jsonrpc", "result", "id"]
    assert body(reply)["result"] == VERSION


def test_reply_name_is_returned_for_the_fifo() -> None:
    reply = handle(
        '{"jsonrpc":"2.0","method":"core.version","id":1,"reply_name":"kamailio_rpc_reply.fifo"}'
    )
    assert reply.reply_name == "kamailio_rpc_reply.fifo"


def test_pretty_and_compact() -> None:
    request = '{"jsonrpc":"2.0","method":"core.version","id":1}'
    assert (
        handle(request).body
        == f'{{\n\t"jsonrpc":\t"2.0",\n\t"result":\t"{VERSION}",\n\t"id":\t1\n}}'.encode()
    )
    compact = handle(request, make_dispatcher(pretty=False)).body
    assert compact == f'{{"jsonrpc":"2.0","result":"{VERSION}","id":1}}'.encode()


def test_ids_are_echoed() -> None:
    for request_id in ["abc", 0, -7, 12345678901234, None, 1.5]:
        doc = {"jsonrpc": "2.0", "method": "core.version", "id": request_id}
        assert body(handle(json.dumps(doc)))["id"] == request_id


@pytest.mark.parametrize(
    ("request_text", "code", "fragment", "status"),
    [
        ("{", -32700, "Parse error", 400),
        ("", -32700, "empty document", 400),
        (b"\xc3\x28", -32700, "invalid UTF-8", 400),
        ('{"jsonrpc":"2.0","method":"core.version","id":' + "9" * 60 + "}", -32700, "digits", 400),
        ("[" * 40 + "]" * 40, -32700, "nesting", 400),
        (
            '{"jsonrpc":"1.0","method":"core.version","id":1}',
            -32600,
            '"jsonrpc" must be "2.0"',
            400,
        ),
        ('{"method":"core.version","id":1}', -32600, '"jsonrpc" must be "2.0"', 400),
        ('{"jsonrpc":"2.0","id":1}', -32600, '"method" is missing', 400),
        ('{"jsonrpc":"2.0","method":42,"id":1}', -32600, '"method" must be a string', 400),
        ('{"jsonrpc":"2.0","method":null,"id":1}', -32600, '"method" must be a string', 400),
        (
            '{"jsonrpc":"2.0","method":"core.version","params":"x","id":1}',
            -32600,
            "array or an object",
            400,
        ),
        ('{"jsonrpc":"2.0","method":"core.version","id":{"a":1}}', -32600, "id must be", 400),
        ('"just a string"', -32600, "must be a JSON object", 400),
        ("[]", -32600, "empty batch", 400),
        ('{"jsonrpc":"2.0","method":"no.such","id":1}', -32601, "Method not found: no.such", 404),
        (
            '{"jsonrpc":"2.0","method":"test.fault","params":["x","y"],"id":1}',
            -32602,
            "must be an integer",
            400,
        ),
        ('{"jsonrpc":"2.0","method":"core.version","params":[1],"id":1}', -32602, "too many", 400),
        (
            '{"jsonrpc":"2.0","method":"test.fault","params":[404,"AOR not found"],"id":1}',
            404,
            "AOR not found",
            404,
        ),
    ],
)
def test_errors(request_text: str | bytes, code: int, fragment: str, status: int) -> None:
    reply = handle(request_text)
    error = body(reply)["error"]
    assert error["code"] == code
    assert fragment in error["message"]
    assert reply.status == status


def test_method_exception_is_an_internal_error_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    dispatcher = make_dispatcher()

    def boom() -> None:
        raise RuntimeError("kaput")

    dispatcher.registry.register("test.boom", boom, "Fails.")
    reply = handle('{"jsonrpc":"2.0","method":"test.boom","id":1}', dispatcher)
    assert body(reply)["error"] == {"code": -32603, "message": "Internal error: kaput"}
    assert reply.status == 500


def test_unserialisable_result_is_an_internal_error() -> None:
    dispatcher = make_dispatcher()
    dispatcher.registry.register("test.obj", lambda: object(), "Returns junk.")
    assert (
        body(handle('{"jsonrpc":"2.0","method":"test.obj","id":1}', dispatcher))["error"]["code"]
        == -32603
    )


def test_notifications_get_no_reply() -> None:
    reply = handle('{"jsonrpc":"2.0","method":"core.version"}')
    assert reply.body is None and reply.status == 204
    assert handle('{"jsonrpc":"2.0","method":"no.such"}').body is None


def test_batch() -> None:
    batch = [
        {"jsonrpc": "2.0", "method": "core.version", "id": 1},
        {"jsonrpc": "2.0", "method": "core.version"},
        {"jsonrpc": "2.0", "method": "no.such", "id": 2},
        {"jsonrpc": "2.0", "method": 5, "id": 3},
        7,
    ]
    replies = body(handle(json.dumps(batch)))
    assert [r.get("id") for r in replies] == [1, 2, 3, None]
    assert replies[0]["result"] == VERSION
    assert [r["error"]["code"] for r in replies[1:]] == [-32601, -32600, -32600]


def test_batch_of_notifications_gets_nothing() -> None:
    batch = [{"jsonrpc": "2.0", "method": "core.version"}] * 2
    assert handle(json.dumps(batch)).body is None


def test_unparseable_document_still_names_its_reply_fifo() -> None:
    reply = handle('{"jsonrpc":"2.0","method":"core.version","reply_name":"r_42", "id": 1,,}')
    assert reply.reply_name == "r_42"
    assert body(reply)["error"]["code"] == -32700


def test_params_object_bound_by_name_or_position() -> None:
    reply = handle(
        '{"jsonrpc":"2.0","method":"test.fault","params":{"code":400,"message":"m"},"id":1}'
    )
    assert body(reply)["error"] == {"code": 400, "message": "m"}
    reply = handle('{"jsonrpc":"2.0","method":"test.fault","params":{"x":401,"y":"n"},"id":1}')
    assert body(reply)["error"] == {"code": 401, "message": "n"}


def test_async_methods_run_concurrently() -> None:
    dispatcher = make_dispatcher()

    async def two() -> list[Reply]:
        request = b'{"jsonrpc":"2.0","method":"test.sleep","params":[0.5],"id":1}'
        return list(await asyncio.gather(dispatcher.handle(request), dispatcher.handle(request)))

    loop = asyncio.new_event_loop()
    try:
        start = loop.time()
        replies = loop.run_until_complete(two())
        elapsed = loop.time() - start
    finally:
        loop.close()
    assert all(body(r)["result"] == "slept" for r in replies)
    assert elapsed < 0.9  # the two sleeps overlapped (sequential: 1.0 s)


def test_plain_methods_are_answered_at_once_and_async_ones_deferred() -> None:
    dispatcher = make_dispatcher()
    calls: list[int] = []
    dispatcher.registry.register("test.count", lambda: calls.append(1) or len(calls), "Counts.")
    now = dispatcher.handle_now(b'{"jsonrpc":"2.0","method":"test.count","id":1}')
    assert now is not None and body(now)["result"] == 1 and calls == [1]
    batch = (
        b'[{"jsonrpc":"2.0","method":"test.count","id":1},'
        b'{"jsonrpc":"2.0","method":"test.sleep","params":[0],"id":2}]'
    )
    assert dispatcher.handle_now(batch) is None and calls == [1]  # nothing ran yet
    replies = body(handle(batch, dispatcher))
    assert [r["result"] for r in replies] == [2, "slept"] and calls == [1, 1]


def test_plain_method_returning_an_awaitable_is_an_internal_error() -> None:
    dispatcher = make_dispatcher()

    async def later() -> int:
        return 1

    dispatcher.registry.register("test.sneaky", lambda: later(), "Returns a coroutine.")
    reply = handle('{"jsonrpc":"2.0","method":"test.sneaky","id":1}', dispatcher)
    assert body(reply)["error"]["code"] == -32603
