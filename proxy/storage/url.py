"""Database URLs in Kamailio's form, and the embedded default.

Kamailio splits ``scheme://[user[:password]@]host[:port]/database`` and hands the part
after the slash that ends the host to the driver. For SQLite the host is empty, so:

* ``sqlite:////var/lib/kamailio/kamailio.sqlite`` is the absolute path
  ``/var/lib/kamailio/kamailio.sqlite`` (four slashes);
* ``sqlite:///kamailio.sqlite`` is the *relative* path ``kamailio.sqlite`` (three
  slashes), resolved against the current directory. A daemonised Kamailio works in
  ``/``, so there ``sqlite:///etc/kamailio/db.sqlite`` happens to mean
  ``/etc/kamailio/db.sqlite``; kamctl, run from a shell, would not. We read it as
  Kamailio does, and refuse it when the relative file is missing but the absolute one
  exists (the hint says to add a slash);
* beyond Kamailio, a bare absolute path (``/var/lib/kamailio/kamailio.sqlite``) is an
  SQLite database.

``postgres://`` (also ``postgresql://``) and ``mysql://`` take user, password, host,
port and database name. As in Kamailio, nothing is percent-decoded, and the last ``@``
ends the password (so a password may contain ``@`` or ``/``). ``?key=value`` options
after the database name are passed to the driver.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from proxy.storage.errors import UrlError

Engine = Literal["sqlite", "postgres", "mysql"]

_SCHEMES: dict[str, Engine] = {
    "sqlite": "sqlite",
    "postgres": "postgres",
    "postgresql": "postgres",
    "pgsql": "postgres",
    "mysql": "mysql",
}
_NAMES: dict[Engine, str] = {"sqlite": "SQLite", "postgres": "PostgreSQL", "mysql": "MySQL"}
DEFAULT_PORTS: dict[Engine, int] = {"sqlite": 0, "postgres": 5432, "mysql": 3306}
#: The file name of the embedded default database.
DEFAULT_FILE = "kamailio.sqlite"
#: Where root's (and kamproxy's system-wide) default database lives.
SYSTEM_DIR = "/var/lib/kamailio"


@dataclass(frozen=True)
class DbUrl:
    """A parsed database URL. ``str()`` gives it back with the password hidden."""

    engine: Engine
    #: SQLite: the file path as given (relative paths are relative to the current dir).
    path: str = ""
    user: str = ""
    password: str = field(default="", repr=False)
    host: str = ""
    port: int = 0
    database: str = ""
    params: tuple[tuple[str, str], ...] = ()

    @property
    def is_sqlite(self) -> bool:
        return self.engine == "sqlite"

    def file(self) -> Path:
        """SQLite: the absolute path of the database file."""
        return Path(os.path.abspath(self.path))

    def redacted(self) -> str:
        """The URL for messages: the password replaced by ``***``."""
        if self.is_sqlite:
            return f"sqlite:///{self.path}"
        auth = ""
        if self.user:
            auth = self.user + (":***" if self.password else "") + "@"
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port else ""
        query = "&".join(f"{k}={v}" for k, v in self.params)
        return f"{self.engine}://{auth}{host}{port}/{self.database}" + (
            f"?{query}" if query else ""
        )

    def describe(self) -> str:
        """A short name for messages: the file path, or ``engine database on host:port``."""
        if self.is_sqlite:
            return str(self.file())
        return f"{_NAMES[self.engine]} database {self.database!r} on {self.host}:{self.port}"

    def __str__(self) -> str:
        return self.redacted()


def parse_url(text: str) -> DbUrl:
    """Parse ``text``; raises :class:`UrlError` with what is wrong."""
    text = text.strip()
    if not text:
        raise UrlError("empty database URL")
    if text.startswith("/"):
        return DbUrl(engine="sqlite", path=text)
    scheme, sep, rest = text.partition("://")
    if not sep:
        raise UrlError(
            f"not a database URL: {_safe(text)!r}",
            hint="use sqlite:////abs/path, postgres://user:pw@host/db or mysql://user:pw@host/db",
        )
    engine = _SCHEMES.get(scheme.lower())
    if engine is None:
        known = ", ".join(sorted(_SCHEMES))
        raise UrlError(f"unknown database engine {scheme!r}", hint=f"known: {known}")
    if engine == "sqlite":
        return _parse_sqlite(rest)
    return _parse_server(engine, rest)


def _parse_sqlite(rest: str) -> DbUrl:
    if not rest.startswith("/"):
        raise UrlError(
            "an SQLite URL has no host: write sqlite:////abs/path (absolute) "
            "or sqlite:///relative/path"
        )
    path = rest[1:].split("?", 1)[0]
    if not path:
        raise UrlError("the SQLite URL has no file name")
    if not path.startswith("/"):
        absolute = "/" + path
        if not os.path.exists(path) and os.path.exists(absolute):
            raise UrlError(
                f"sqlite:///{path} is the relative path {path!r} (as Kamailio reads it), "
                "which does not exist",
                hint=f"for the file {absolute} write sqlite:///{absolute}",
            )
    return DbUrl(engine="sqlite", path=path)


def _parse_server(engine: Engine, rest: str) -> DbUrl:
    at = rest.rfind("@")
    userinfo, hostpart = (rest[:at], rest[at + 1 :]) if at >= 0 else ("", rest)
    user, _, password = userinfo.partition(":")
    hostport, slash, dbpart = hostpart.partition("/")
    if not slash or not dbpart:
        raise UrlError(f"the {engine} URL has no database name (…/DATABASE at the end)")
    database, _, query = dbpart.partition("?")
    host, port = _split_hostport(hostport, engine)
    params = _parse_params(query)
    return DbUrl(
        engine=engine,
        user=user,
        password=password,
        host=host or "localhost",
        port=port,
        database=database,
        params=params,
    )


def _split_hostport(text: str, engine: Engine) -> tuple[str, int]:
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise UrlError("unterminated IPv6 address in the database URL")
        host, after = text[1:end], text[end + 1 :]
        port_text = after[1:] if after.startswith(":") else ""
        if after and not after.startswith(":"):
            raise UrlError(f"unexpected {after!r} after the IPv6 address")
    else:
        host, _, port_text = text.partition(":")
    if not port_text:
        return host, DEFAULT_PORTS[engine]
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise UrlError(f"bad port {port_text!r} in the database URL")
    return host, int(port_text)


def _parse_params(query: str) -> tuple[tuple[str, str], ...]:
    if not query:
        return ()
    params = []
    for item in query.split("&"):
        if not item:
            continue
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise UrlError(f"bad option {item!r} in the database URL (want key=value)")
        params.append((key, value))
    return tuple(params)


def _safe(text: str) -> str:
    """``text`` with anything between ``:`` and the last ``@`` hidden (may be a password)."""
    at = text.rfind("@")
    if at < 0:
        return text
    head = text[:at]
    colon = head.rfind(":")
    return text if colon < 0 else head[: colon + 1] + "***" + text[at:]


def default_path() -> Path:
    """The embedded default database file (root: system-wide; others: per user)."""
    if os.geteuid() == 0:
        return Path(SYSTEM_DIR) / DEFAULT_FILE
    data_home = os.environ.get("XDG_DATA_HOME", "")
    if not os.path.isabs(data_home):  # the XDG spec says to ignore a relative value
        data_home = os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data_home) / "kamctl" / DEFAULT_FILE


def default_url() -> str:
    """The URL of :func:`default_path` (absolute, so four slashes)."""
    return "sqlite:///" + str(default_path())
