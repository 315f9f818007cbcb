"""Loading the routing script, and loading it again without a restart.

A script is a Python file defining ``request_route(msg)`` and optionally
``reply_route(msg)``, ``failure_route(msg)`` and ``branch_route(msg)``. kamproxy runs it
as a module of its own whose global ``api`` is the routing API (Kamailio's ``KSR``).

:meth:`Scripts.reload` reads, compiles and runs the new file into a fresh module
*aside*; only when all of that worked and ``request_route`` is there does the new
:class:`Script` replace the current one, in one assignment. On any error (the file
cannot be read, a syntax error, an exception while it runs, no ``request_route``) the
old script keeps serving and :class:`ScriptError` names the file and line. Requests
take the current script when they arrive; a transaction keeps the script it started
with for its failure, branch and reply hooks, so nothing in progress is dropped or
switched halfway.
"""

from __future__ import annotations

import inspect
import sys
import time
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proxy.log import get_logger

log = get_logger("routing")

#: the script kamproxy runs when none is configured
DEFAULT_SCRIPT = str(Path(__file__).with_name("default_script.py"))
#: the name of the running script's module in sys.modules
MODULE_NAME = "kamproxy_script"
HOOKS = ("reply_route", "failure_route", "branch_route")

Hook = Callable[[Any], Any]


class ScriptError(Exception):
    """A script that cannot be used; ``str()`` is ``FILE:LINE: what``."""

    def __init__(self, message: str, path: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Script:
    """One loaded version of the routing script."""

    path: str
    version: int
    module: types.ModuleType
    request_route: Hook
    reply_route: Hook | None
    failure_route: Hook | None
    branch_route: Hook | None
    loaded_at: float


def compile_script(path: str) -> types.CodeType:
    """Read and compile ``path`` (no code runs); ScriptError when that fails."""
    try:
        source = Path(path).read_bytes()
    except OSError as exc:
        raise ScriptError(f"cannot read the script: {exc.strerror or exc}", path) from None
    try:
        return compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise ScriptError(f"{type(exc).__name__}: {exc.msg}", exc.filename or path,
                          exc.lineno or 0) from None
    except ValueError as exc:  # null bytes
        raise ScriptError(f"cannot compile the script: {exc}", path) from None


def _error_line(exc: BaseException, path: str) -> int:
    """The line of ``path`` where ``exc`` was raised (the deepest frame in that file)."""
    line = 0
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == path:
            line = frame.lineno or 0
    if isinstance(exc, SyntaxError) and exc.filename == path:
        line = exc.lineno or line
    return line


def _check_hook(module: types.ModuleType, name: str, path: str,
                required: bool) -> Hook | None:
    hook = module.__dict__.get(name)
    if hook is None:
        if required:
            raise ScriptError(f"the script defines no {name}(msg) function", path)
        return None
    if not callable(hook):
        raise ScriptError(f"{name} must be a function taking msg, not "
                          f"{type(hook).__name__}", path)
    try:
        inspect.signature(hook).bind(None)
    except TypeError:
        line = getattr(getattr(hook, "__code__", None), "co_firstlineno", 0)
        raise ScriptError(f"{name} must take one argument (msg)", path, line) from None
    except ValueError:  # no signature (a builtin): trust it
        pass
    return hook  # type: ignore[no-any-return]


def load_script(path: str, api: object, version: int) -> Script:
    """Compile and run ``path`` as a fresh module with ``api`` in its globals."""
    path = str(Path(path).resolve())
    code = compile_script(path)
    module = types.ModuleType(MODULE_NAME)
    module.__file__ = path
    module.__dict__["api"] = api
    try:
        exec(code, module.__dict__)  # noqa: S102 - running the operator's script is the point
    except (Exception, SystemExit) as exc:
        raise ScriptError(f"{type(exc).__name__} while loading: {exc}", path,
                          _error_line(exc, path)) from None
    request_route = _check_hook(module, "request_route", path, required=True)
    assert request_route is not None
    hooks = {name: _check_hook(module, name, path, required=False) for name in HOOKS}
    return Script(path, version, module, request_route, hooks["reply_route"],
                  hooks["failure_route"], hooks["branch_route"], time.time())


class Scripts:
    """The current routing script and its reloads."""

    def __init__(self, path: str | None, api: object) -> None:
        self.path = str(Path(path).resolve()) if path else DEFAULT_SCRIPT
        self.api = api
        self._current: Script | None = None
        #: Kamailio's reload version: 0 at start, +1 per app_python.reload
        self.version = 0

    @property
    def current(self) -> Script:
        script = self._current
        if script is None:
            raise RuntimeError("no routing script loaded")
        return script

    def load(self) -> Script:
        """The first load (at start); ScriptError stops kamproxy from starting."""
        script = load_script(self.path, self.api, self.version)
        self._install(script)
        log.info("routing script %s loaded", self.path)
        return script

    def reload(self) -> tuple[int, int]:
        """Load the file again; (old, new) version. ScriptError: the old one stays."""
        try:
            script = load_script(self.path, self.api, self.version + 1)
        except ScriptError as exc:
            log.err("routing script not reloaded, the old one keeps serving: %s", exc)
            raise
        old = self.version
        self.version += 1
        self._install(script)
        log.notice("routing script %s reloaded (version %d)", self.path, self.version)
        return old, self.version

    def _install(self, script: Script) -> None:
        self._current = script
        sys.modules[MODULE_NAME] = script.module
