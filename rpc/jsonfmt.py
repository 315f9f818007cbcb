"""JSON text in the layout Kamailio's jsonrpcs writes.

Kamailio (``pretty_format=1``, its default) prints objects one member per line,
indented with one TAB per level and a TAB after the colon, and arrays on one line
(``[a, b]``, objects inside opening on the same line). kamctl displays replies as
they come, so writing the same layout keeps its output identical. ``compact`` is
``pretty_format=0``.
"""

from __future__ import annotations

import json
from typing import Any

_string = json.JSONEncoder(ensure_ascii=False).encode


def compact(value: Any) -> str:
    """One line, no spaces (Kamailio's ``pretty_format=0``)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def pretty(value: Any) -> str:
    """Kamailio's pretty layout; no trailing newline, as Kamailio writes it."""
    parts: list[str] = []
    _emit(value, 0, parts)
    return "".join(parts)


def _emit(value: Any, depth: int, out: list[str]) -> None:
    if isinstance(value, dict):
        if not value:
            out.append("{\n" + "\t" * depth + "}")
            return
        out.append("{\n")
        inner = "\t" * (depth + 1)
        first = True
        for key, member in value.items():
            if not first:
                out.append(",\n")
            first = False
            out.append(f"{inner}{_string(str(key))}:\t")
            _emit(member, depth + 1, out)
        out.append("\n" + "\t" * depth + "}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(", ")
            _emit(item, depth + 1, out)
        out.append("]")
    else:
        out.append(_scalar(value))


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return _string(value)
    return json.dumps(value, allow_nan=False)
