"""Printing database rows: ``text`` (name: value blocks), ``table``, ``json`` or ``csv``.

The table style uses kamctl.output.table (rich, imported only then); JSON is a list of
objects; CSV has a header line. Date-times print as ``YYYY-MM-DD HH:MM:SS``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import click

STYLES = ("text", "table", "json", "csv")


def output_option(
    default: str, styles: Sequence[str] = STYLES
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``-F/--output STYLE`` with ``default``."""
    return click.option(
        "-F",
        "--output",
        type=click.Choice(list(styles)),
        default=default,
        show_default=True,
        help="Output format.",
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return value


def render(rows: list[dict[str, Any]], style: str, columns: Sequence[str] | None = None) -> str:
    """``rows`` as text in ``style`` (empty string, or ending in a newline)."""
    names = list(columns) if columns is not None else (list(rows[0]) if rows else [])
    plain = [{c: _plain(r.get(c)) for c in names} for r in rows]
    if style == "json":
        from kamctl.output.jsonout import to_json

        return to_json(plain)
    if style == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(names)
        for row in plain:
            writer.writerow(["" if row[c] is None else row[c] for c in names])
        return buffer.getvalue()
    if style == "table":
        if not plain:
            return ""
        from kamctl.output.table import to_table

        shown = [{c: ("" if r[c] is None else r[c]) for c in names} for r in plain]
        return to_table(shown)
    blocks = []
    for row in plain:
        blocks.append("".join(f"{c}: {'' if row[c] is None else row[c]}\n" for c in names))
    return "\n".join(blocks)
