"""Lexical pieces shared by the URI and header parsers (RFC 3261 section 25.1).

Tokens, quoted strings, comma-separated lists and ``;name=value`` parameter lists. All
functions are pure and raise only :class:`~proxy.sip.errors.SipParseError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from proxy.sip.errors import SipParseError, snip

#: RFC 3261 ``token`` characters.
TOKEN_RE = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")

# One ``;name[=value]`` of a header's generic-param list; SWS is allowed around ";" and "=".
_HEADER_PARAM_RE = re.compile(
    r'[ \t]*;[ \t]*([^\s;=,"<>]+)(?:[ \t]*=[ \t]*("(?:[^"\\]|\\.)*"|[^\s;,"<>]*))?'
)
_TRAILING_WS_RE = re.compile(r"[ \t]*")


def is_token(text: str) -> bool:
    """True when ``text`` is a non-empty RFC 3261 token."""
    return TOKEN_RE.fullmatch(text) is not None


def quote(text: str) -> str:
    """``text`` as a quoted-string (backslash before ``"`` and ``\\``)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote(text: str) -> str:
    """The content of a quoted-string (``"a\\"b"`` -> ``a"b``); other text is returned as is."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        inner = text[1:-1]
        if "\\" not in inner:
            return inner
        return re.sub(r"\\(.)", r"\1", inner, flags=re.DOTALL)
    return text


def quoted_end(text: str, start: int) -> int:
    """Index just past the quoted-string that opens at ``text[start] == '"'``."""
    i = start + 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == '"':
            return i + 1
        i += 1
    raise SipParseError("unterminated quoted string")


def split_commas(value: str) -> list[str]:
    """Split a list header value on the commas outside quoted strings and ``<...>``.

    Empty elements (``a, ,b``) are dropped; each element is stripped.
    """
    if '"' not in value and "<" not in value:
        return [part for part in (p.strip(" \t") for p in value.split(",")) if part]
    parts: list[str] = []
    start = 0
    i = 0
    n = len(value)
    in_angle = False
    while i < n:
        ch = value[i]
        if ch == '"':
            i = quoted_end(value, i)
            continue
        if ch == "<":
            in_angle = True
        elif ch == ">":
            in_angle = False
        elif ch == "," and not in_angle:
            parts.append(value[start:i])
            start = i + 1
        i += 1
    if in_angle:
        raise SipParseError("unterminated '<' in header value")
    parts.append(value[start:])
    return [part for part in (p.strip(" \t") for p in parts) if part]


class Params:
    """An immutable, ordered list of ``;name[=value]`` parameters.

    Names are matched case-insensitively; spelling and order are kept for serialisation.
    A parameter without ``=`` has the value None (``;lr``); ``;tag=`` has the value ``""``.
    Quoted values keep their quotes (use :func:`unquote` to read them).
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str | None]] = ()) -> None:
        self._items: tuple[tuple[str, str | None], ...] = tuple(items)

    def __iter__(self) -> Iterator[tuple[str, str | None]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = name.lower()
        return any(k.lower() == key for k, _ in self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Params) and self._items == other._items

    def __hash__(self) -> int:
        return hash(self._items)

    def __repr__(self) -> str:
        return f"Params({list(self._items)!r})"

    def __str__(self) -> str:
        return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in self._items)

    @property
    def items(self) -> tuple[tuple[str, str | None], ...]:
        return self._items

    def get(self, name: str, default: str | None = None) -> str | None:
        """Value of the first parameter called ``name`` (None for a valueless one)."""
        key = name.lower()
        for k, v in self._items:
            if k.lower() == key:
                return v
        return default

    def with_param(self, name: str, value: str | None = None) -> Params:
        """A copy where ``name`` has ``value``: replaced in place if present, else appended."""
        check_param(name, value)
        key = name.lower()
        items = list(self._items)
        for i, (k, _) in enumerate(items):
            if k.lower() == key:
                items[i] = (k, value)
                return Params(items)
        items.append((name, value))
        return Params(items)

    def without_param(self, name: str) -> Params:
        """A copy without any parameter called ``name``."""
        key = name.lower()
        return Params((k, v) for k, v in self._items if k.lower() != key)


EMPTY_PARAMS = Params()


def check_param(name: str, value: str | None) -> None:
    """Refuse a parameter that would break the header it is written into."""
    if not is_token(name):
        raise ValueError(f"bad parameter name {snip(name)}")
    if value is not None and value and not (
        value[0] == '"' and _quoted_ok(value)
    ) and re.search(r'[\s;,"<>]', value):
        raise ValueError(f"bad value for parameter {name}: {snip(value)}")


def _quoted_ok(value: str) -> bool:
    try:
        return quoted_end(value, 0) == len(value) and "\r" not in value and "\n" not in value
    except SipParseError:
        return False


def parse_header_params(text: str, what: str) -> Params:
    """Parse ``;a=b ; c;d="x y"`` (a header's generic-param list) into :class:`Params`.

    ``text`` must be empty, blank or start (after blanks) with ``;``. ``what`` names the
    header in error messages.
    """
    if not text:
        return EMPTY_PARAMS
    items: list[tuple[str, str | None]] = []
    pos = 0
    n = len(text)
    match = _HEADER_PARAM_RE.match
    while pos < n:
        m = match(text, pos)
        if m is None:
            tail = _TRAILING_WS_RE.match(text, pos)
            if tail is not None and tail.end() == n:
                break
            raise SipParseError(f"bad {what} header: bad parameters near {snip(text[pos:])}")
        name = m.group(1)
        if TOKEN_RE.fullmatch(name) is None:
            raise SipParseError(f"bad {what} header: bad parameter name {snip(name)}")
        items.append((name, m.group(2)))
        pos = m.end()
    return Params(items)
