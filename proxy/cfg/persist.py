"""Keeping runtime changes across a restart: the optional overrides file.

Off by default. When ``[core] cfg_overrides = "FILE"`` (or ``--cfg-overrides FILE``)
is set, the ``cfg.save`` RPC writes every live value that differs from the config
file (and flags) to FILE as ``[cfg.GROUP]`` tables, and kamproxy reads FILE at start
right after its config file. Nothing is saved unless someone calls ``cfg.save``.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

from proxy.cfg.model import CfgError, Value
from proxy.cfg.params import Params, Snapshot, changed_values

_HEADER = """\
# Runtime parameters saved by cfg.save ({when}).
# kamproxy reads this file at start, after its config file, and these values win.
# Remove a line (or the file) to go back to the config file's value.
"""


class OverridesError(CfgError):
    """The overrides file cannot be read or written."""


def read_overrides(path: Path) -> dict[str, dict[str, Any]]:
    """The ``[cfg.GROUP]`` tables of ``path``; a missing file holds none."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise OverridesError(f"{path}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OverridesError(f"{path}: cannot read: {getattr(exc, 'strerror', exc)}") from None
    extra = sorted(set(data) - {"cfg"})
    if extra:
        raise OverridesError(f"{path}: only [cfg.GROUP] tables belong here, not {extra}")
    tables = data.get("cfg", {})
    if not isinstance(tables, dict):
        raise OverridesError(f"{path}: cfg must be a table of [cfg.GROUP] tables")
    checked: dict[str, dict[str, Any]] = {}
    for group, values in tables.items():
        if not isinstance(values, dict):
            raise OverridesError(f"{path}: cfg.{group} must be a table ([cfg.{group}])")
        checked[group] = values
    return checked


def render(tables: dict[str, dict[str, Value]], when: str) -> str:
    """TOML text of ``tables`` (strings as TOML basic strings, via JSON escaping)."""
    lines = [_HEADER.format(when=when)]
    for group, values in tables.items():
        lines.append(f"[cfg.{group}]")
        for var, value in values.items():
            lines.append(f"{var} = {json.dumps(value) if isinstance(value, str) else value}")
        lines.append("")
    return "\n".join(lines)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class Overrides:
    """Where cfg.save writes, and what counts as a change (the config-file values)."""

    def __init__(self, path: Path, baseline: Snapshot) -> None:
        self.path = path
        self.baseline = baseline

    def save(self, params: Params) -> dict[str, dict[str, Value]]:
        """Write every live value that differs from the baseline; returns them."""
        tables = changed_values(params, self.baseline)
        text = render(tables, time.strftime("%Y-%m-%d %H:%M:%S %z"))
        try:
            write_atomically(self.path, text)
        except OSError as exc:
            raise OverridesError(
                f"cannot write {self.path}: {exc.strerror or exc}",
            ) from None
        return tables
