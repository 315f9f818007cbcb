"""SQL text for the table-access API, with every value a bound parameter.

Conditions are a mapping ``column -> value``, all of which must hold (AND). A plain
value means equality (``None`` means ``IS NULL``); a :class:`Cmp` gives another
operator: ``Cmp("<", when)``, ``like("al%")``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from proxy.storage.dialect import Dialect
from proxy.storage.errors import QueryError

_OPERATORS = frozenset({"=", "!=", "<", "<=", ">", ">=", "like"})


@dataclass(frozen=True)
class Cmp:
    """``column OP value`` in a condition."""

    op: str
    value: Any

    def __post_init__(self) -> None:
        if self.op not in _OPERATORS:
            raise QueryError(f"unknown operator {self.op!r}")


def like(pattern: str) -> Cmp:
    """SQL LIKE: ``%`` any run of characters, ``_`` one character, ``\\`` escapes."""
    return Cmp("like", pattern)


Where = Mapping[str, Any]
Statement = tuple[str, tuple[Any, ...]]


def where_clause(d: Dialect, where: Where | None) -> Statement:
    if not where:
        return "", ()
    parts: list[str] = []
    params: list[Any] = []
    for column, value in where.items():
        name = d.quote(column)
        if isinstance(value, Cmp):
            if value.op == "like":
                parts.append(f"{name} {d.like()} {d.placeholder}{d.like_escape()}")
            elif value.value is None and value.op in ("=", "!="):
                parts.append(f"{name} IS {'NOT ' if value.op == '!=' else ''}NULL")
                continue
            else:
                parts.append(f"{name} {value.op} {d.placeholder}")
            params.append(value.value)
        elif value is None:
            parts.append(f"{name} IS NULL")
        else:
            parts.append(f"{name} = {d.placeholder}")
            params.append(value)
    return " WHERE " + " AND ".join(parts), tuple(params)


def select(
    d: Dialect,
    table: str,
    where: Where | None = None,
    columns: Sequence[str] | None = None,
    order_by: Sequence[str] | None = None,
    limit: int | None = None,
) -> Statement:
    cols = ", ".join(d.quote(c) for c in columns) if columns else "*"
    clause, params = where_clause(d, where)
    sql = f"SELECT {cols} FROM {d.quote(table)}{clause}"
    if order_by:
        sql += " ORDER BY " + ", ".join(_order(d, c) for c in order_by)
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql, params


def _order(d: Dialect, column: str) -> str:
    """``name`` ascending, ``-name`` descending."""
    if column.startswith("-"):
        return d.quote(column[1:]) + " DESC"
    return d.quote(column)


def count(d: Dialect, table: str, where: Where | None = None) -> Statement:
    clause, params = where_clause(d, where)
    return f"SELECT COUNT(*) FROM {d.quote(table)}{clause}", params


def insert(d: Dialect, table: str, columns: Sequence[str]) -> str:
    """One row's INSERT, to run with each row's values in ``columns`` order."""
    if not columns:
        raise QueryError(f"nothing to insert into {table}")
    names = ", ".join(d.quote(c) for c in columns)
    marks = ", ".join([d.placeholder] * len(columns))
    return f"INSERT INTO {d.quote(table)} ({names}) VALUES ({marks})"


def update(d: Dialect, table: str, values: Mapping[str, Any], where: Where | None) -> Statement:
    if not values:
        raise QueryError(f"nothing to update in {table}")
    sets = ", ".join(f"{d.quote(c)} = {d.placeholder}" for c in values)
    clause, params = where_clause(d, where)
    return f"UPDATE {d.quote(table)} SET {sets}{clause}", (*values.values(), *params)


def delete(d: Dialect, table: str, where: Where | None) -> Statement:
    clause, params = where_clause(d, where)
    return f"DELETE FROM {d.quote(table)}{clause}", params
