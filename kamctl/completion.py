"""Names to complete: RPC methods and cfg groups/variables, from the running server.

Used by click's shell completion (``kamcmd``, ``kamctl rpc``) and by kamcmd's prompt.
For the shells, each answer is fetched with a short timeout and kept briefly in a
cache file (one per address and method), so pressing Tab again costs nothing; when no
server answers, the completion is simply empty (failures are remembered for a few
seconds so Tab does not wait again and again). Nothing is ever printed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from rpc.errors import RpcError

#: Seconds a fetched answer stays good for the shells.
CACHE_TTL = 30.0
#: Seconds a failed fetch is remembered (no server: do not wait on every Tab).
FAILURE_TTL = 5.0
#: Reply timeout for a completion fetch.
FETCH_TIMEOUT = 0.5
#: The first words kamcmd accepts besides method names.
EXTRA_WORDS = ("help", "ps", "psx", "ls", "list", "ver", "version")


def cache_dir(env: dict[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/kamctl``, else ``~/.cache/kamctl``."""
    env = dict(os.environ) if env is None else env
    base = env.get("XDG_CACHE_HOME", "")
    if not base or not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kamctl"


def _cache_path(address: str, method: str, params: tuple[Any, ...] = ()) -> Path:
    text = f"{address}\0{method}" + (f"\0{json.dumps(list(params))}" if params else "")
    key = hashlib.sha256(text.encode()).hexdigest()[:20]
    return cache_dir() / f"rpc-{key}.json"


def _read_cache(path: Path) -> tuple[bool, Any] | None:
    """(ok, result) when the cache file is fresh, else None."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        age = time.time() - float(doc["at"])
        ok = bool(doc["ok"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if 0 <= age < (CACHE_TTL if ok else FAILURE_TTL):
        return ok, doc.get("result")
    return None


def _write_cache(path: Path, ok: bool, result: Any) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".rpc-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"at": time.time(), "ok": ok, "result": result}, f)
        os.replace(tmp, path)
    except OSError:
        pass  # a cache we cannot write only makes completion slower


def _configured(server: str | None) -> tuple[str, str] | None:
    """The configured address, read quietly (a completion never prints warnings)."""
    if server or os.environ.get("KAMCTL_RPC"):
        return None
    try:
        from kamctl.config import load

        return load().rpc_address()
    except Exception:  # a broken config file only means no completion
        return None


def fetch(
    server: str | None,
    method: str,
    reply_dir: str | None = None,
    use_cache: bool = True,
    params: tuple[Any, ...] = (),
) -> Any:
    """The result of ``method`` (with ``params``) at ``server``, or None when unavailable."""
    from kamctl import target
    from rpc.client import ClientOptions, connect

    try:
        address = str(target.resolve(server, configured=_configured(server)).address)
    except RpcError:
        return None
    path = _cache_path(address, method, params)
    if use_cache:
        cached = _read_cache(path)
        if cached is not None:
            return cached[1] if cached[0] else None
    options = ClientOptions(timeout=FETCH_TIMEOUT, connect_timeout=FETCH_TIMEOUT)
    if reply_dir:
        options = ClientOptions(
            timeout=FETCH_TIMEOUT, connect_timeout=FETCH_TIMEOUT, reply_dir=reply_dir
        )
    try:
        with connect(address, options) as client:
            result = client.call(method, *params)
    except (RpcError, OSError, ValueError):
        if use_cache:
            _write_cache(path, False, None)
        return None
    if use_cache:
        _write_cache(path, True, result)
    return result


def method_names(result: Any) -> list[str]:
    """Method names from a ``system.listMethods`` result."""
    if not isinstance(result, list):
        return []
    return [m for m in result if isinstance(m, str)]


def cfg_names(result: Any) -> dict[str, list[str]]:
    """group -> variables, from a ``cfg.list`` result (``["core: debug", ...]``)."""
    groups: dict[str, list[str]] = {}
    if not isinstance(result, list):
        return groups
    for entry in result:
        if not isinstance(entry, str) or ":" not in entry:
            continue
        group, _colon, var = entry.partition(":")
        groups.setdefault(group.strip(), []).append(var.strip())
    return groups


def first_words(methods: list[str]) -> list[str]:
    """Everything that may start a kamcmd line."""
    return sorted(set(methods) | set(EXTRA_WORDS))


def argument_words(
    method: str, previous: list[str], methods: list[str], cfg: dict[str, list[str]] | None
) -> list[str]:
    """Candidates for the argument after ``previous`` arguments of ``method``.

    ``help`` takes a method name; ``cfg.*`` methods take a group, then a variable.
    ``cfg`` is None when it was not (or could not be) fetched.
    """
    if method == "help" and not previous:
        return first_words(methods)
    if method.startswith("cfg.") and cfg is not None:
        if not previous:
            return sorted(cfg)
        if len(previous) == 1:
            group = previous[0].split("[", 1)[0]  # group[id] names an instance
            return sorted(cfg.get(group, []))
    return []


# -- click shell_complete callbacks ------------------------------------------------------


def setting(ctx: Any, name: str) -> Any:
    """A parameter value from this click context or a parent's (kamctl's -s)."""
    while ctx is not None:
        value = ctx.params.get(name)
        if value is not None:
            return value
        ctx = ctx.parent
    return None


def complete_method(ctx: Any, _param: Any, incomplete: str) -> list[str]:
    """Method names (and aliases) starting with ``incomplete``."""
    methods = method_names(
        fetch(setting(ctx, "server"), "system.listMethods", setting(ctx, "reply_dir"))
    )
    return [w for w in first_words(methods) if w.startswith(incomplete)]


def complete_argument(ctx: Any, _param: Any, incomplete: str) -> list[str]:
    """Method names after ``help``; cfg groups and variables after ``cfg.*``."""
    method = ctx.params.get("method") or ""
    previous = list(ctx.params.get("args") or ())
    if method != "help" and not method.startswith("cfg."):
        return []
    server, reply_dir = setting(ctx, "server"), setting(ctx, "reply_dir")
    if method == "help":
        methods = method_names(fetch(server, "system.listMethods", reply_dir))
        words = argument_words(method, previous, methods, None)
    else:
        result = fetch(server, "cfg.list", reply_dir)
        words = argument_words(method, previous, [], cfg_names(result))
    return [w for w in words if w.startswith(incomplete)]
