"""JSON-RPC 2.0 documents: building requests, reading replies, decoding safely.

Shared by the client transports and the server dispatcher, so the same rules hold on
both sides. Requests are always built with a JSON library (never by string pasting).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Sequence
from typing import Any

from rpc.errors import ProtocolError, RemoteError

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000

#: Deepest nesting of arrays/objects a document may have.
MAX_DEPTH = 32
#: Longest integer literal accepted (a 64-bit value has 20 digits).
MAX_INT_DIGITS = 40

_ids = itertools.count(int.from_bytes(os.urandom(2), "big") + 1)


class DecodeError(ValueError):
    """A document that is not acceptable JSON; the message says why."""


def next_id() -> int:
    """A request id, unique within this process."""
    return next(_ids)


def build_request(
    method: str,
    params: Sequence[Any] | dict[str, Any] | None = None,
    *,
    request_id: int | str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A request object; ``extra`` adds members such as Kamailio's ``reply_name``."""
    doc: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params:
        doc["params"] = list(params) if not isinstance(params, dict) else dict(params)
    if extra:
        doc.update(extra)
    doc["id"] = next_id() if request_id is None else request_id
    return doc


def encode(doc: Any) -> bytes:
    """Compact UTF-8 JSON text of ``doc``."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise DecodeError(f"integer with more than {MAX_INT_DIGITS} digits")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise DecodeError("number out of range")
    return value


def _parse_constant(name: str) -> Any:
    raise DecodeError(f"{name} is not JSON")


def decode(data: bytes | str) -> Any:
    """Parse JSON text with limits on depth, number size and encoding.

    Raises DecodeError with a message fit for an error reply.
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"invalid UTF-8 at byte {exc.start}") from None
    else:
        text = data
    if not text.strip():
        raise DecodeError("empty document")
    try:
        value = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except DecodeError:
        raise
    except RecursionError:
        raise DecodeError(f"nesting deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise DecodeError(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:  # e.g. int conversion limits
        raise DecodeError(str(exc)) from None
    if _depth(value) > MAX_DEPTH:
        raise DecodeError(f"nesting deeper than {MAX_DEPTH} levels")
    return value


def _depth(value: Any) -> int:
    """Nesting depth, computed without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in node.values())
        elif isinstance(node, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in node)
    return deepest


def parse_reply(data: bytes | str, expected_id: Any = None) -> Any:
    """Return the ``result`` of a reply, or raise RemoteError / ProtocolError.

    Kamailio 5.6 answers some failures with an empty ``result`` and no error; those
    are returned as they are (an empty dict).
    """
    try:
        doc = decode(data)
    except DecodeError as exc:
        raise ProtocolError(f"reply is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ProtocolError("reply is not a JSON-RPC object")
    if doc.get("jsonrpc") != "2.0":
        raise ProtocolError('reply lacks "jsonrpc": "2.0"')
    # an error about a request the server could not read carries id null
    if expected_id is not None and doc.get("id") is not None and doc["id"] != expected_id:
        raise ProtocolError(f"reply id {doc['id']!r} does not match request id {expected_id!r}")
    if "error" in doc:
        error = doc["error"]
        if not isinstance(error, dict):
            raise ProtocolError("reply error member is not an object")
        code = error.get("code")
        message = error.get("message")
        return_code = code if isinstance(code, int) and not isinstance(code, bool) else 0
        raise RemoteError(return_code, str(message or "unknown error"), error.get("data"))
    if "result" not in doc:
        raise ProtocolError("reply has neither result nor error")
    return doc["result"]
