"""Reading Kamailio's ``kamctlrc`` without running a shell.

A kamctlrc is a shell script that Kamailio's kamctl sources. kamctl reads the part that
matters, variable assignments, with the shell's quoting rules:

* ``NAME=value``, ``NAME="value"``, ``NAME='value'``, ``export NAME=value``, several
  assignments on one line, ``;`` between statements, comments, backslash escapes and
  line continuations, quotes spanning lines;
* ``$NAME`` and ``${NAME}`` (earlier assignments, then the environment) and a leading
  ``~`` in a value.

Anything else is not run: a command, a command substitution (``$(...)``, backticks), a
``${NAME:-default}`` form, a pipeline or redirection, an ``if``/``case``/``for`` block.
Each such line is skipped with a notice naming its line. An unterminated quote or
substitution is a syntax error (:class:`KamctlrcSyntaxError`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_SPECIAL_PARAMS = set("0123456789$?#@*!-")
_WORD_END = set(" \t\r\n;&|<>()")
_OPERATORS = ("&&", "||", ";;", ">>", "<<", ";", "&", "|", "<", ">", "(", ")")
#: Words that open and close shell blocks; an assignment inside a block depends on the
#: shell running the block, so it is skipped.
_OPENERS = {"if", "case", "for", "while", "until", "select", "{"}
_CLOSERS = {"fi", "esac", "done", "}"}
_PREFIX_WORDS = {"then", "do", "else", "elif", "!"}

Lookup = Callable[[str], str | None]


def is_name(text: str) -> bool:
    """A shell variable name: ASCII letters, digits and _, not starting with a digit."""
    return bool(text) and not text[0].isdigit() and all(c in _NAME_CHARS for c in text)


def _name_end(text: str, start: int) -> int:
    """Where the variable name starting at ``start`` ends (``start`` when there is none)."""
    end = start
    while end < len(text) and text[end] in _NAME_CHARS:
        end += 1
    if end > start and text[start].isdigit():
        return start
    return end


class KamctlrcSyntaxError(Exception):
    """The text is not valid shell (e.g. an unterminated quote)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


class Assignment(NamedTuple):
    name: str
    value: str
    line: int


class Notice(NamedTuple):
    """A line kamctl skipped, and why."""

    line: int
    message: str


class _Word:
    __slots__ = ("line", "pieces", "assign")

    def __init__(self, line: int) -> None:
        self.line = line
        #: ("lit", text) | ("var", name) | ("home", "") | ("bad", what)
        self.pieces: list[tuple[str, str]] = []
        self.assign: str | None = None  #: NAME when the word is NAME=...

    def literal(self) -> str | None:
        """The word's text when it is plain text (no expansion, not an assignment)."""
        if self.assign is not None or any(kind != "lit" for kind, _ in self.pieces):
            return None
        return "".join(text for _, text in self.pieces)


class _Op(NamedTuple):
    text: str
    line: int


