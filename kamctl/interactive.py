"""kamcmd without METHOD: a prompt on a terminal, or one call per line of stdin.

Both keep one client (one transport) for the whole session, so many calls cost one
start-up. Lines are split into words like a POSIX shell (quotes group words, a
backslash escapes), which lets an argument hold spaces; kamcmd splits on blanks only.

Batch mode answers each line in order; blank lines and ``#`` comments are skipped;
``quit``/``exit`` stop. A line that fails does not stop the batch, except when the
server cannot be reached at all (nothing after it could work). The exit code is the
worst one met: 3 unreachable, then 2 usage, then 1 remote fault, else 0.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from kamctl import completion, exitcodes
from kamctl.rpccall import SESSION_BUILTINS, perform
from rpc.errors import ConnectError, RpcError, RpcPermissionError

if TYPE_CHECKING:
    from rpc.client import Client

PROMPT = "kamcmd> "
HISTORY_LENGTH = 1000
#: Exit codes from least to most severe, for the batch summary.
_SEVERITY = (exitcodes.OK, exitcodes.REMOTE_FAULT, exitcodes.USAGE, exitcodes.UNREACHABLE)


class Session:
    """A client plus the output settings every line uses."""

    def __init__(self, client: Client, style: str, fmt: str | None, source: str) -> None:
        self.client = client
        self.style = style
        self.fmt = fmt
        self.source = source

    def split(self, line: str) -> list[str] | None:
        """The words of ``line``; None (after a message) when quoting is unbalanced."""
        try:
            return shlex.split(line, comments=False, posix=True)
        except ValueError as exc:
            print(f"kamcmd: cannot split the line: {exc}", file=sys.stderr)
            return None

    def call(self, words: list[str], errors: list[RpcError] | None = None) -> int:
        return perform(
            self.client,
            words,
            style=self.style,
            fmt=self.fmt,
            source=self.source,
            errors=errors,
        )


def _worse(a: int, b: int) -> int:
    rank = {code: i for i, code in enumerate(_SEVERITY)}
    return a if rank.get(a, 0) >= rank.get(b, 0) else b


def batch(session: Session, lines: Iterable[str]) -> int:
    """One call per line, answered in order; returns the worst exit code."""
    status = exitcodes.OK
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = session.split(line)
        if words is None:
            status = _worse(status, exitcodes.USAGE)
            continue
        if not words:
            continue
        if words[0] in SESSION_BUILTINS:
            break
        failures: list[RpcError] = []
        code = session.call(words, failures)
        status = _worse(status, code)
        if any(isinstance(f, (ConnectError, RpcPermissionError)) for f in failures):
            break  # nothing answers: the next lines would fail the same way
    return status


# -- the prompt -------------------------------------------------------------------------


def state_dir(env: dict[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/kamctl``, else ``~/.local/state/kamctl``."""
    env = dict(os.environ) if env is None else env
    base = env.get("XDG_STATE_HOME", "")
    if not base or not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "kamctl"


def history_path() -> Path:
    return state_dir() / "kamcmd_history"


class Completer:
    """readline completer: methods first, then ``help`` topics and cfg names.

    The server's lists are fetched on the first Tab; a missing ``cfg.list`` (or no
    server) just means fewer candidates.
    """

    def __init__(self, client: Client) -> None:
        self.client = client
        self._methods: list[str] | None = None
        self._cfg: dict[str, list[str]] | None = None
        self._matches: list[str] = []

    def _fetch(self, method: str) -> Any:
        try:
            return self.client.call(method, timeout=completion.FETCH_TIMEOUT * 2)
        except RpcError:
            return None

    def methods(self) -> list[str]:
        if self._methods is None:
            self._methods = completion.method_names(self._fetch("system.listMethods"))
        return self._methods

    def cfg(self) -> dict[str, list[str]]:
        if self._cfg is None:
            self._cfg = completion.cfg_names(self._fetch("cfg.list"))
        return self._cfg

    def candidates(self, line: str, begidx: int) -> list[str]:
        """Words that may stand at ``begidx`` of ``line``."""
        before = line[:begidx].split()
        words = completion.first_words(self.methods())
        if not before:
            return [*words, *SESSION_BUILTINS]
        method, previous = before[0], before[1:]
        cfg = self.cfg() if method.startswith("cfg.") else None
        methods = self.methods() if method == "help" else []
        return completion.argument_words(method, previous, methods, cfg)

    def complete(self, text: str, state: int) -> str | None:
        """The readline protocol: the ``state``-th match for ``text``."""
        if state == 0:
            import readline

            try:
                found = self.candidates(readline.get_line_buffer(), readline.get_begidx())
            except Exception:  # a completer must never raise into readline
                found = []
            self._matches = [w + " " for w in found if w.startswith(text)]
        return self._matches[state] if state < len(self._matches) else None


def _setup_readline(completer: Completer) -> Path | None:
    """Line editing, Tab completion and the history file (None if it cannot be used)."""
    import readline

    readline.set_completer(completer.complete)
    readline.set_completer_delims(" \t")
    if "libedit" in (readline.__doc__ or ""):
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")
    readline.set_history_length(HISTORY_LENGTH)
    path = history_path()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if path.exists():
            readline.read_history_file(str(path))
        else:
            path.touch(mode=0o600)
    except OSError as exc:
        print(f"kamcmd: history disabled: {exc}", file=sys.stderr)
        return None
    return path


def _save(path: Path | None) -> None:
    if path is None:
        return
    import readline

    with contextlib.suppress(OSError):
        readline.write_history_file(str(path))


def _remember(path: Path | None) -> None:
    """Append the last line now, so a killed session keeps its history."""
    if path is None:
        return
    import readline

    with contextlib.suppress(OSError):
        readline.append_history_file(1, str(path))


def _forget_last() -> None:
    import readline

    length = readline.get_current_history_length()
    if length:
        readline.remove_history_item(length - 1)


def interactive(session: Session, out: TextIO | None = None) -> int:
    """The prompt: read, call, print, until ``quit``, ``exit`` or end of input."""
    out = sys.stdout if out is None else out
    completer = Completer(session.client)
    path = _setup_readline(completer)
    out.write(
        f"kamcmd: talking to {session.client.address} ({session.source}). "
        "Tab completes; 'help' lists methods; 'quit' leaves.\n"
    )
    out.flush()
    try:
        while True:
            try:
                line = input(PROMPT)
            except EOFError:
                out.write("\n")
                break
            except KeyboardInterrupt:
                out.write("\n")
                continue
            words = session.split(line)
            if not words:
                continue
            if words[0] in SESSION_BUILTINS:
                _forget_last()  # Up + Enter next time should not just leave again
                break
            _remember(path)
            try:
                session.call(words)
            except KeyboardInterrupt:
                print("interrupted", file=sys.stderr)
    finally:
        _save(path)
    return exitcodes.OK
