"""In-process cfg.* and corex.debug over the real dispatcher (no transport)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from proxy.cfg.catalog import new_params
from proxy.cfg.params import Params
from proxy.cfg.persist import Overrides
from proxy.cfg.rpc import CfgMethods
from proxy.corex_rpc import CorexMethods
from rpc.dispatch import Dispatcher
from rpc.registry import Registry


class CfgServer:
    def __init__(self, params: Params | None = None, overrides: Path | None = None) -> None:
        self.params = params if params is not None else new_params()
        self.registry = Registry()
        saver = Overrides(overrides, self.params.snapshot()) if overrides else None
        self.methods = CfgMethods(self.params, overrides=saver)
        self.methods.register(self.registry)
        CorexMethods(self.params).register(self.registry)
        self.dispatcher = Dispatcher(self.registry, pretty=False)

    def reply(self, method: str, *params: Any) -> dict[str, Any]:
        request: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": 1}
        if params:
            request["params"] = list(params)
        out = asyncio.run(self.dispatcher.handle(json.dumps(request).encode()))
        assert out.body is not None
        doc: dict[str, Any] = json.loads(out.body)
        return doc

    def call(self, method: str, *params: Any) -> Any:
        doc = self.reply(method, *params)
        assert "error" not in doc, doc
        return doc["result"]

    def error(self, method: str, *params: Any) -> tuple[int, str]:
        doc = self.reply(method, *params)
        assert "error" in doc, doc
        return doc["error"]["code"], doc["error"]["message"]
