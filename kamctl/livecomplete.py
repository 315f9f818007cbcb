"""Live values for kamctl's shell completion: from the running proxy and the database.

click calls these ``shell_complete`` callbacks while the shell waits, so each one

* asks with a short timeout (RPC: kamctl.completion's cached fetch; database: a short
  connect timeout, and a failure is remembered for a few seconds so Tab does not wait
  again and again),
* never prints anything and never raises: no server, no database, a broken
  configuration file only mean no candidates.

The global options already on the command line count (``-s``, ``--db``, ``--config``,
``--profile``).
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any

from kamctl import completion

#: Seconds a database connection may take during completion.
DB_TIMEOUT = 0.5
#: Most rows read for one completion.
DB_LIMIT = 2000


def _matching(words: list[str], incomplete: str) -> list[str]:
    return sorted({w for w in words if w.startswith(incomplete)})


# -- from the running proxy ---------------------------------------------------------------


def _rpc(ctx: Any, method: str, *params: Any) -> Any:
    return completion.fetch(completion.setting(ctx, "server"), method, params=tuple(params))


def complete_stats_group(ctx: Any, _param: Any, incomplete: str) -> list[str]:
    """Statistics group names (``core``, ``sl``, ``shmem``, ...) and ``all``."""
    from kamctl.rpcviews import stat_groups

    groups = stat_groups(_rpc(ctx, "stats.get_statistics", "all"))
    return _matching([*groups, "all"] if groups else [], incomplete)


def complete_cfg_group(ctx: Any, _param: Any, incomplete: str) -> list[str]:
    """cfg group names from ``cfg.list``."""
    return _matching(list(completion.cfg_names(_rpc(ctx, "cfg.list"))), incomplete)


def complete_cfg_var(ctx: Any, _param: Any, incomplete: str) -> list[str]:
    """The variables of the group given before (``cfg get core <Tab>``)."""
    group = str(ctx.params.get("group") or "").split("[", 1)[0]
    if not group:
        return []
    names = completion.cfg_names(_rpc(ctx, "cfg.list")).get(group, [])
    return _matching(names, incomplete)


# -- from the database --------------------------------------------------------------------


def _failure_marker(url: str) -> str:
    key = hashlib.sha256(url.encode()).hexdigest()[:20]
    return str(completion.cache_dir() / f"db-{key}.failed")


def _recently_failed(marker: str) -> bool:
    try:
        age = time.time() - os.stat(marker).st_mtime
    except OSError:
        return False
    return 0 <= age < completion.FAILURE_TTL


def _remember_failure(marker: str) -> None:
    try:
        os.makedirs(os.path.dirname(marker), mode=0o700, exist_ok=True)
        with open(marker, "w", encoding="utf-8"):
            pass
    except OSError:
        pass  # only makes the next completion wait again


def _db_config(ctx: Any) -> tuple[str, Any] | None:
    """(read-only database URL, kamctl Config) for this command line, read quietly."""
    from kamctl.config import load

    try:
        config = load(
            config_file=completion.setting(ctx, "config_file"),
            profile=completion.setting(ctx, "profile"),
        )
        url = completion.setting(ctx, "db_url") or config.db_ro
    except Exception:  # a broken configuration only means no completion
        return None
    return str(url), config


def _select(ctx: Any, logical: str, columns: list[str]) -> list[dict[str, Any]]:
    """Up to DB_LIMIT rows of ``columns`` of Kamailio table ``logical``; [] on any failure."""
    found = _db_config(ctx)
    if found is None:
        return []
    url, config = found
    marker = _failure_marker(url)
    if _recently_failed(marker):
        return []
    try:
        from proxy.storage.database import Database

        table = config.table(logical)
        with Database.open(url, create=False, timeout=DB_TIMEOUT) as db:
            rows = db.select(table, columns=columns, limit=DB_LIMIT)
    except Exception:  # unreachable, missing table, missing driver: nothing to offer
        _remember_failure(marker)
        return []
    return rows


def complete_subscriber(ctx: Any, _param: Any, incomplete: str) -> list[str]:
    """``user@domain`` of the subscribers (and ``user`` alone in the default domain)."""
    rows = _select(ctx, "subscriber", ["username", "domain"])
    found = _db_config(ctx) if rows else None
    default_domain = found[1].domain if found else None
    words = []
    for row in rows:
        user, domain = str(row.get("username") or ""), str(row.get("domain") or "")
        if user:
            words.append(f"{user}@{domain}" if domain else user)
            if domain and domain == default_domain:
                words.append(user)
    return _matching(words, incomplete)


def complete_dispatcher_setid(ctx: Any, _param: Any, incomplete: str) -> list[str]:
    """The set ids in the dispatcher table."""
    rows = _select(ctx, "dispatcher", ["setid"])
    return _matching([str(r.get("setid")) for r in rows if r.get("setid") is not None], incomplete)
