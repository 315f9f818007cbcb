"""``corex.debug``: show or set the live debug level (``core.debug``).

Kamailio's corex.debug stores any integer; kamproxy checks the range -5..3 and
answers a bad level with a 400 fault, leaving the level as it was.
"""

from __future__ import annotations

from typing import Any

from proxy.cfg.model import CfgError, describe, parse_int
from proxy.cfg.params import Params
from rpc.errors import RpcFault
from rpc.registry import Registry


class CorexMethods:
    def __init__(self, params: Params) -> None:
        self.params = params

    def register(self, registry: Registry) -> None:
        registry.register(
            "corex.debug",
            self.debug,
            'Without a parameter: the current debug level as {"debug": n}. With one: '
            'set it now and return {"old": x, "new": y}.',
        )

    def debug(self, level: Any = None) -> dict[str, Any]:
        current = self.params.get_int("core", "debug")
        if level is None:
            return {"debug": current}
        number = parse_int(level)
        if number is None:
            raise RpcFault(400, f"corex.debug: the level must be an integer, got {describe(level)}")
        try:
            self.params.set("core", "debug", number, source="corex.debug")
        except CfgError as exc:
            raise RpcFault(400, f"corex.debug: {exc}") from None
        return {"old": current, "new": number}
