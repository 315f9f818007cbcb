"""One RPC call from command-line words: aliases, argument rules, output, exit code.

Shared by ``kamcmd`` (one-shot, batch and interactive) and ``kamctl rpc``. Nothing here
imports click, rich or httpx.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TextIO

from kamctl import exitcodes
from kamctl.args import ArgumentError, check_utf8, convert_all
from rpc.errors import RemoteError, RpcError

if TYPE_CHECKING:
    from rpc.client import Client

#: kamcmd's aliases: name -> (method, default -f format or None).
ALIASES: dict[str, tuple[str, str | None]] = {
    "ps": ("core.ps", "%v\t%v\n"),
    "psx": ("core.psx", None),
    "ls": ("system.listMethods", None),
    "list": ("system.listMethods", None),
    "ver": ("core.version", None),
    "version": ("core.version", None),
}
#: Words that are not RPC methods.
BUILTINS = ("help",)
#: Builtins of the interactive and batch modes only.
SESSION_BUILTINS = ("quit", "exit")


class Plan:
    """What a line of words asks for: a method, its params and a default format."""

    __slots__ = ("method", "params", "fmt", "help_list")

    def __init__(
        self, method: str, params: list[Any], fmt: str | None = None, help_list: bool = False
    ) -> None:
        self.method = method
        self.params = params
        self.fmt = fmt
        self.help_list = help_list  #: bare ``help``: list methods, aliases and builtins


def plan(words: list[str]) -> Plan:
    """Resolve aliases and ``help``, and convert the arguments (ArgumentError on a bad one)."""
    name, rest = words[0], words[1:]
    check_utf8(name, "method name")
    if name == "help":
        if not rest:
            return Plan("system.listMethods", [], help_list=True)
        check_utf8(rest[0], "argument 1")
        topic = ALIASES[rest[0]][0] if rest[0] in ALIASES else rest[0]
        return Plan("system.methodHelp", [topic])
    if name in ALIASES:
        method, fmt = ALIASES[name]
        return Plan(method, convert_all(rest), fmt)
    return Plan(name, convert_all(rest))


def help_text(methods: Any) -> str:
    """Bare ``help``: the server's methods, then our aliases and builtins."""
    names = [str(m) for m in methods] if isinstance(methods, list) else []
    aliases = ", ".join(f"{a} ({m})" for a, (m, _f) in ALIASES.items())
    lines = names + [
        f"aliases: {aliases}",
        "builtins: help [METHOD] (system.methodHelp), quit, exit",
    ]
    return "".join(line + "\n" for line in lines)


def perform(
    client: Client,
    words: list[str],
    *,
    style: str = "text",
    fmt: str | None = None,
    prog: str = "kamcmd",
    source: str = "",
    out: TextIO | None = None,
    errors: list[RpcError] | None = None,
) -> int:
    """Run the call ``words`` asks for, print its result, return the exit code.

    A remote fault prints ``error: CODE - MESSAGE`` on stderr (exit 1); a bad argument
    exit 2; an unreachable server exit 3 with one line naming the address and ``source``.
    An RPC error is also appended to ``errors`` when given.
    """
    from kamctl.output import render

    out = sys.stdout if out is None else out
    try:
        step = plan(words)
    except ArgumentError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    try:
        result = client.call(step.method, *step.params)
    except RpcError as exc:
        if errors is not None:
            errors.append(exc)
        return report(exc, prog, source)
    if step.help_list:
        text = help_text(result)
    else:
        text = render(result, style, fmt if fmt is not None else step.fmt)
    out.write(text)
    out.flush()
    return exitcodes.OK


def report(exc: RpcError, prog: str, source: str = "") -> int:
    """Print ``exc`` as one line on stderr and return its exit code."""
    if isinstance(exc, RemoteError) or not source:
        return exitcodes.report(exc, prog)
    return exitcodes.report(exc, prog, tried=source)
