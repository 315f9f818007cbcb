"""``-F json``: the result as indented JSON, keys in the order the server sent them."""

from __future__ import annotations

import json
from typing import Any


def to_json(result: Any) -> str:
    """Parseable JSON text (UTF-8 kept as is), ending in a newline."""
    return json.dumps(result, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
