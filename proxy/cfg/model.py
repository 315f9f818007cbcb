"""What a runtime parameter is, and how a value for it is checked.

A :class:`Group` (``core``, ``tcp``, ``tm``, ...) holds :class:`Var` declarations. Each
var has a type (int or string), a default, an optional range or set of choices, a
read-only flag and a help text. :meth:`Var.convert` turns an input value (from the
config file or an RPC call) into the stored value or raises :class:`CfgError` with a
reason that names the variable and says what was expected.

Declare a group next to the code that uses it::

    GROUP = Group("tm", "Transaction timers and behaviour.", (
        Int("fr_timer", 30000, "Final-response timeout.", min=1, unit="ms"),
        Str("default_reason", "OK", "Reason phrase of locally generated 200 replies."),
    ))
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

Value = int | str
Kind = Literal["int", "str"]

#: The type words Kamailio's cfg.help uses: "(parameter type is integer)".
TYPE_WORDS: dict[Kind, str] = {"int": "integer", "str": "string"}

_INT_TEXT = re.compile(r"^\s*[+-]?\d+\s*$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CfgError(Exception):
    """A parameter name or value that cannot be used; ``str()`` says which and why."""

    def __init__(self, message: str, *, group: str = "", var: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.group = group
        self.var = var

    def __str__(self) -> str:
        return self.message


class UnknownGroup(CfgError):
    pass


class UnknownVar(CfgError):
    pass


class ReadOnly(CfgError):
    pass


class BadValue(CfgError):
    pass


def describe(value: object) -> str:
    """A value as an error message shows it: its JSON type and, if short, itself."""
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {shown!r}"
    if value is None:
        return "null"
    return "array" if isinstance(value, (list, tuple)) else "object"


def parse_int(value: object) -> int | None:
    """``value`` as an integer if it is one (an int, an integral float, decimal text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_TEXT.match(value):
        return int(value)
    return None


@dataclass(frozen=True)
class Var:
    """One runtime parameter."""

    name: str
    kind: Kind
    default: Value
    help: str
    min: int | None = None
    max: int | None = None
    read_only: bool = False
    #: string vars: the allowed values (after ``normalize``)
    choices: tuple[str, ...] = ()
    #: string vars: canonical form of an input (e.g. "local0" -> "LOG_LOCAL0")
    normalize: Callable[[str], str] | None = field(default=None, compare=False)
    #: for docs and help: "s", "ms", "bytes", ...
    unit: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"bad runtime parameter name {self.name!r}")
        if self.kind == "int" and (self.choices or self.normalize):
            raise ValueError(f"{self.name}: choices/normalize are for string vars")
        if self.kind == "str" and (self.min is not None or self.max is not None):
            raise ValueError(f"{self.name}: min/max are for integer vars")
        self.convert(self.default, "declaration")  # a bad default is a bug

    @property
    def type_word(self) -> str:
        return TYPE_WORDS[self.kind]

    @property
    def is_flag(self) -> bool:
        return self.kind == "int" and self.min == 0 and self.max == 1

    def range_text(self) -> str:
        """``-5..3``, ``>= 1``, ``<= 10``, ``one of A, B`` or ``""``."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.min is not None and self.max is not None:
            return f"{self.min}..{self.max}"
        if self.min is not None:
            return f">= {self.min}"
        if self.max is not None:
            return f"<= {self.max}"
        return ""

    def convert(self, value: object, qualified: str) -> Value:
        """The stored form of ``value``, or BadValue naming ``qualified`` (group.var)."""
        if self.kind == "int":
            return self._to_int(value, qualified)
        return self._to_str(value, qualified)

    def _to_int(self, value: object, qualified: str) -> int:
        number = parse_int(value)
        if number is None and isinstance(value, bool) and self.is_flag:
            number = int(value)  # true/false for a 0..1 switch
        if number is None:
            raise BadValue(f"{qualified} must be an integer, got {describe(value)}")
        low, high = self.min, self.max
        if (low is not None and number < low) or (high is not None and number > high):
            raise BadValue(f"{qualified} must be {self._range_phrase()}, got {number}")
        return number

    def _range_phrase(self) -> str:
        if self.min is not None and self.max is not None:
            return f"between {self.min} and {self.max}"
        return f"at least {self.min}" if self.min is not None else f"at most {self.max}"

    def _to_str(self, value: object, qualified: str) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # as Kamailio: an integer input for a string var
        if not isinstance(value, str):
            raise BadValue(f"{qualified} must be a string, got {describe(value)}")
        text = self.normalize(value) if self.normalize else value
        if self.choices and text not in self.choices:
            raise BadValue(f"{qualified} must be one of {', '.join(self.choices)}, got {value!r}")
        return text


def Int(  # noqa: N802 - a declaration helper that reads like a type
    name: str,
    default: int,
    help: str,
    *,
    min: int | None = None,
    max: int | None = None,
    read_only: bool = False,
    unit: str = "",
) -> Var:
    """An integer parameter."""
    return Var(name, "int", default, help, min=min, max=max, read_only=read_only, unit=unit)


def Flag(name: str, default: int, help: str, *, read_only: bool = False) -> Var:  # noqa: N802
    """A 0/1 switch (an integer parameter with range 0..1)."""
    return Var(name, "int", default, help, min=0, max=1, read_only=read_only)


def Str(  # noqa: N802
    name: str,
    default: str,
    help: str,
    *,
    choices: tuple[str, ...] = (),
    normalize: Callable[[str], str] | None = None,
    read_only: bool = False,
) -> Var:
    """A string parameter, optionally limited to ``choices``."""
    return Var(
        name, "str", default, help, choices=choices, normalize=normalize, read_only=read_only
    )


@dataclass(frozen=True)
class Group:
    """A named set of parameters, declared by the code that reads them."""

    name: str
    help: str
    vars: tuple[Var, ...]

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"bad runtime parameter group name {self.name!r}")
        names = [v.name for v in self.vars]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"group {self.name}: duplicate vars {sorted(duplicates)}")

    def __iter__(self) -> Iterator[Var]:
        return iter(self.vars)

    def var(self, name: str) -> Var:
        """The var called ``name``, or UnknownVar with a suggestion."""
        for var in self.vars:
            if var.name == name:
                return var
        close = difflib.get_close_matches(name, [v.name for v in self.vars], n=1)
        hint = f"did you mean {self.name}.{close[0]}?" if close else f"see cfg.list {self.name}"
        raise UnknownVar(f"unknown variable {self.name}.{name} ({hint})", group=self.name, var=name)
