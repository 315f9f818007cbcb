"""The routing layer's RPC methods, with Kamailio's app_python names.

* ``app_python.reload``: load the script file again (see :mod:`proxy.routing.script`);
  ``{"old": v, "new": v + 1}`` as Kamailio returns, or error 500 naming the file and
  line when the new script cannot be used (the old one keeps serving);
* ``app_python.api_list``: ``{"msize": n, "methods": [{"func": {"ret", "module",
  "name", "params"}}, ...]}``, the functions the script can call.
"""

from __future__ import annotations

from typing import Any

from proxy.routing.router import Router
from proxy.routing.script import ScriptError
from rpc.errors import RpcFault
from rpc.registry import Registry


def register(registry: Registry, router: Router) -> None:
    def reload() -> dict[str, int]:
        try:
            old, new = router.scripts.reload()
        except ScriptError as exc:
            raise RpcFault(500, f"Reload failed: {exc}") from None
        return {"old": old, "new": new}

    def api_list() -> dict[str, Any]:
        methods = router.api.api_list()
        return {"msize": len(methods), "methods": methods}

    registry.register(
        "app_python.reload",
        reload,
        "Reload the routing script without a restart; on an error (named with file and "
        "line) the old script keeps serving.",
    )
    registry.register(
        "app_python.api_list",
        api_list,
        "List the functions of the routing API the script can call.",
    )
