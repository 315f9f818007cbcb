"""kamctl's configuration: built-in defaults, Kamailio's kamctlrc, kamctl.toml with
profiles, the environment and flags, each value with the place it came from.

docs/configuration.md describes the files, the precedence and every setting. The
package imports nothing heavy: ``tomllib`` only when a TOML file exists, the kamctlrc
reader only when a kamctlrc exists, ``proxy.storage`` only for the default database.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from kamctl.config.errors import ConfigError
from kamctl.config.load import load
from kamctl.config.model import Config, Origin, Setting

__all__ = [
    "Config",
    "ConfigError",
    "Origin",
    "Setting",
    "configured_rpc_address",
    "load",
    "print_warnings",
]


def print_warnings(config: Config, prog: str) -> None:
    """Write the configuration's warnings to stderr, one line each."""
    for warning in config.warnings:
        print(f"{prog}: warning: {warning}", file=sys.stderr)


def configured_rpc_address(
    profile: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    prog: str = "kamcmd",
) -> tuple[str, str] | None:
    """(address, source) when kamctl's configuration names an RPC address, else None.

    For kamcmd's fast path: reads the configuration files (no click; tomllib only when a
    TOML file exists), prints their warnings, and raises ConfigError (an AddressError:
    exit status 2) for a file that cannot be used or an unknown profile.
    """
    config = load(profile=profile, env=env)
    print_warnings(config, prog)
    return config.rpc_address()
