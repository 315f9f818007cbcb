"""The effective configuration: each setting's value and where it came from.

Every source (a built-in default, a file line, an environment variable, a flag) adds
:class:`Setting` entries in precedence order; for each key the last one wins, and the
earlier ones stay visible for ``kamctl config show --all``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from kamctl.config.errors import ConfigError

#: Settings every level may give, with a one-line meaning (docs and ``config show``).
KEYS: dict[str, str] = {
    "rpc": "RPC address of the proxy (fifo:PATH, unix:PATH, http://HOST:PORT/RPC)",
    "db": "database URL",
    "db_ro": "database URL for read-only use (default: the db URL)",
    "domain": "SIP domain for user names given without @domain",
    "timeout": "seconds to wait for an RPC reply",
    "reply_dir": "FIFO only: the proxy's reply directory (where reply FIFOs are made)",
    "store_plaintext_password": "also store cleartext passwords in subscriber.password",
    "pid_file": "kamproxy's pid file (start, stop, status)",
}

#: Kamailio table names kamctl can be told to use (the logical name is the default).
TABLES: tuple[str, ...] = (
    "subscriber",
    "location",
    "aliases",
    "dbaliases",
    "domain",
    "grp",
    "address",
    "trusted",
    "dispatcher",
    "usr_preferences",
    "speed_dial",
)

MASK = "****"


class Origin(NamedTuple):
    """Where a value came from."""

    kind: str  #: "default", "file", "environment" or "flag"
    name: str = ""  #: file path, variable name or flag spelling
    line: int | None = None
    #: extra words, e.g. which kamctlrc variables a database URL was built from
    note: str = ""

    def __str__(self) -> str:
        if self.kind == "file":
            return f"{self.name}:{self.line}" if self.line else self.name
        if self.kind == "environment":
            return f"environment {self.name}"
        if self.kind == "flag":
            return f"flag {self.name}"
        return self.kind

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind}
        if self.name:
            out["name"] = self.name
        if self.line is not None:
            out["line"] = self.line
        if self.note:
            out["note"] = self.note
        return out


DEFAULT = Origin("default")


class Setting(NamedTuple):
    """One value for one key from one source.

    ``error`` marks a value that was configured but cannot be used (an unsupported
    DBENGINE, say): using the key raises :class:`ConfigError` with it, while commands
    that do not need the key keep working.
    """

    key: str
    value: object
    origin: Origin
    error: str | None = None


class FileStatus(NamedTuple):
    """One file kamctl looks for, in the order it reads them."""

    path: str
    format: str  #: "kamctlrc" or "toml"
    level: str  #: "system", "user", "project" or "named"
    exists: bool
    used: bool
    note: str = ""


class Variable(NamedTuple):
    """One kamctlrc variable as read (from a file or the environment)."""

    name: str
    value: str
    origin: Origin
    use: str  #: the setting it feeds, or why it is not used


class ProfileChoice(NamedTuple):
    name: str
    origin: Origin


class Config:
    """The merged configuration. Values are looked up by key; defaults are computed lazily."""

    def __init__(self, defaults: Mapping[str, Callable[[], object]] | None = None) -> None:
        #: key -> its configured values, lowest precedence first
        self.chain: dict[str, list[Setting]] = {}
        #: every file looked for, in reading order
        self.files: list[FileStatus] = []
        #: kamctlrc variables read (files, then the environment)
        self.variables: list[Variable] = []
        self.warnings: list[str] = []
        self.profile: ProfileChoice | None = None
        #: profile name -> where it is defined
        self.profiles: dict[str, list[Origin]] = {}
        self.defaults: Mapping[str, Callable[[], object]] = defaults or {}
        self._default_cache: dict[str, Setting] = {}

    @staticmethod
    def all_keys() -> list[str]:
        """Every setting name, in display order."""
        return [*KEYS, *(f"tables.{name}" for name in TABLES)]

    def add(self, setting: Setting) -> None:
        self.chain.setdefault(setting.key, []).append(setting)

    def history(self, key: str) -> list[Setting]:
        """Every configured value of ``key``, lowest precedence first (defaults excluded)."""
        return list(self.chain.get(key, []))

    def configured(self, key: str) -> Setting | None:
        """The winning configured value, or None when only the default applies."""
        chain = self.chain.get(key)
        return chain[-1] if chain else None

    def setting(self, key: str) -> Setting:
        """The effective value of ``key`` (configured, else the default)."""
        configured = self.configured(key)
        if configured is not None:
            return configured
        if key not in self._default_cache:
            self._default_cache[key] = self._default(key)
        return self._default_cache[key]

    def _default(self, key: str) -> Setting:
        if key == "db_ro":
            db = self.setting("db")
            return Setting(key, db.value, db.origin, db.error)
        if key.startswith("tables."):
            return Setting(key, key.split(".", 1)[1], DEFAULT)
        try:
            return Setting(key, self.defaults[key](), DEFAULT)
        except ImportError as exc:
            return Setting(key, None, DEFAULT, f"no built-in default available ({exc})")

    def problem(self, key: str) -> str | None:
        """Why the effective value of ``key`` cannot be used, or None when it can."""
        chosen = self.setting(key)
        if chosen.error:
            return chosen.error
        if key in ("db", "db_ro") and isinstance(chosen.value, str):
            return _url_problem(chosen.value)
        return None

    def value(self, key: str) -> object:
        """The effective value; raises ConfigError when it cannot be used."""
        chosen = self.setting(key)
        problem = self.problem(key)
        if problem:
            raise ConfigError(f"{key}: {problem} [{chosen.origin}]")
        return chosen.value

    # Typed accessors for commands.

    @property
    def rpc(self) -> str:
        return str(self.value("rpc"))

    @property
    def db(self) -> str:
        return str(self.value("db"))

    @property
    def db_ro(self) -> str:
        return str(self.value("db_ro"))

    @property
    def domain(self) -> str | None:
        value = self.value("domain")
        return str(value) if value else None

    @property
    def timeout(self) -> float:
        value = self.value("timeout")
        assert isinstance(value, (int, float))
        return float(value)

    @property
    def reply_dir(self) -> str:
        return str(self.value("reply_dir"))

    @property
    def store_plaintext_password(self) -> bool:
        return bool(self.value("store_plaintext_password"))

    @property
    def pid_file(self) -> str:
        return str(self.value("pid_file"))

    def table(self, name: str) -> str:
        """The configured name of Kamailio table ``name`` (e.g. "subscriber")."""
        return str(self.value(f"tables.{name}"))

    def rpc_address(self) -> tuple[str, str] | None:
        """(address, source) when the configuration names an RPC address, else None."""
        chosen = self.configured("rpc")
        if chosen is None:
            return None
        if chosen.error:
            raise ConfigError(f"rpc: {chosen.error} [{chosen.origin}]")
        return str(chosen.value), str(chosen.origin)


def _url_problem(url: str) -> str | None:
    """What is wrong with database URL ``url`` (checked by the storage layer's parser)."""
    try:
        from proxy.storage.errors import UrlError
        from proxy.storage.url import parse_url
    except ImportError:  # pragma: no cover - the storage layer ships with kamctl
        return None
    try:
        parse_url(url)
    except UrlError as exc:
        return str(exc)
    return None


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``****``.

    As in Kamailio's database URLs, the last ``@`` ends the password.
    """
    scheme, sep, rest = url.partition("://")
    at = rest.rfind("@")
    if not sep or at < 0 or ":" not in rest[:at]:
        return url
    user = rest[:at].split(":", 1)[0]
    return f"{scheme}://{user}:{MASK}@{rest[at + 1 :]}"


def is_secret_variable(name: str) -> bool:
    """kamctlrc variables holding passwords (DBRWPW, DBROPW, DBROOTPW, ...)."""
    upper = name.upper()
    return upper.endswith("PW") or "PASS" in upper


def shown(key: str, value: object) -> object:
    """``value`` as ``config show`` prints it: URLs without passwords."""
    if isinstance(value, str) and key in ("rpc", "db", "db_ro"):
        return mask_url(value)
    return value
