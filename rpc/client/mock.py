"""A transport that answers from a Python function, for unit tests of the CLIs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rpc.client.base import Params
from rpc.errors import RemoteError


class MockTransport:
    """Answers each call with ``handler(method, params)``.

    The handler returns the result, or raises :class:`RemoteError` (or any RpcError)
    to simulate a fault. Every call is recorded in :attr:`calls`.
    """

    address = "mock:"

    def __init__(self, handler: Callable[[str, Params], Any] | dict[str, Any]) -> None:
        self.calls: list[tuple[str, Params]] = []
        self.closed = False
        if isinstance(handler, dict):
            table = handler

            def from_table(method: str, params: Params) -> Any:
                if method not in table:
                    raise RemoteError(-32601, f"Method not found: {method}")
                value = table[method]
                return value(params) if callable(value) else value

            self._handler: Callable[[str, Params], Any] = from_table
        else:
            self._handler = handler

    def call(self, method: str, params: Params, timeout: float) -> Any:
        self.calls.append((method, params))
        return self._handler(method, params)

    def close(self) -> None:
        self.closed = True
