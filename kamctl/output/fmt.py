"""kamcmd's ``-f FORMAT``: values poured into a format string.

Each ``%v`` takes the next value of the result (structs and arrays are walked depth
first; member names are not printed), ``%%`` is a literal ``%``, and ``\\n``, ``\\r``,
``\\t``, ``\\\\`` in the format are the control characters. When the format is used up
and values remain, it starts again; output stops at the first ``%v`` with no value
left. ``ps`` uses ``%v\\t%v\\n`` on ``core.ps``'s flat pid/description list.
"""

from __future__ import annotations

from typing import Any

from kamctl.output.text import scalar

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}


def unescape(fmt: str) -> str:
    """Interpret ``\\n``, ``\\r``, ``\\t`` and ``\\\\``; other backslashes stay."""
    out: list[str] = []
    i = 0
    while i < len(fmt):
        char = fmt[i]
        if char == "\\" and i + 1 < len(fmt) and fmt[i + 1] in _ESCAPES:
            out.append(_ESCAPES[fmt[i + 1]])
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def tokens(fmt: str) -> list[str | None]:
    """Literal pieces and ``None`` for each ``%v`` (after unescaping)."""
    text = unescape(fmt)
    parts: list[str | None] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair == "%v":
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(None)
            i += 2
        elif pair == "%%":
            literal.append("%")
            i += 2
        else:
            literal.append(text[i])
            i += 1
    if literal:
        parts.append("".join(literal))
    return parts


def flatten(result: Any) -> list[str]:
    """The scalar values of ``result`` in order, as kamcmd prints them."""
    if result is None or (isinstance(result, (dict, list)) and not result):
        return []
    values: list[str] = []
    stack: list[Any] = [result]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
        else:
            values.append(scalar(node))
    return values


def format_values(result: Any, fmt: str) -> str:
    """``result`` printed through ``fmt``."""
    parts = tokens(fmt)
    values = flatten(result)
    if None not in parts:
        return "".join(p for p in parts if p is not None)
    out: list[str] = []
    index = 0
    while index < len(values):
        for part in parts:
            if part is not None:
                out.append(part)
            elif index < len(values):
                out.append(values[index])
                index += 1
            else:
                return "".join(out)
    return "".join(out)
