"""``app_python.api_list``: the routing API's functions, described from their signatures."""

from __future__ import annotations

import inspect
from typing import Any

#: the sub-objects of ``api`` that hold module functions
SUBMODULES = ("domain", "permissions", "dispatcher", "registrar", "auth")


def _functions(obj: Any) -> list[tuple[str, Any]]:
    out = []
    for name, member in inspect.getmembers(type(obj)):
        if name.startswith("_") or not inspect.isfunction(member):
            continue
        out.append((name, getattr(obj, name)))
    return out


def _describe(module: str, name: str, func: Any) -> dict[str, Any]:
    sig = inspect.signature(func)
    params = []
    for param in sig.parameters.values():
        text = param.name
        if param.annotation is not inspect.Parameter.empty:
            text += f": {param.annotation}"
        if param.default is not inspect.Parameter.empty:
            text += f" = {param.default!r}"
        params.append(text)
    ret = sig.return_annotation
    ret_text = "none" if ret is inspect.Signature.empty else str(ret)
    if inspect.iscoroutinefunction(func):
        ret_text = f"awaitable {ret_text}"
    return {"func": {"ret": ret_text, "module": module, "name": name,
                     "params": ", ".join(params)}}


def describe_api(api: Any) -> list[dict[str, Any]]:
    """``[{"func": {"ret", "module", "name", "params"}}, ...]`` for ``api``."""
    entries = [_describe("", name, func) for name, func in _functions(api)]
    for sub in SUBMODULES:
        obj = getattr(api, sub, None)
        if obj is not None:
            entries += [_describe(sub, name, func) for name, func in _functions(obj)]
    return entries
