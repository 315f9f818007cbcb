"""kamctl's own TOML file: top-level settings and ``[profiles.NAME]`` tables.

```toml
default_profile = "lab"
timeout = 3

[profiles.lab]
rpc = "fifo:/run/kamailio/kamailio_rpc.fifo"
db = "sqlite:///var/lib/kamailio/kamailio.sqlite"
domain = "lab.example.com"
```

The file is checked strictly: a syntax error, an unknown key or a value of the wrong
type is a :class:`ConfigError` naming the file and line. ``tomllib`` is imported only
when a TOML file exists.
"""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple

from kamctl.config.errors import ConfigError
from kamctl.config.model import KEYS, TABLES, mask_url

#: Keys allowed only at the top level of the file.
TOP_ONLY = ("default_profile", "profiles")
_STRINGS = ("rpc", "db", "db_ro", "domain", "reply_dir", "pid_file")

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY = re.compile(rf"^\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")
_PARTS = re.compile(_KEY_PART)


class Entry(NamedTuple):
    key: str  #: a setting key, "tables.NAME" for table names
    value: object
    line: int | None


class TomlFile:
    """One checked kamctl.toml."""

    def __init__(self, path: str, entries: list[Entry]) -> None:
        self.path = path
        self.entries = entries  #: top-level settings
        #: profile name -> (line of its table, its entries)
        self.profiles: dict[str, tuple[int | None, list[Entry]]] = {}
        self.default_profile: tuple[str, int | None] | None = None


def _split_key(text: str) -> tuple[str, ...]:
    return tuple(part.strip("\"'") for part in _PARTS.findall(text))


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Line number of each table header and key (``("profiles", "lab", "rpc")`` -> 7).

    tomllib keeps no positions; this light scan finds them for messages and
    ``config show``. Lines inside multi-line strings are skipped.
    """
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    in_string = ""
    for number, line in enumerate(text.splitlines(), 1):
        if in_string:
            if line.count(in_string) % 2:
                in_string = ""
            continue
        header = _HEADER.match(line)
        if header:
            table = _split_key(header.group(1))
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault(table + _split_key(key.group(1)), number)
            rest = line[key.end() :]
            for quotes in ('"""', "'''"):
                if rest.count(quotes) % 2:
                    in_string = quotes
    return lines


class _Checker:
    def __init__(self, path: str, lines: dict[tuple[str, ...], int]) -> None:
        self.path = path
        self.lines = lines

    def line(self, path: tuple[str, ...]) -> int | None:
        """The line of ``path``, or of its nearest enclosing table (inline tables)."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def error(self, path: tuple[str, ...], message: str) -> ConfigError:
        line = self.line(path)
        where = f"{self.path}:{line}" if line else self.path
        return ConfigError(f"{where}: {message}")

    def settings(self, table: dict[str, Any], prefix: tuple[str, ...]) -> list[Entry]:
        """The setting keys of one table (the top level or a profile)."""
        entries: list[Entry] = []
        for key, value in table.items():
            path = (*prefix, key)
            if key in TOP_ONLY and not prefix:
                continue
            if key == "tables":
                entries.extend(self.tables(value, path))
            elif key in KEYS:
                entries.append(Entry(key, self.check(path, key, value), self.line(path)))
            else:
                known = ", ".join([*KEYS, "tables", *([] if prefix else TOP_ONLY)])
                raise self.error(path, f"unknown key {'.'.join(path)!r} (known: {known})")
        return entries

    def tables(self, value: object, path: tuple[str, ...]) -> list[Entry]:
        if not isinstance(value, dict):
            raise self.error(path, f"{'.'.join(path)} must be a table of table names")
        entries = []
        for name, table_name in value.items():
            where = (*path, name)
            if name not in TABLES:
                raise self.error(where, f"unknown table {name!r} (known: {', '.join(TABLES)})")
            if not isinstance(table_name, str) or not table_name:
                raise self.error(where, f"{'.'.join(where)} must be a non-empty string")
            entries.append(Entry(f"tables.{name}", table_name, self.line(where)))
        return entries

    def check(self, path: tuple[str, ...], key: str, value: object) -> object:
        """``value`` if it suits ``key``, else a ConfigError naming the line."""
        name = ".".join(path)
        if key in _STRINGS:
            if not isinstance(value, str) or (not value and key != "domain"):
                raise self.error(path, f"{name} must be a non-empty string")
            if key == "rpc":
                self.check_address(path, value)
            return value or None
        if key == "timeout":
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 0 < value < math.inf
            ):
                raise self.error(path, f"{name} must be a number of seconds above 0")
            return float(value)
        if key == "store_plaintext_password":
            if not isinstance(value, bool):
                raise self.error(path, f"{name} must be true or false")
            return value
        raise AssertionError(key)  # pragma: no cover - every key is handled above

    def check_address(self, path: tuple[str, ...], value: str) -> None:
        """Reject an address whose form is wrong (a bare path is checked when used)."""
        if ":" not in value or value.startswith(("/", ".")):
            return
        from rpc.address import parse_address
        from rpc.errors import AddressError

        try:
            parse_address(value)
        except AddressError as exc:
            message = str(exc).replace(value, mask_url(value))  # no password in messages
            raise self.error(path, f"rpc: {message}") from None


def read(path: str, text: str) -> TomlFile:
    """Parse and check one kamctl.toml; raise ConfigError naming the file and line."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    checker = _Checker(path, key_lines(text))
    out = TomlFile(path, entries=checker.settings(data, ()))
    default = data.get("default_profile")
    if default is not None:
        if not isinstance(default, str) or not default:
            raise checker.error(("default_profile",), "default_profile must be a profile name")
        out.default_profile = (default, checker.line(("default_profile",)))
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise checker.error(("profiles",), "profiles must hold [profiles.NAME] tables")
    for name, table in profiles.items():
        where = ("profiles", name)
        if not isinstance(table, dict):
            raise checker.error(where, f"profiles.{name} must be a table ([profiles.{name}])")
        out.profiles[name] = (checker.line(where), checker.settings(table, where))
    return out