class _Lexer:
    """Splits shell text into words and operators, keeping line numbers."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def tokens(self) -> Iterator[_Word | _Op]:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t\r":
                self.pos += 1
            elif text.startswith("\\\n", self.pos):
                self.pos += 2
                self.line += 1
            elif char == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            elif char == "\n":
                yield _Op("\n", self.line)
                self.pos += 1
                self.line += 1
            elif char in ";&|<>()":
                op = next(o for o in _OPERATORS if text.startswith(o, self.pos))
                yield _Op(op, self.line)
                self.pos += len(op)
            else:
                yield self._word()

    def _word(self) -> _Word:
        text = self.text
        word = _Word(self.line)
        buf: list[str] = []
        plain = True  # only unquoted characters so far (a NAME= prefix is possible)

        def flush() -> None:
            if buf:
                word.pieces.append(("lit", "".join(buf)))
                buf.clear()

        while self.pos < len(text):
            char = text[self.pos]
            if char in _WORD_END:
                break
            if char == "\\":
                nxt = text[self.pos + 1 : self.pos + 2]
                if nxt == "\n":
                    self.line += 1
                else:
                    buf.append(nxt or "\\")
                    plain = False
                self.pos += 2
            elif char == "'":
                end = text.find("'", self.pos + 1)
                if end < 0:
                    raise KamctlrcSyntaxError(self.line, "unterminated single quote")
                quoted = text[self.pos + 1 : end]
                buf.append(quoted)
                self.line += quoted.count("\n")
                self.pos = end + 1
                plain = False
            elif char == '"':
                self._double_quoted(buf, flush, word)
                plain = False
            elif char in "$`":
                flush()
                word.pieces.append(self._dollar() if char == "$" else self._backtick())
                plain = False
            elif (
                char == "="
                and word.assign is None
                and plain
                and not word.pieces
                and is_name("".join(buf))
            ):
                word.assign = "".join(buf)
                buf.clear()
                self.pos += 1
                if text.startswith("~", self.pos) and text[self.pos + 1 : self.pos + 2] in (
                    "",
                    "/",
                    *_WORD_END,
                ):
                    word.pieces.append(("home", ""))
                    self.pos += 1
            else:
                buf.append(char)
                self.pos += 1
        flush()
        return word

    def _double_quoted(self, buf: list[str], flush: Callable[[], None], word: _Word) -> None:
        text = self.text
        start = self.line
        self.pos += 1
        while self.pos < len(text):
            char = text[self.pos]
            if char == '"':
                self.pos += 1
                return
            if char == "\\":
                nxt = text[self.pos + 1 : self.pos + 2]
                if nxt == "\n":
                    self.line += 1
                    self.pos += 2
                elif nxt in ("$", "`", '"', "\\"):
                    buf.append(nxt)
                    self.pos += 2
                else:
                    buf.append("\\")
                    self.pos += 1
            elif char in "$`":
                flush()
                word.pieces.append(self._dollar() if char == "$" else self._backtick())
            else:
                if char == "\n":
                    self.line += 1
                buf.append(char)
                self.pos += 1
        raise KamctlrcSyntaxError(start, "unterminated double quote")

    def _dollar(self) -> tuple[str, str]:
        text = self.text
        nxt = text[self.pos + 1 : self.pos + 2]
        if nxt == "(":
            arithmetic = text.startswith("((", self.pos + 1)
            self._skip_parens(self.pos + 1)
            return ("bad", "arithmetic $((...))" if arithmetic else "command substitution $(...)")
        if nxt == "{":
            end = text.find("}", self.pos + 2)
            if end < 0:
                raise KamctlrcSyntaxError(self.line, "unterminated ${")
            inner = text[self.pos + 2 : end]
            self.line += inner.count("\n")
            self.pos = end + 1
            if is_name(inner):
                return ("var", inner)
            return ("bad", f"parameter expansion ${{{inner}}}")
        end = _name_end(text, self.pos + 1)
        if end > self.pos + 1:
            name = text[self.pos + 1 : end]
            self.pos = end
            return ("var", name)
        if nxt and nxt in _SPECIAL_PARAMS:
            self.pos += 2
            return ("bad", f"special parameter ${nxt}")
        self.pos += 1
        return ("lit", "$")

    def _skip_parens(self, start: int) -> None:
        """Move past the balanced (...) that starts at ``start``."""
        text = self.text
        first_line = self.line
        depth = 0
        i = start
        while i < len(text):
            char = text[i]
            if char == "\\":
                i += 1
            elif char in "'\"":
                end = text.find(char, i + 1)
                if end < 0:
                    break
                self.line += text.count("\n", i, end)
                i = end
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    self.pos = i + 1
                    return
            elif char == "\n":
                self.line += 1
            i += 1
        raise KamctlrcSyntaxError(first_line, "unterminated $(")

    def _backtick(self) -> tuple[str, str]:
        text = self.text
        i = self.pos + 1
        while i < len(text):
            if text[i] == "\\":
                i += 2
                continue
            if text[i] == "`":
                self.line += text.count("\n", self.pos, i)
                self.pos = i + 1
                return ("bad", "command substitution `...`")
            i += 1
        raise KamctlrcSyntaxError(self.line, "unterminated backquote")


def _statements(text: str) -> Iterator[tuple[int, list[_Word], list[str]]]:
    """(line, words, operators) per statement; statements end at newline, ``;`` or ``;;``."""
    words: list[_Word] = []
    ops: list[str] = []
    line = 0
    for token in _Lexer(text).tokens():
        if isinstance(token, _Op) and token.text in ("\n", ";", ";;"):
            if words or ops:
                yield line, words, ops
            words, ops, line = [], [], 0
            continue
        line = line or token.line
        if isinstance(token, _Op):
            ops.append(token.text)
        else:
            words.append(token)
    if words or ops:
        yield line, words, ops


def _depth_change(words: list[_Word], ops: list[str]) -> int:
    """How a statement changes the block nesting depth (``if`` +1, ``fi`` -1, ...)."""
    literals = [w.literal() for w in words]
    while literals and literals[0] in _PREFIX_WORDS:
        literals.pop(0)
    if not literals:
        return 0
    first = literals[0]
    change = 0
    if first in _OPENERS:
        change += 1
    elif first in _CLOSERS:
        change -= 1
    elif (first == "function" or "(" in ops) and "{" in literals[1:]:
        change += 1  # a function definition: name() { ...
    return change


def _block_name(words: list[_Word], ops: list[str]) -> str:
    """How a notice names the block a statement opens: "shell 'if' block", "function f"."""
    literals = [w.literal() for w in words if w.literal() not in _PREFIX_WORDS]
    first = literals[0] if literals else None
    if first in _OPENERS:
        return f"shell {first!r} block"
    if first == "function" and len(literals) > 1:
        return f"shell function {literals[1]!r}"
    return f"shell function {first!r}" if first else "shell block"


class _Reader:
    def __init__(self, lookup: Lookup, home: str | None) -> None:
        self.lookup = lookup
        self.home = home
        self.scope: dict[str, str] = {}
        self.assignments: list[Assignment] = []
        self.notices: list[Notice] = []

    def expand(self, word: _Word) -> tuple[str | None, str]:
        """(value, "") or (None, what is unsupported)."""
        parts: list[str] = []
        for kind, text in word.pieces:
            if kind == "bad":
                return None, text
            if kind == "var":
                value = self.scope.get(text)
                parts.append(value if value is not None else (self.lookup(text) or ""))
            elif kind == "home":
                parts.append(self.home or "~")
            else:
                parts.append(text)
        return "".join(parts), ""

    def assign(self, word: _Word, line: int) -> None:
        assert word.assign is not None
        value, bad = self.expand(word)
        if value is None:
            self.notices.append(
                Notice(line, f"{word.assign}: {bad} is not supported; assignment ignored")
            )
            return
        self.scope[word.assign] = value
        self.assignments.append(Assignment(word.assign, value, line))

    def statement(self, line: int, words: list[_Word], ops: list[str]) -> None:
        first = words[0].literal() if words else None
        if ops:
            what = "a subshell" if "(" in ops else f"shell operator {ops[0]!r}"
            self.notices.append(Notice(line, f"{what} is not supported; line ignored"))
        elif all(w.assign is not None for w in words):
            for word in words:
                self.assign(word, line)
        elif first == "export":
            for word in words[1:]:
                if word.assign is not None:
                    self.assign(word, line)
                elif word.literal() is None or not is_name(word.literal() or ""):
                    self.notices.append(Notice(line, "unsupported export form; word ignored"))
        elif first in (".", "source"):
            self.notices.append(
                Notice(line, f"'{first}' (including another file) is not followed; line ignored")
            )
        else:
            command = next((w for w in words if w.assign is None), words[0])
            name = repr(command.literal()) if command.literal() is not None else "a command"
            self.notices.append(
                Notice(line, f"{name} is a shell command; kamctl runs no commands (line ignored)")
            )


def parse(
    text: str, lookup: Lookup | None = None, home: str | None = None
) -> tuple[list[Assignment], list[Notice]]:
    """The assignments in ``text`` (in order) and the notices about skipped lines.

    ``lookup`` resolves ``$NAME`` for names not assigned earlier in ``text`` (kamctl
    passes earlier files' variables and the environment); unknown names expand to "".
    """
    reader = _Reader(lookup or (lambda _name: None), home)
    depth = 0
    block_start = 0
    block = ""
    for line, words, ops in _statements(text):
        change = _depth_change(words, ops)
        if depth == 0 and change > 0:
            depth, block_start, block = change, line, _block_name(words, ops)
            continue
        if depth > 0:
            depth += change
            if depth <= 0:
                depth = 0
                lines = f"line {line}" if line == block_start else f"lines {block_start}-{line}"
                reader.notices.append(
                    Notice(
                        block_start,
                        f"{block} ({lines}) is not evaluated; assignments in it are ignored",
                    )
                )
            continue
        if change < 0:
            reader.notices.append(Notice(line, "unexpected end of a shell block; line ignored"))
            continue
        reader.statement(line, words, ops)
    if depth > 0:
        reader.notices.append(
            Notice(
                block_start,
                f"{block} is never closed; the rest of the file is ignored",
            )
        )
    return reader.assignments, reader.notices
