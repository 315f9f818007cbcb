"""Our pretty JSON is byte-identical to Kamailio 5.6's (captured replies)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rpc import jsonfmt

TRANSCRIPTS = Path(__file__).resolve().parents[3] / "shared/reference/kamailio-5.6/transcripts"
CASES = [
    "01-core.version",
    "02-core.uptime",
    "03-core.psx",
    "04-core.echo",
    "06-system.listMethods",
    "08-cfg.list",
    "30-err-no-method",
]


@pytest.mark.parametrize("case", CASES)
def test_pretty_matches_kamailio_bytes(case: str) -> None:
    path = TRANSCRIPTS / "fifo" / f"{case}.reply"
    if not path.exists():
        pytest.skip("Kamailio transcripts not present beside the checkout")
    captured = path.read_text()
    assert jsonfmt.pretty(json.loads(captured)) == captured


def test_pretty_layout_rules() -> None:
    assert jsonfmt.pretty({}) == "{\n}"
    assert jsonfmt.pretty({"a": {}}) == '{\n\t"a":\t{\n\t}\n}'
    assert jsonfmt.pretty({"a": []}) == '{\n\t"a":\t[]\n}'
    assert jsonfmt.pretty([1, "x", None, True]) == '[1, "x", null, true]'
    assert jsonfmt.pretty({"k": [{"x": 1}]}) == '{\n\t"k":\t[{\n\t\t\t"x":\t1\n\t\t}]\n}'


def test_strings_are_escaped_but_utf8_kept() -> None:
    text = jsonfmt.pretty({"s": 'a"b\\c\n\tü/'})
    assert json.loads(text) == {"s": 'a"b\\c\n\tü/'}
    assert "ü" in text and "\\/" not in text


def test_compact_is_one_line() -> None:
    assert jsonfmt.compact({"a": [1, 2], "b": "é"}) == '{"a":[1,2],"b":"é"}'


def test_nan_is_refused() -> None:
    with pytest.raises(ValueError):
        jsonfmt.pretty({"x": float("nan")})
