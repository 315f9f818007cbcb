"""Building the effective configuration from every level, in one precedence order.

defaults < system files < user files < ./kamctlrc (KAMCTL_TEST) < ``--config FILE``
< environment (Kamailio's variables, then KAMCTL_*) < flags.

Within a file level the kamctlrc comes before kamctl.toml, and within a TOML file the
selected profile's table comes after the file's top-level keys. ``--profile`` (else
``KAMCTL_PROFILE``, else the last ``default_profile``) only selects which profile
tables count; their values stay at their file's level.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from typing import TYPE_CHECKING

from kamctl.config.defaults import DEFAULTS
from kamctl.config.errors import ConfigError
from kamctl.config.model import Config, FileStatus, Origin, ProfileChoice, Setting
from kamctl.config.paths import Candidate, candidates, named

if TYPE_CHECKING:
    from kamctl.config.kamailio import KamailioVariables, Mapped
    from kamctl.config.tomlfile import Entry, TomlFile

ENV_PROFILE = "KAMCTL_PROFILE"
ENV_CONFIG = "KAMCTL_CONFIG"
#: kamctl's own environment variables -> setting.
ENV_SETTINGS: dict[str, str] = {
    "KAMCTL_RPC": "rpc",
    "KAMCTL_DB": "db",
    "KAMCTL_DOMAIN": "domain",
    "KAMCTL_TIMEOUT": "timeout",
    "KAMCTL_REPLY_DIR": "reply_dir",
}

#: A flag's value and its spelling, e.g. {"rpc": ("fifo:/x", "-s")}.
Flags = Mapping[str, tuple[object, str]]


def load(
    *,
    config_file: str | None = None,
    profile: str | None = None,
    flags: Flags | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> Config:
    """Read every level and merge them; raise ConfigError for a file that cannot be used.

    ``config_file`` and ``profile`` are the ``--config`` and ``--profile`` flags.
    """
    env = os.environ if env is None else env
    loader = _Loader(env)
    found = candidates(env, cwd)
    named_path = config_file or env.get(ENV_CONFIG) or None
    if named_path:
        found.append(named(named_path))
        via = "--config" if config_file else f"environment {ENV_CONFIG}"
        loader.named_via = via
    for candidate in found:
        loader.read(candidate)
    loader.choose_profile(profile)
    return loader.merge(flags or {})


class _Loader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.config = Config(defaults=DEFAULTS)
        self.named_via = ""
        #: per file read, in order: a kamctlrc's settings or a TOML file's content
        self.sources: list[list[Setting] | TomlFile] = []
        self.tomls: list[TomlFile] = []
        self._kamailio: KamailioVariables | None = None

    @property
    def kamailio(self) -> KamailioVariables:
        if self._kamailio is None:
            from kamctl.config.kamailio import KamailioVariables

            self._kamailio = KamailioVariables()
        return self._kamailio

    # Reading files.

    def read(self, candidate: Candidate) -> None:
        path = candidate.path
        status = FileStatus(path, candidate.format, candidate.level, False, False)
        if candidate.skipped:
            exists = os.path.exists(path)
            self.config.files.append(
                FileStatus(
                    path, candidate.format, candidate.level, exists, False, candidate.skipped
                )
            )
            return
        text = self._text(candidate, status)
        if text is None:
            return
        if candidate.format == "toml":
            from kamctl.config import tomlfile

            toml = tomlfile.read(path, text)
            self.tomls.append(toml)
            self.sources.append(toml)
        else:
            self.sources.append(self._kamctlrc(path, text).settings)
        self.config.files.append(
            FileStatus(path, candidate.format, candidate.level, True, True, self._note(candidate))
        )

    def _note(self, candidate: Candidate) -> str:
        return f"named by {self.named_via}" if candidate.level == "named" else ""

    def _text(self, candidate: Candidate, status: FileStatus) -> str | None:
        """The file's text; None (and its status recorded) when it is not there.

        A named file must be readable; a default-location file that exists but cannot
        be read is skipped with a warning (a kamctlrc holding DB passwords is often
        readable only by root and the kamailio group).
        """
        path = candidate.path
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                # not opened: a FIFO (say the RPC FIFO given by mistake) would block
                self._unreadable(candidate, "not a regular file")
                return None
            with open(path, "rb") as handle:
                data = handle.read()
        except (FileNotFoundError, NotADirectoryError) as exc:
            if candidate.level == "named":
                raise ConfigError(
                    f"cannot read config file {path}: {exc.strerror or exc}"
                ) from None
            self.config.files.append(status)
            return None
        except OSError as exc:
            self._unreadable(candidate, exc.strerror or str(exc))
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            if candidate.format == "toml":
                raise ConfigError(f"{path}:{line}: not UTF-8 text") from None
            return data.decode("utf-8", errors="replace")

    def _unreadable(self, candidate: Candidate, reason: str) -> None:
        """A file that exists but cannot be read: an error when named, else a warning."""
        path = candidate.path
        if candidate.level == "named":
            raise ConfigError(f"cannot read config file {path}: {reason}")
        self.config.warnings.append(f"{path}: cannot read it ({reason}); not used")
        self.config.files.append(
            FileStatus(path, candidate.format, candidate.level, True, False, reason)
        )

    def _kamctlrc(self, path: str, text: str) -> Mapped:
        from kamctl.config.kamctlrc import KamctlrcSyntaxError, parse
        from kamctl.config.paths import home_dir

        variables = self.kamailio

        def lookup(name: str) -> str | None:
            value = variables.get(name)
            return value if value is not None else self.env.get(name)

        try:
            assignments, notices = parse(text, lookup, home_dir(self.env))
        except KamctlrcSyntaxError as exc:
            raise ConfigError(f"{path}:{exc.line}: {exc.message}") from None
        self.config.warnings.extend(f"{path}:{n.line}: {n.message}" for n in notices)
        entries = [(a.name, a.value, Origin("file", path, a.line)) for a in assignments]
        return self._apply(entries)

    def _apply(self, entries: list[tuple[str, str, Origin]]) -> Mapped:
        mapped = self.kamailio.apply(entries)
        self.config.warnings.extend(mapped.warnings)
        self.config.variables.extend(mapped.variables)
        return mapped

    # Profiles.

    def choose_profile(self, flag: str | None) -> None:
        for toml in self.tomls:
            for name, (line, _entries) in toml.profiles.items():
                self.config.profiles.setdefault(name, []).append(Origin("file", toml.path, line))
        choice: ProfileChoice | None = None
        if flag:
            choice = ProfileChoice(flag, Origin("flag", "--profile"))
        elif self.env.get(ENV_PROFILE):
            choice = ProfileChoice(self.env[ENV_PROFILE], Origin("environment", ENV_PROFILE))
        else:
            for toml in self.tomls:
                if toml.default_profile:
                    name, line = toml.default_profile
                    choice = ProfileChoice(name, Origin("file", toml.path, line))
        if choice and choice.name not in self.config.profiles:
            known = ", ".join(sorted(self.config.profiles))
            listing = (
                f"known profiles: {known}"
                if known
                else "no profiles are defined ([profiles.NAME] in kamctl.toml; see"
                " 'kamctl config paths')"
            )
            raise ConfigError(f"unknown profile {choice.name!r} ({choice.origin}); {listing}")
        self.config.profile = choice

    # Merging.

    def merge(self, flags: Flags) -> Config:
        config = self.config
        for source in self.sources:
            if isinstance(source, list):
                for setting in source:
                    config.add(setting)
            else:
                self._toml(source)
        self._environment()
        for key, (value, spelling) in flags.items():
            if value is not None:
                self._add_all([Setting(key, value, Origin("flag", spelling))])
        return config

    def _toml(self, toml: TomlFile) -> None:
        self._add_all([_setting(toml.path, e) for e in toml.entries])
        chosen = self.config.profile
        if chosen and chosen.name in toml.profiles:
            note = f"profile {chosen.name}"
            entries = toml.profiles[chosen.name][1]
            self._add_all([_setting(toml.path, e, note) for e in entries])

    def _add_all(self, settings: list[Setting]) -> None:
        """Add one table's (or one source's) settings; ``db`` also sets ``db_ro``

        unless the same table gives ``db_ro``: a read-only URL left over from a lower
        level must not point at another database than ``db``.
        """
        keys = {s.key for s in settings}
        for setting in settings:
            self.config.add(setting)
            if setting.key == "db" and "db_ro" not in keys:
                self.config.add(Setting("db_ro", setting.value, setting.origin, setting.error))

    def _environment(self) -> None:
        from kamctl.config.kamailio import ENVIRONMENT

        entries = [
            (name, self.env[name], Origin("environment", name))
            for name in ENVIRONMENT
            if self.env.get(name)
        ]
        if entries:
            for setting in self._apply(entries).settings:
                self.config.add(setting)
        for name, key in ENV_SETTINGS.items():
            text = self.env.get(name)
            if text:
                self._add_all([_env_setting(name, key, text)])


def _setting(path: str, entry: Entry, note: str = "") -> Setting:
    return Setting(entry.key, entry.value, Origin("file", path, entry.line, note))


def _env_setting(name: str, key: str, text: str) -> Setting:
    origin = Origin("environment", name)
    if key != "timeout":
        return Setting(key, text, origin)
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        return Setting(key, None, origin, f"{name}={text!r} is not a number of seconds above 0")
    return Setting(key, seconds, origin)
