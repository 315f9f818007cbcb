"""How a command-line word becomes an RPC parameter (kamcmd's rules, plus typed prefixes).

Shared by ``kamcmd METHOD ARG...`` and ``kamctl rpc METHOD ARG...``:

* a whole decimal integer (``42``, ``-5``, ``007``) is sent as a JSON integer;
* a whole decimal float (``3.5``, ``-0.25``, ``1e3``) as a JSON number;
* anything else as a string, byte for byte (quotes and backslashes included);
* ``s:TEXT`` forces the string ``TEXT`` (kamcmd's one prefix);
* beyond kamcmd, validated prefixes: ``i:`` integer, ``f:`` number, ``b:`` true/false,
  ``j:`` any JSON value. A value that does not fit its prefix is a usage error.

Only ASCII digits count: ``1_000``, ``٣`` or ``0x10`` stay strings (Python's ``int()``
would accept the first two, C's ``strtod`` the last).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_INT = re.compile(r"[+-]?[0-9]+\Z")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")
#: The prefixes and what they expect, for messages and --help.
PREFIXES = {
    "s:": "a string",
    "i:": "an integer",
    "f:": "a number",
    "b:": "true or false",
    "j:": "a JSON value",
}


class ArgumentError(ValueError):
    """An argument that does not fit its prefix; the message names it."""


def check_utf8(word: str, what: str) -> None:
    """Raise ArgumentError when ``word`` came from bytes that are not UTF-8.

    Python hands undecodable bytes of argv over as lone surrogates, which no JSON
    document can carry.
    """
    try:
        word.encode("utf-8")
    except UnicodeEncodeError:
        shown = word.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise ArgumentError(f"{what} ({shown}) is not valid UTF-8") from None


def _as_int(text: str) -> int | None:
    """``text`` as an int when it is a whole decimal integer, else None."""
    if not _INT.match(text):
        return None
    try:
        return int(text)
    except ValueError:  # longer than Python's int-from-text digit limit
        return None


def _as_float(text: str) -> float | None:
    """``text`` as a finite float when it is a whole decimal number, else None."""
    if not _FLOAT.match(text):
        return None
    value = float(text)
    if value in (float("inf"), float("-inf")):
        return None  # 1e999: JSON cannot carry it
    return value


def _bad(position: int, word: str, expected: str) -> ArgumentError:
    return ArgumentError(f"argument {position} ({word!r}): expected {expected} after {word[:2]!r}")


def _typed(prefix: str, value: str, position: int, word: str) -> Any:
    """The value of a prefixed word; raises ArgumentError when it does not fit."""
    if prefix == "s:":
        return value
    if prefix == "i:":
        integer = _as_int(value)
        if integer is None:
            raise _bad(position, word, "an integer")
        return integer
    if prefix == "f:":
        number = _as_float(value)
        if number is None:
            raise _bad(position, word, "a decimal number")
        return number
    if prefix == "b:":
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise _bad(position, word, "true or false")
    # "j:"
    from rpc.protocol import DecodeError, decode, encode

    try:
        parsed = decode(value)
        encode(parsed)  # "\udcff" parses, but no UTF-8 document can carry it
    except DecodeError as exc:
        raise ArgumentError(f"argument {position} ({word!r}): not valid JSON: {exc}") from None
    except (UnicodeEncodeError, ValueError):
        raise ArgumentError(
            f"argument {position} ({word!r}): holds a lone surrogate (\\uD800-\\uDFFF)"
        ) from None
    return parsed


def convert(word: str, position: int = 1) -> Any:
    """The JSON value sent for the command-line ``word`` (``position`` counts from 1)."""
    check_utf8(word, f"argument {position}")
    prefix = word[:2]
    if prefix in PREFIXES:
        return _typed(prefix, word[2:], position, word)
    integer = _as_int(word)
    if integer is not None:
        return integer
    number = _as_float(word)
    if number is not None:
        return number
    return word


def convert_all(words: Iterable[str]) -> list[Any]:
    """:func:`convert` for each word, numbered from 1."""
    return [convert(word, index) for index, word in enumerate(words, 1)]
