"""Which RPC address a CLI talks to, and where that choice came from.

Order: ``-s ADDRESS`` flag, then the ``KAMCTL_RPC`` environment variable, then the
kamctl configuration when it names an address (``configured``: kamctl's
``Settings.config.rpc_address()``, kamcmd's ``kamctl.config.configured_rpc_address()``;
a profile's ``rpc``, kamctlrc's ``RPCFIFOPATH``, ...), then the default local kamproxy
(its socket or FIFO in the default runtime dir, else HTTP on 127.0.0.1:5071). This is
the precedence of docs/configuration.md for the one setting both CLIs share.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple

from rpc.address import Address, default_address, parse_address
from rpc.errors import AddressError

ENV_RPC = "KAMCTL_RPC"


class Target(NamedTuple):
    address: Address
    source: str  #: "-s flag", "environment KAMCTL_RPC", a config file, or "default"


def resolve(
    flag: str | None,
    env: Mapping[str, str] | None = None,
    configured: tuple[str, str] | None = None,
) -> Target:
    """The address to use; ``configured`` is (address, source) from kamctl's config.

    A configured address that cannot be parsed raises an AddressError naming its source.
    """
    env = os.environ if env is None else env
    if flag:
        return Target(parse_address(flag), "-s flag")
    if env.get(ENV_RPC):
        return Target(parse_address(env[ENV_RPC]), f"environment {ENV_RPC}")
    if configured and configured[0]:
        try:
            return Target(parse_address(configured[0]), configured[1])
        except AddressError as exc:
            raise AddressError(f"{exc.message} [{configured[1]}]", hint=exc.hint) from None
    return Target(default_address(), "default")
