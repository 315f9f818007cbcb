"""Databases with rows, parameters and replies for the module tests."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from proxy.cfg.catalog import new_params
from proxy.cfg.params import Params
from proxy.storage import admin
from proxy.storage.url import parse_url

TRANSCRIPTS = Path(__file__).resolve().parents[3] / "shared/reference/kamailio-5.6/transcripts"


def make_db(tmp_path: Path, **tables: list[dict[str, Any]]) -> str:
    """A new SQLite database with kamctl's schema and ``tables``' rows; its URL."""
    url = f"sqlite:///{tmp_path / 'kamailio.sqlite'}"
    admin.create(parse_url(url))
    for table, rows in tables.items():
        insert(url, table, rows)
    return url


def db_file(url: str) -> str:
    return url.removeprefix("sqlite:///")


def insert(url: str, table: str, rows: list[dict[str, Any]]) -> None:
    """Rows written with sqlite3 directly (as an operator or Kamailio's kamctl would)."""
    with sqlite3.connect(db_file(url)) as conn:
        for row in rows:
            names = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(row.values()))


def execute(url: str, sql: str) -> None:
    with sqlite3.connect(db_file(url)) as conn:
        conn.execute(sql)


def params(**dispatcher: Any) -> Params:
    """Every runtime parameter at its default, with ``dispatcher.*`` values set."""
    values = new_params()
    for name, value in dispatcher.items():
        values.set("dispatcher", name, value)
    return values


def capture(name: str, transport: str = "fifo") -> str:
    """A reply captured from Kamailio 5.6.3 (skips when the captures are not there)."""
    import pytest

    path = TRANSCRIPTS / transport / f"{name}.reply"
    if not path.exists():
        pytest.skip("Kamailio transcripts not present beside the checkout")
    return path.read_text()


def capture_request(name: str, transport: str = "fifo") -> bytes:
    return (TRANSCRIPTS / transport / f"{name}.request").read_bytes()


def result_of(reply_text: str) -> Any:
    return json.loads(reply_text)["result"]


def shape(value: Any) -> Any:
    """Keys and value types, recursively (lists by their first element)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__
