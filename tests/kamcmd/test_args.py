"""Argument rules: each word checked as converted and as it arrives on the wire."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kamctl.args import ArgumentError, convert, convert_all
from kamctl.kamcmd import main
from tests.kamcmd.support import RecordingServer, run_kamcmd

# word -> the JSON value kamcmd must send
RULES: list[tuple[str, Any]] = [
    ("1001", 1001),
    ("-5", -5),
    ("+5", 5),
    ("007", 7),
    ("0", 0),
    ("3.5", 3.5),
    ("-0.25", -0.25),
    ("1e3", 1000.0),
    (".5", 0.5),
    ("5.", 5.0),
    ("s:1001", "1001"),
    ("s:", ""),
    ("s:s:x", "s:x"),
    ("s:-5", "-5"),
    ("abc", "abc"),
    ("", ""),
    (" 5", " 5"),
    ("0x10", "0x10"),
    ("1_000", "1_000"),
    ("\u0663", "\u0663"),  # ARABIC-INDIC DIGIT THREE: not an ASCII digit
    ("nan", "nan"),
    ("inf", "inf"),
    ("1e999", "1e999"),
    ("x:5", "x:5"),
    ("I:5", "I:5"),
    ("i:42", 42),
    ("i:-3", -3),
    ("f:2", 2.0),
    ("f:-1.5e2", -150.0),
    ("b:true", True),
    ("b:False", False),
    ("b:1", True),
    ("b:no", False),
    ('j:{"a": [1, null]}', {"a": [1, None]}),
    ('j:"x"', "x"),
    ("j:12", 12),
    ("j:null", None),
    ('say "hi"', 'say "hi"'),
    ("back\\slash", "back\\slash"),
    ("\\n is not a newline", "\\n is not a newline"),
    ('{"a": 1}', '{"a": 1}'),
    ("tab\there", "tab\there"),
    ("new\nline", "new\nline"),
    ("caf\u00e9 \u2603", "caf\u00e9 \u2603"),
    ("--not-an-option", "--not-an-option"),
    ("-s", "-s"),
]

BAD: list[tuple[str, str]] = [
    ("i:x", "expected an integer"),
    ("i:1.5", "expected an integer"),
    ("i:", "expected an integer"),
    ("f:abc", "expected a decimal number"),
    ("f:inf", "expected a decimal number"),
    ("b:maybe", "expected true or false"),
    ("j:{", "not valid JSON"),
    ("j:NaN", "not valid JSON"),
    ('j:"\\udcff"', "lone surrogate"),
]


@pytest.mark.parametrize(("word", "expected"), RULES)
def test_convert(word: str, expected: Any) -> None:
    value = convert(word)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(("word", "message"), BAD)
def test_bad_prefixed_value_names_the_argument(word: str, message: str) -> None:
    with pytest.raises(ArgumentError) as info:
        convert_all(["ok", word])
    assert "argument 2" in str(info.value)
    assert repr(word) in str(info.value)
    assert message in str(info.value)


def test_integer_longer_than_pythons_digit_limit_stays_a_string() -> None:
    word = "9" * 5000
    assert convert(word) == word


def test_each_rule_on_the_wire(
    recorder: RecordingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """All words in one call: the datagram holds exactly the expected params."""
    words = [word for word, _ in RULES]
    code = main(["-s", recorder.address, "-F", "json", "test.record", *words])
    assert code == 0, capsys.readouterr().err
    (request,) = recorder.requests
    assert request.method == "test.record"
    assert request.params == [value for _, value in RULES]
    for sent, (_word, expected) in zip(request.params, RULES, strict=True):
        assert type(sent) is type(expected)  # same type, not only equal (True == 1)
    raw = request.raw.decode("utf-8")
    assert '"1000.0"' not in raw and "1000.0" in raw  # a number, not a string
    assert '"1001"' in raw  # s:1001
    assert json.loads(capsys.readouterr().out) == request.params


@pytest.mark.parametrize(("word", "expected"), RULES[:12] + RULES[-8:])
def test_rule_on_the_wire_one_by_one(
    recorder: RecordingServer, word: str, expected: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-s", recorder.address, "test.record", word]) == 0
    (request,) = recorder.requests
    assert request.params == [expected]
    assert json.dumps(expected, ensure_ascii=False) in request.raw.decode()


def test_no_arguments_send_no_params(recorder: RecordingServer) -> None:
    assert main(["-s", recorder.address, "core.version"]) == 0
    assert "params" not in recorder.requests[0].doc


def test_bad_prefix_is_a_usage_error_and_nothing_is_sent(
    recorder: RecordingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-s", recorder.address, "cfg.seti", "core", "debug", "i:three"]) == 2
    err = capsys.readouterr().err
    assert err == "kamcmd: argument 3 ('i:three'): expected an integer after 'i:'\n"
    assert recorder.requests == []


def test_bytes_exact_from_a_real_shell_argv(recorder: RecordingServer, home: Path) -> None:
    """Through a subprocess argv: quotes, backslashes, $ and newlines are untouched."""
    words = ['a"b', "c\\d", "$HOME", "'q'", "x\ny", "  spaced  ", "%v %s %%"]
    done = run_kamcmd(["-s", recorder.address, "-F", "json", "core.echo", *words], home)
    assert done.returncode == 0, done.stderr
    assert recorder.requests[0].params == words
    assert json.loads(done.stdout) == words


def test_negative_numbers_after_method_are_arguments(recorder: RecordingServer, home: Path) -> None:
    done = run_kamcmd(["-s", recorder.address, "core.echo", "-5", "-2.5", "-x", "--help"], home)
    assert done.returncode == 0, done.stderr
    assert recorder.requests[0].params == [-5, -2.5, "-x", "--help"]
    assert done.stdout == "-5\n-2.500000\n-x\n--help\n"


def test_invalid_utf8_argument_is_a_usage_error(recorder: RecordingServer, home: Path) -> None:
    import subprocess
    import sys

    from tests.kamcmd.support import ENTRY, env_for

    done = subprocess.run(
        [
            sys.executable.encode(),
            b"-c",
            ENTRY.encode(),
            b"-s",
            recorder.address.encode(),
            b"core.echo",
            b"ok",
            b"bad\xff",
        ],
        capture_output=True,
        env=env_for(home),
        timeout=30,
    )
    assert done.returncode == 2
    assert done.stderr == b"kamcmd: argument 2 (bad\\xff) is not valid UTF-8\n"
    assert recorder.requests == []
