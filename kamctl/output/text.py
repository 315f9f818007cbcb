"""kamcmd's text layout, for results that arrive as JSON.

kamcmd (binrpc) prints each top-level record on its own lines: structs as ``{``, one
``name: value`` per member indented by one TAB per level, ``}``; arrays the same way
with unnamed values; scalars one per line. JSON-RPC carries the same data in another
shape, mapped back here:

* a top-level array holds the method's top-level records (jsonrpcs' RET_ARRAY), so each
  element is printed as a record of its own, except when every element is a one-member
  object: that is one struct whose members were added to the root array
  (``core.sockets_list``: ``[{"socket": {...}}, {"socket": {...}}]``);
* ``{}``, ``[]`` and ``null`` at the top are "the method returned nothing": no output;
* inside an array, a one-member object is what jsonrpcs makes of a struct member added
  to an array node (``ul.dump``'s ``"Domains": [{"Domain": {...}}]``); binrpc shows it as a
  named member, and so do we;
* numbers: integral floats without decimals, others as ``%f`` (six decimals);
  booleans as ``1``/``0`` and ``null`` as ``<null string>``, as binrpc sends them.
"""

from __future__ import annotations

from typing import Any


def scalar(value: Any) -> str:
    """One value as kamcmd prints it."""
    if isinstance(value, str):
        return value
    if value is None:
        return "<null string>"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:f}"
    return str(value)


def to_text(result: Any) -> str:
    """The whole result, each line ending in a newline."""
    if result is None or (isinstance(result, (dict, list)) and not result):
        return ""
    lines: list[str] = []
    if isinstance(result, list) and all(_one_member(item) for item in result):
        _record(result, 0, lines)  # one struct, its members added to the root array
        return "".join(line + "\n" for line in lines)
    records = result if isinstance(result, list) else [result]
    for record in records:
        _record(record, 0, lines)
    return "".join(line + "\n" for line in lines)


def _record(value: Any, depth: int, lines: list[str]) -> None:
    """An unnamed value: a struct or array in braces, or a scalar."""
    tabs = "\t" * depth
    if isinstance(value, dict):
        lines.append(tabs + "{")
        _members(value, depth + 1, lines)
        lines.append(tabs + "}")
    elif isinstance(value, list):
        lines.append(tabs + "{")
        _elements(value, depth + 1, lines)
        lines.append(tabs + "}")
    else:
        lines.append(tabs + scalar(value))


def _member(name: str, value: Any, depth: int, lines: list[str]) -> None:
    """A named value: ``name: value``, or ``name: {`` ... ``}`` for containers."""
    tabs = "\t" * depth
    if isinstance(value, dict):
        lines.append(f"{tabs}{name}: {{")
        _members(value, depth + 1, lines)
        lines.append(tabs + "}")
    elif isinstance(value, list):
        lines.append(f"{tabs}{name}: {{")
        _elements(value, depth + 1, lines)
        lines.append(tabs + "}")
    else:
        lines.append(f"{tabs}{name}: {scalar(value)}")


def _members(obj: dict[str, Any], depth: int, lines: list[str]) -> None:
    for name, value in obj.items():
        _member(name, value, depth, lines)


def _one_member(item: Any) -> bool:
    return isinstance(item, dict) and len(item) == 1


def _elements(items: list[Any], depth: int, lines: list[str]) -> None:
    for item in items:
        if isinstance(item, dict) and len(item) == 1:
            ((name, value),) = item.items()
            _member(name, value, depth, lines)
        else:
            _record(item, depth, lines)
