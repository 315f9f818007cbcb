"""The registry: names, parameter checks, system.* methods."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from rpc.errors import RpcFault
from rpc.registry import Registry


def make() -> Registry:
    registry = Registry()

    def get(group: str, var: str = "") -> str:
        return f"{group}.{var}"

    def seti(group: str, var: str, value: int) -> int:
        return value

    def scale(factor: float) -> float:
        return factor

    def flag(on: bool) -> bool:
        return on

    def anything(*values: Any) -> list[Any]:
        return list(values)

    registry.register("cfg.get", get, "Get a value.")
    registry.register("cfg.seti", seti, "Set an int.")
    registry.register("t.scale", scale, "Scale.")
    registry.register("t.flag", flag, "Flag.")
    registry.register("t.any", anything, "Anything.")
    return registry


def invoke(
    registry: Registry, name: str, args: list[Any], kwargs: dict[str, Any] | None = None
) -> Any:
    method = registry.get(name)
    assert method is not None
    return asyncio.run(method.invoke(args, kwargs or {}))


def test_names_are_sorted_bytewise_and_include_system() -> None:
    names = make().names()
    assert names == sorted(names, key=str.encode)
    assert {"system.listMethods", "system.methodHelp", "system.methodSignature"} <= set(names)


@pytest.mark.parametrize("bad", ["nodot", "a..b", ".a", "a.", "a.b c", "1a.b"])
def test_bad_names_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        Registry().register(bad, lambda: None, "x")


def test_duplicate_is_refused() -> None:
    registry = make()
    with pytest.raises(ValueError, match="already registered"):
        registry.register("cfg.get", lambda: None, "x")


def test_positional_and_named_params() -> None:
    registry = make()
    assert invoke(registry, "cfg.get", ["core", "debug"]) == "core.debug"
    assert invoke(registry, "cfg.get", [], {"group": "core", "var": "debug"}) == "core.debug"
    # Kamailio ignores member names: unknown names are read positionally
    assert invoke(registry, "cfg.get", [], {"g": "core", "n": "debug"}) == "core.debug"


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        (
            "cfg.seti",
            ["core", "debug", "notanint"],
            "parameter 3 (value) must be an integer, got string",
        ),
        ("cfg.seti", ["core", "debug", True], "must be an integer, got boolean"),
        ("cfg.seti", ["core", "debug", 1.5], "must be an integer, got number"),
        ("cfg.seti", ["core"], "missing parameter 2 (var)"),
        ("cfg.get", ["a", "b", "c"], "too many parameters: 3 given, at most 2"),
        ("t.scale", ["x"], "must be a number"),
        ("t.flag", [1], "must be true or false"),
        ("cfg.get", [["core"]], "must be a string, got array"),
    ],
)
def test_type_errors_name_the_parameter(name: str, args: list[Any], message: str) -> None:
    with pytest.raises(RpcFault) as info:
        invoke(make(), name, args)
    assert info.value.code == -32602
    assert message in info.value.message
    assert "usage:" in info.value.message


def test_conversions() -> None:
    registry = make()
    assert invoke(registry, "cfg.get", [1001]) == "1001."  # kamcmd sends 1001 as a number
    assert invoke(registry, "cfg.seti", ["a", "b", 3.0]) == 3
    assert invoke(registry, "t.scale", [2]) == 2.0
    assert invoke(registry, "t.any", [1, "x", None]) == [1, "x", None]


def test_system_methods() -> None:
    registry = make()
    assert invoke(registry, "system.methodHelp", ["cfg.get"]) == "Get a value."
    assert invoke(registry, "system.methodSignature", ["cfg.seti"]) == [
        ["int", "string", "string", "int"]
    ]
    with pytest.raises(RpcFault, match="not found"):
        invoke(registry, "system.methodHelp", ["no.such"])
    assert "cfg.get" in invoke(registry, "system.listMethods", [])


def test_usage_text() -> None:
    registry = make()
    method = registry.get("cfg.get")
    assert method is not None and method.usage == "cfg.get group [var]"
    any_method = registry.get("t.any")
    assert any_method is not None and any_method.usage == "t.any [values...]"
