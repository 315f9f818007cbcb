"""``-F table``: a list of objects as a table, drawn with rich (imported only here).

* a list of objects: one row per object, one column per member name (in order of
  first appearance); jsonrpcs' one-member wrappers (``[{"SET": {...}}]``) are unwrapped;
* an object: a two-column table of member names and values, except that an object whose
  only list member holds objects (``{"NRSETS": 1, "RECORDS": [...]}``) shows that list;
* a list of plain values: one column;
* a scalar: the value itself.

Cells holding objects or arrays show them as compact JSON. Text is never read as rich
markup (``[not set]`` stays as it is).
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from typing import Any

from kamctl.output.text import scalar


def _cell(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return scalar(value) if value is not None else ""


def _unwrap(items: list[Any]) -> list[Any]:
    """``[{"X": {...}}, {"X": {...}}]`` -> ``[{...}, {...}]`` (jsonrpcs' struct-in-array)."""
    if items and all(
        isinstance(i, dict) and len(i) == 1 and isinstance(next(iter(i.values())), dict)
        for i in items
    ):
        return [next(iter(i.values())) for i in items]
    return items


def _rows(result: Any) -> tuple[list[str], list[list[str]]] | None:
    """Column names and rows for ``result``; None for a scalar."""
    if isinstance(result, dict):
        lists = [v for v in result.values() if isinstance(v, list)]
        if len(lists) == 1 and lists[0] and all(isinstance(i, dict) for i in lists[0]):
            return _rows(lists[0])
        return ["name", "value"], [[str(k), _cell(v)] for k, v in result.items()]
    if isinstance(result, list):
        items = _unwrap(result)
        if items and all(isinstance(i, dict) for i in items):
            columns: list[str] = []
            for item in items:
                columns.extend(k for k in item if k not in columns)
            return columns, [[_cell(item.get(c)) for c in columns] for item in items]
        return ["value"], [[_cell(i)] for i in items]
    return None


def to_table(result: Any) -> str:
    """The rendered table (or the scalar), ending in a newline."""
    if result is None or (isinstance(result, (dict, list)) and not result):
        return ""
    shape = _rows(result)
    if shape is None:
        return scalar(result) + "\n"
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    columns, rows = shape
    table = Table(*columns, show_lines=False, highlight=False)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    width = shutil.get_terminal_size((120, 24)).columns if sys.stdout.isatty() else 200
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, color_system=None, markup=False, emoji=False, highlight=False
    )
    console.print(table)
    return buffer.getvalue()
