"""What every kamctl command may use: the configuration, the RPC target and a client
made on demand.

The configuration (files, environment, flags; see docs/configuration.md) is read on
first use, so ``kamctl --help`` never reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kamctl import target

if TYPE_CHECKING:
    from kamctl.config import Config
    from rpc.client import Client, ClientOptions


@dataclass
class Settings:
    """Global options of kamctl, resolved lazily."""

    server: str | None = None  #: -s ADDRESS
    db_url: str | None = None  #: --db URL
    timeout: float | None = None  #: --timeout SECONDS
    config_file: str | None = None  #: --config FILE
    profile: str | None = None  #: --profile NAME
    prog: str = "kamctl"  #: for warning lines
    _client: Client | None = field(default=None, repr=False)
    _config: Config | None = field(default=None, repr=False)
    _target: target.Target | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        """The effective configuration (read on first use; warnings go to stderr).

        Raises :class:`kamctl.config.ConfigError` (exit status 2) for a file that cannot
        be read or parsed, or an unknown profile.
        """
        if self._config is None:
            from kamctl.config import load, print_warnings

            flags = {
                "rpc": (self.server, "-s"),
                "db": (self.db_url, "--db"),
                "timeout": (self.timeout, "--timeout"),
            }
            self._config = load(config_file=self.config_file, profile=self.profile, flags=flags)
            print_warnings(self._config, self.prog)
        return self._config

    def database_url(self, readonly: bool = False) -> str:
        """``--db``, else the configuration (environment, profile, files), else the default

        kamproxy also uses. ``readonly``: the read-only URL (kamctlrc's DBROUSER), which is
        the same unless configured.
        """
        return self.config.db_ro if readonly else self.config.db

    def sip_domain(self) -> str | None:
        """The SIP domain for user names without ``@domain`` (None when not configured)."""
        return self.config.domain

    def target(self) -> target.Target:
        """The RPC address: ``-s``, else ``KAMCTL_RPC``, else the configuration, else the
        default local kamproxy."""
        self._target = target.resolve(self.server, configured=self.config.rpc_address())
        return self._target

    def target_source(self) -> str:
        """Where the RPC address in use came from ("" before one was resolved)."""
        return self._target.source if self._target else ""

    def client_options(self, **overrides: Any) -> ClientOptions:
        """Client options with the configured timeout and FIFO reply dir, then ``overrides``."""
        from rpc.client import ClientOptions

        values: dict[str, Any] = {
            "timeout": self.config.timeout,
            "reply_dir": self.config.reply_dir,
        }
        values.update(overrides)
        return ClientOptions(**values)

    def client(self) -> Client:
        """A client for the RPC target (made once, on first use)."""
        if self._client is None:
            from rpc.client import connect

            self._client = connect(self.target().address, self.client_options())
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
