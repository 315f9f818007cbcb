"""A small registry of methods for transport tests."""

from __future__ import annotations

import asyncio
from typing import Any

from rpc.dispatch import Dispatcher
from rpc.errors import RpcFault
from rpc.registry import Registry

VERSION = "kamproxy-test 0.0"


def make_registry() -> Registry:
    registry = Registry()

    def version() -> str:
        return VERSION

    def echo(*values: Any) -> list[Any]:
        return list(values)

    def fault(code: int, message: str) -> None:
        raise RpcFault(code, message)

    async def sleep(seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "slept"

    def big(size: int) -> str:
        return "x" * size

    registry.register("core.version", version, "Returns the version string.")
    registry.register("test.echo", echo, "Echoes its parameters.")
    registry.register("test.fault", fault, "Answers with the given fault.")
    registry.register("test.sleep", sleep, "Waits, then answers.")
    registry.register("test.big", big, "Returns a string of the given size.")
    return registry


def make_dispatcher(pretty: bool = True) -> Dispatcher:
    return Dispatcher(make_registry(), pretty=pretty)
