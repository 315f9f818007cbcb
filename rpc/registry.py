"""The method registry: every RPC method, its parameters and its help text.

A module registers methods named ``group.method``. Parameter types come from the
function's annotations (``int``, ``float``, ``str``, ``bool``, ``Any``); the registry
checks each call against them and answers a mismatch with an "Invalid params" error
that names the parameter, where Kamailio would silently read a string as 0.

``system.listMethods``, ``system.methodHelp`` and ``system.methodSignature`` answer
from the registry itself, and docs/rpc-methods.md is generated from it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, get_type_hints

from rpc.errors import RpcFault
from rpc.protocol import INVALID_PARAMS

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")

#: XML-RPC style type names used by system.methodSignature.
_TYPE_NAMES: dict[Any, str] = {
    int: "int",
    float: "double",
    str: "string",
    bool: "boolean",
    dict: "struct",
    list: "array",
    Any: "any",
    type(None): "none",
}


@dataclass(frozen=True)
class Param:
    name: str
    kind: Any  # one of the keys of _TYPE_NAMES
    required: bool
    variadic: bool = False

    @property
    def type_name(self) -> str:
        return _TYPE_NAMES.get(self.kind, "any")


@dataclass(frozen=True)
class Method:
    """A registered RPC method."""

    name: str
    func: Callable[..., Any]
    help: str
    params: tuple[Param, ...]
    returns: str

    @property
    def usage(self) -> str:
        """``name req [opt] [var...]`` for docs and help output."""
        words = [self.name]
        for param in self.params:
            if param.variadic:
                words.append(f"[{param.name}...]")
            elif param.required:
                words.append(param.name)
            else:
                words.append(f"[{param.name}]")
        return " ".join(words)

    def signature(self) -> list[str]:
        """XML-RPC style: return type first, then each parameter type."""
        return [self.returns] + [p.type_name for p in self.params]

    @property
    def is_async(self) -> bool:
        """True for a coroutine function: callers must await :meth:`invoke`."""
        return inspect.iscoroutinefunction(self.func)

    async def invoke(self, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """Check the arguments against the parameters, then call the function."""
        positional = self._bind(args, kwargs)
        result = self.func(*positional)
        if inspect.isawaitable(result):
            result = await result
        return result

    def invoke_now(self, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """:meth:`invoke` for a plain function."""
        result = self.func(*self._bind(args, kwargs))
        if inspect.isawaitable(result):
            close = getattr(result, "close", None)
            if close is not None:
                close()
            raise TypeError(f"{self.name} returned an awaitable; declare it async def")
        return result

    def _bind(self, args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
        if kwargs:
            names = {p.name for p in self.params}
            if set(kwargs) <= names:
                args = _by_name(self.params, kwargs)
            else:  # Kamailio ignores member names and reads values in order
                args = list(kwargs.values())
        fixed = [p for p in self.params if not p.variadic]
        variadic = next((p for p in self.params if p.variadic), None)
        required = sum(1 for p in fixed if p.required)
        if len(args) < required:
            missing = fixed[len(args)].name
            raise _invalid(f"missing parameter {len(args) + 1} ({missing})", self)
        if len(args) > len(fixed) and variadic is None:
            raise _invalid(f"too many parameters: {len(args)} given, at most {len(fixed)}", self)
        checked = []
        for index, value in enumerate(args):
            param = fixed[index] if index < len(fixed) else variadic
            assert param is not None
            checked.append(_coerce(value, param, index + 1, self))
        return checked


def _by_name(params: tuple[Param, ...], kwargs: dict[str, Any]) -> list[Any]:
    values: list[Any] = []
    for param in params:
        if param.name not in kwargs:
            break
        values.append(kwargs[param.name])
    return values


def _invalid(detail: str, method: Method) -> RpcFault:
    return RpcFault(INVALID_PARAMS, f"Invalid params: {detail}; usage: {method.usage}")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "array" if isinstance(value, list) else "object"


def _coerce(value: Any, param: Param, position: int, method: Method) -> Any:
    kind = param.kind
    ok = True
    if kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok and isinstance(value, float) and value.is_integer():
            value, ok = int(value), True
    elif kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif kind is str:
        # Kamailio's auto-conversion: kamcmd sends 1001 as a number even for user names.
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        ok = isinstance(value, str)
    elif kind is bool:
        ok = isinstance(value, bool)
    elif kind is dict:
        ok = isinstance(value, dict)
    elif kind is list:
        ok = isinstance(value, list)
    if not ok:
        expected = {
            int: "an integer",
            float: "a number",
            str: "a string",
            bool: "true or false",
            dict: "an object",
            list: "an array",
        }[kind]
        raise _invalid(
            f"parameter {position} ({param.name}) must be {expected}, got {_json_type(value)}",
            method,
        )
    return value


def _describe(func: Callable[..., Any]) -> tuple[tuple[Param, ...], str]:
    sig = inspect.signature(func)
    try:
        hints = get_type_hints(func)
    except Exception:  # unresolvable annotations: treat everything as Any
        hints = {}
    params = []
    for p in sig.parameters.values():
        if p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD):
            raise ValueError(f"RPC method parameters must be positional: {p.name}")
        kind = hints.get(p.name, Any)
        kind = kind if kind in _TYPE_NAMES else Any
        params.append(
            Param(
                name=p.name,
                kind=kind,
                required=p.default is p.empty and p.kind != p.VAR_POSITIONAL,
                variadic=p.kind == p.VAR_POSITIONAL,
            )
        )
    returns = hints.get("return", Any)
    origin = getattr(returns, "__origin__", returns)
    return tuple(params), _TYPE_NAMES.get(origin, "any")


class Registry:
    """All methods a server offers, by name."""

    def __init__(self) -> None:
        self._methods: dict[str, Method] = {}
        self._register_system()

    def register(self, name: str, func: Callable[..., Any], help: str) -> Method:
        """Add ``func`` as method ``name`` (``group.method``) with a one-line help."""
        if not _NAME.match(name):
            raise ValueError(f"bad RPC method name {name!r}: use group.method")
        if name in self._methods:
            raise ValueError(f"RPC method {name} is already registered")
        params, returns = _describe(func)
        method = Method(name, func, " ".join(help.split()), params, returns)
        self._methods[name] = method
        return method

    def method(self, name: str, help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator form of :meth:`register`."""

        def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
            self.register(name, func, help)
            return func

        return decorate

    def unregister(self, name: str) -> None:
        self._methods.pop(name, None)

    def get(self, name: str) -> Method | None:
        return self._methods.get(name)

    def names(self) -> list[str]:
        """All method names in byte order, as Kamailio lists them."""
        return sorted(self._methods, key=lambda n: n.encode())

    def __iter__(self) -> Iterator[Method]:
        return (self._methods[n] for n in self.names())

    def __contains__(self, name: object) -> bool:
        return name in self._methods

    def __len__(self) -> int:
        return len(self._methods)

    def handlers(self) -> dict[str, Callable[..., Awaitable[Any]]]:
        """name -> coroutine function taking the raw positional/keyword params."""
        return {name: method.invoke for name, method in self._methods.items()}

    # -- system.* -------------------------------------------------------------

    def _register_system(self) -> None:
        self.register(
            "system.listMethods",
            self._list_methods,
            "Lists all RPC methods supported by the server.",
        )
        self.register(
            "system.methodHelp", self._method_help, "Print the help string for given method."
        )
        self.register(
            "system.methodSignature", self._method_signature, "Returns signature of given method."
        )

    def _list_methods(self) -> list[str]:
        return self.names()

    def _lookup(self, name: str) -> Method:
        method = self._methods.get(name)
        if method is None:
            raise RpcFault(404, f"command {name} not found")
        return method

    def _method_help(self, method: str) -> str:
        return self._lookup(method).help or "undocumented"

    def _method_signature(self, method: str) -> list[list[str]]:
        return [self._lookup(method).signature()]
