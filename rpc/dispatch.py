"""From request bytes to reply bytes: validation, dispatch, error objects.

Every transport hands raw bytes to :meth:`Dispatcher.handle` and sends back what it
returns. Validation happens here, before jsonrpcserver sees a request, so that every
fault gets a JSON-RPC error object whose message says what is wrong (Kamailio 5.6
answers many of them with an empty result, no reply, or a crash). jsonrpcserver then
looks the method up, calls it and maps exceptions to error objects.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from jsonrpcserver import Success
from jsonrpcserver.async_main import dispatch_to_response
from jsonrpcserver.exceptions import JsonRpcError
from jsonrpcserver.main import dispatch_to_response as dispatch_now

from rpc import jsonfmt
from rpc.errors import RpcFault
from rpc.protocol import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    DecodeError,
    decode,
)
from rpc.registry import Method, Registry

log = logging.getLogger("rpc")

_REPLY_NAME = re.compile(rb'"reply_name"\s*:\s*"([^"\\/\x00]{1,255})"')
_MISSING = object()


@dataclass(frozen=True)
class Reply:
    """What a transport sends back, and where (FIFO)."""

    body: bytes | None  #: None: nothing to send (notifications only)
    reply_name: str | None  #: the FIFO reply target named in the request
    status: int  #: HTTP status for this reply


class _Invalid(Exception):
    def __init__(self, message: str, request_id: Any = None) -> None:
        super().__init__(message)
        self.request_id = request_id


def _http_status(code: int) -> int:
    if 100 <= code <= 599:
        return code
    if code == METHOD_NOT_FOUND:
        return 404
    if code in (PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS):
        return 400
    return 500


def _error(code: int, message: str, request_id: Any, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "error": error, "id": request_id}


class Dispatcher:
    """Answers JSON-RPC documents from the methods of a :class:`Registry`."""

    def __init__(self, registry: Registry, *, pretty: bool = True) -> None:
        self.registry = registry
        self.pretty = pretty

    # -- public ---------------------------------------------------------------

    async def handle(self, data: bytes, *, source: str = "rpc") -> Reply:
        """Answer one document (a request or a batch) received on ``source``."""
        reply = self.handle_now(data, source=source)
        if reply is not None:
            return reply
        doc = decode(data)  # handle_now answered every document that fails here
        docs = doc if isinstance(doc, list) else [doc]
        responses = [await self._one_async(d, source) for d in docs]
        return self._finish(doc, responses)

    def handle_now(self, data: bytes, *, source: str = "rpc") -> Reply | None:
        """The reply, computed at once, or None when an async method must be awaited.

        Most methods are plain functions: transports answer them in the same loop
        iteration, without a task (see :meth:`handle` for the general case).
        """
        try:
            doc = decode(data)
        except DecodeError as exc:
            log.warning("%s: rejected request: %s", source, exc)
            match = _REPLY_NAME.search(data)
            name = match.group(1).decode("utf-8", "replace") if match else None
            return self._reply(_error(PARSE_ERROR, f"Parse error: {exc}", None), name)
        docs = doc if isinstance(doc, list) else [doc]
        if any(self._awaits(d) for d in docs):
            return None
        return self._finish(doc, [self._one_now(d, source) for d in docs])

    def encode(self, doc: Any) -> bytes:
        text = jsonfmt.pretty(doc) if self.pretty else jsonfmt.compact(doc)
        return text.encode()

    # -- internals ------------------------------------------------------------

    def _finish(self, doc: Any, responses: list[dict[str, Any] | None]) -> Reply:
        if not isinstance(doc, list):
            return self._reply(responses[0], _reply_name(doc))
        if not doc:
            return self._reply(_error(INVALID_REQUEST, "Invalid request: empty batch", None), None)
        reply_name = next((n for n in map(_reply_name, doc) if n), None)
        answered = [r for r in responses if r is not None]
        if not answered:
            return Reply(None, reply_name, 204)
        return Reply(self._encode_safely(answered), reply_name, 200)

    def _reply(self, response: dict[str, Any] | None, reply_name: str | None) -> Reply:
        if response is None:
            return Reply(None, reply_name, 204)
        status = _http_status(response["error"]["code"]) if "error" in response else 200
        return Reply(self._encode_safely(response), reply_name, status)

    def _encode_safely(self, response: Any) -> bytes:
        try:
            return self.encode(response)
        except (TypeError, ValueError) as exc:
            log.error("rpc: cannot serialise a reply: %s", exc)
            request_id = response.get("id") if isinstance(response, dict) else None
            return self.encode(
                _error(INTERNAL_ERROR, "Internal error: unserialisable result", request_id)
            )

    def _awaits(self, doc: Any) -> bool:
        """True when ``doc`` calls a coroutine method."""
        name = doc.get("method") if isinstance(doc, dict) else None
        method = self.registry.get(name) if isinstance(name, str) else None
        return method is not None and method.is_async

    def _prepare(self, doc: Any, source: str) -> tuple[dict[str, Any] | None, Any]:
        """(request for jsonrpcserver, None) or (None, error reply) for an invalid one."""
        try:
            method, params, request_id = _validate(doc)
        except _Invalid as exc:
            log.warning("%s: invalid request: %s", source, exc)
            return None, _error(INVALID_REQUEST, f"Invalid request: {exc}", exc.request_id)
        log.debug("%s: call %s %s", source, method, params if params is not None else "")
        clean: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            clean["params"] = params
        if request_id is not _MISSING:
            clean["id"] = request_id
        return clean, None

    def _one_now(self, doc: Any, source: str) -> dict[str, Any] | None:
        clean, error = self._prepare(doc, source)
        if clean is None:
            return error  # type: ignore[no-any-return]
        method = self.registry.get(clean["method"])
        handlers = {} if method is None else {method.name: _sync_handler(method)}
        response = dispatch_now(
            "", handlers, deserializer=lambda _text: clean, validator=lambda d: d
        )
        return None if response is None or "id" not in clean else _to_dict(response)

    async def _one_async(self, doc: Any, source: str) -> dict[str, Any] | None:
        if not self._awaits(doc):
            return self._one_now(doc, source)
        clean, error = self._prepare(doc, source)
        if clean is None:
            return error  # type: ignore[no-any-return]
        method = self.registry.get(clean["method"])
        assert method is not None
        response = await dispatch_to_response(
            "",
            {method.name: _async_handler(method)},
            deserializer=lambda _text: clean,
            validator=lambda d: d,
        )
        return None if response is None or "id" not in clean else _to_dict(response)


def _sync_handler(method: Method) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            result = method.invoke_now(list(args), kwargs)
        except RpcFault as fault:
            raise JsonRpcError(fault.code, fault.message, fault.data) from None
        return Success({} if result is None else result)

    return call


def _async_handler(method: Method) -> Callable[..., Awaitable[Any]]:
    async def call(*args: Any, **kwargs: Any) -> Any:
        try:
            result = await method.invoke(list(args), kwargs)
        except RpcFault as fault:
            raise JsonRpcError(fault.code, fault.message, fault.data) from None
        return Success({} if result is None else result)

    return call


def _reply_name(doc: Any) -> str | None:
    name = doc.get("reply_name") if isinstance(doc, dict) else None
    return name if isinstance(name, str) else None


def _validate(doc: Any) -> tuple[str, Any, Any]:
    """(method, params, id) of a well-formed request, else raise _Invalid."""
    if not isinstance(doc, dict):
        raise _Invalid("a request must be a JSON object")
    request_id = doc.get("id", _MISSING)
    if request_id is not _MISSING and isinstance(request_id, (bool, dict, list)):
        raise _Invalid("id must be a string, a number or null")
    reply_id = None if request_id is _MISSING else request_id
    if doc.get("jsonrpc") != "2.0":
        raise _Invalid('member "jsonrpc" must be "2.0"', reply_id)
    method = doc.get("method", _MISSING)
    if method is _MISSING:
        raise _Invalid('member "method" is missing', reply_id)
    if not isinstance(method, str):
        raise _Invalid('member "method" must be a string', reply_id)
    params = doc.get("params")
    if params is not None and not isinstance(params, (list, dict)):
        raise _Invalid('member "params" must be an array or an object', reply_id)
    return method, params, request_id


def _to_dict(response: Any) -> dict[str, Any]:
    """jsonrpcserver's Either[ErrorResponse, SuccessResponse] as a reply object."""
    if hasattr(response, "_error"):
        error = response._error
        code, message, data = error.code, error.message, error.data
        if code == METHOD_NOT_FOUND:
            message = f"Method not found: {data}"
        elif code == INTERNAL_ERROR:
            message = f"Internal error: {data}"
        extra = data if code not in (METHOD_NOT_FOUND, INTERNAL_ERROR) else None
        if not isinstance(extra, (str, int, float, list, dict)) or isinstance(extra, bool):
            extra = None
        return _error(code, message, error.id, extra)
    value = response._value
    return {"jsonrpc": "2.0", "result": value.result, "id": value.id}
