"""``kamcmd``: call one RPC method from the shell, or many from stdin or a prompt.

Start-up time matters (operators call kamcmd in loops), so the plain form
``kamcmd [-s ADDRESS] [-F STYLE] [-f FORMAT] [--timeout S] [...] METHOD ARG...``
is parsed here by hand and runs without importing click. Anything else (``--help``,
``--version``, shell completion, an unknown option, a bad option value) goes to the
click command in :mod:`kamctl.kamcmd_cli`, which defines the same options, writes the
help and the usage errors, and then runs the same :func:`run`.

Options are taken only before METHOD: every word after it is an argument, so
``kamcmd core.echo -5`` sends -5 (kamcmd 1.5 reads it as an option).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from kamctl.output import STYLES

if TYPE_CHECKING:
    from kamctl.config import Config

PROG = "kamcmd"
#: The environment variable click's shell completion sets.
COMPLETE_VAR = "_KAMCMD_COMPLETE"
#: Option spellings the fast path knows, each taking a value -> Options attribute.
VALUE_OPTIONS = {
    "-s": "server",
    "--server": "server",
    "-F": "output",
    "--output": "output",
    "-f": "fmt",
    "--format": "fmt",
    "--timeout": "timeout",
    "--reply-dir": "reply_dir",
    "--ca": "ca",
}
#: Option spellings that take no value -> Options attribute (set to True).
FLAG_OPTIONS = {"--insecure": "insecure"}


class Options:
    """The parsed command line."""

    __slots__ = (
        "server",
        "output",
        "fmt",
        "timeout",
        "reply_dir",
        "ca",
        "insecure",
        "method",
        "args",
    )

    def __init__(
        self,
        server: str | None = None,
        output: str = "text",
        fmt: str | None = None,
        timeout: float | None = None,
        reply_dir: str | None = None,
        ca: str | None = None,
        insecure: bool = False,
        method: str | None = None,
        args: list[str] | None = None,
    ) -> None:
        self.server = server
        self.output = output
        self.fmt = fmt
        self.timeout = timeout
        self.reply_dir = reply_dir
        self.ca = ca
        self.insecure = insecure
        self.method = method
        self.args = list(args or [])

    def as_tuple(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)


class NeedClick(Exception):
    """The command line needs the full parser (help, version, an error to explain)."""


def valid_timeout(seconds: float) -> bool:
    """A finite number of seconds above zero (NaN fails both tests)."""
    return 0 < seconds < float("inf")


def parse_fast(argv: list[str]) -> Options:
    """Parse the common forms; raise NeedClick for anything else."""
    values: dict[str, str] = {}
    flags: set[str] = set()
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            i += 1
            break
        if not word.startswith("-") or word == "-":
            break
        if word in FLAG_OPTIONS:
            flags.add(FLAG_OPTIONS[word])
            i += 1
            continue
        if word.startswith("--"):
            name, eq, value = word.partition("=")
            given: str | None = value if eq else None
        else:
            name, given = word[:2], (word[2:] or None)
        if name not in VALUE_OPTIONS:
            raise NeedClick(word)
        if given is None:
            i += 1
            if i >= len(argv):
                raise NeedClick(word)
            given = argv[i]
        values[VALUE_OPTIONS[name]] = given
        i += 1
    opts = Options(
        server=values.get("server"),
        output=values.get("output", "text"),
        fmt=values.get("fmt"),
        reply_dir=values.get("reply_dir"),
        ca=values.get("ca"),
        insecure="insecure" in flags,
    )
    if opts.output not in STYLES:
        raise NeedClick(opts.output)
    if "timeout" in values:
        try:
            opts.timeout = float(values["timeout"])
        except ValueError:
            raise NeedClick(values["timeout"]) from None
        if not valid_timeout(opts.timeout):
            raise NeedClick(values["timeout"])
    rest = argv[i:]
    if rest:
        opts.method, opts.args = rest[0], rest[1:]
    return opts


_CONFIG: list[Config] = []


def _config() -> Config:
    """kamctl's configuration, read once (its warnings printed once)."""
    if not _CONFIG:
        from kamctl.config import load, print_warnings

        _CONFIG.append(load())
        print_warnings(_CONFIG[0], PROG)
    return _CONFIG[0]


def configured_address() -> tuple[str, str] | None:
    """The hook to kamctl's configuration: (address, where it was set) or None.

    Consulted only after ``-s`` and ``KAMCTL_RPC``; reads kamctlrc / kamctl.toml (a
    file that cannot be used raises ConfigError, an AddressError: exit status 2).
    """
    return _config().rpc_address()


def configured_reply_dir() -> str:
    """The FIFO reply directory kamctl's configuration names (default ``/tmp/``)."""
    return _config().reply_dir


def run(opts: Options) -> int:
    """Resolve the address, connect, and run one call, a batch or the prompt."""
    from kamctl import exitcodes, target
    from kamctl.rpccall import perform
    from rpc.client import ClientOptions, connect
    from rpc.errors import RpcError

    if opts.ca is not None and opts.insecure:
        print(f"{PROG}: --ca and --insecure exclude each other", file=sys.stderr)
        return exitcodes.USAGE
    overrides: dict[str, object] = {}
    if opts.timeout is not None:
        overrides["timeout"] = opts.timeout
    if opts.reply_dir is not None:
        overrides["reply_dir"] = opts.reply_dir
    if opts.ca is not None or opts.insecure:
        overrides["verify"] = False if opts.insecure else opts.ca
    try:
        # the configuration is read only when -s and KAMCTL_RPC leave the choice open,
        # or for a FIFO's reply directory when --reply-dir does not name it
        given = opts.server or os.environ.get(target.ENV_RPC)
        chosen = target.resolve(opts.server, configured=None if given else configured_address())
        if chosen.address.scheme == "fifo" and opts.reply_dir is None:
            overrides["reply_dir"] = configured_reply_dir()
        client = connect(chosen.address, ClientOptions(), **overrides)
    except RpcError as exc:
        return exitcodes.report(exc, PROG)
    with client:
        if opts.method is not None:
            words = [opts.method, *opts.args]
            return perform(client, words, style=opts.output, fmt=opts.fmt, source=chosen.source)
        from kamctl import interactive

        session = interactive.Session(client, opts.output, opts.fmt, chosen.source)
        if sys.stdin.isatty():
            return interactive.interactive(session)
        return interactive.batch(session, sys.stdin)


def _main(argv: list[str]) -> int:
    if COMPLETE_VAR in os.environ:
        from kamctl.kamcmd_cli import run_click

        return run_click(argv)
    try:
        opts = parse_fast(argv)
    except NeedClick:
        from kamctl.kamcmd_cli import run_click

        return run_click(argv)
    return run(opts)


def _tolerant_streams() -> None:
    """Print what cannot be encoded as escapes; read undecodable input as surrogates
    (a batch line with them is then refused like such an argv word)."""
    for stream, errors in (
        (sys.stdout, "backslashreplace"),
        (sys.stderr, "backslashreplace"),
        (sys.stdin, "surrogateescape"),
    ):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors=errors)


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code."""
    _tolerant_streams()
    try:
        return _main(sys.argv[1:] if argv is None else list(argv))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (kamcmd ls | head): stop quietly, without a flush error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
