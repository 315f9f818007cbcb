"""How an RPC result is printed: kamcmd's text layout, a ``-f`` format, JSON or a table.

Each style lives in its own module and is imported only when chosen, so the text
layout (the default) never pays for rich.
"""

from __future__ import annotations

from typing import Any

#: The values of ``-F``.
STYLES = ("text", "json", "table")


def render(result: Any, style: str = "text", fmt: str | None = None) -> str:
    """``result`` as printable text (empty, or ending in a newline).

    ``fmt`` (kamcmd's ``-f``) wins over ``style``.
    """
    if fmt is not None:
        from kamctl.output.fmt import format_values

        return format_values(result, fmt)
    if style == "json":
        from kamctl.output.jsonout import to_json

        return to_json(result)
    if style == "table":
        from kamctl.output.table import to_table

        return to_table(result)
    if style != "text":
        raise ValueError(f"unknown output style {style!r}")
    from kamctl.output.text import to_text

    return to_text(result)
