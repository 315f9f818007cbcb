"""Built-in values: what kamctl uses with no configuration file at all.

They are the defaults kamproxy itself uses, so ``kamctl`` finds a default ``kamproxy``
(its socket, FIFO or HTTP listener, its database) without any setup. Each is computed
only when asked for: the default database URL comes from ``proxy.storage``, which
kamctl's start path must not import.
"""

from __future__ import annotations

from collections.abc import Callable


def _rpc() -> str:
    from rpc.address import default_address

    return str(default_address())


def _db() -> str:
    from proxy.storage.url import default_url

    return default_url()


def _timeout() -> float:
    from rpc.client.base import DEFAULT_TIMEOUT

    return DEFAULT_TIMEOUT


def _reply_dir() -> str:
    from rpc.address import DEFAULT_REPLY_DIR

    return DEFAULT_REPLY_DIR


def _pid_file() -> str:
    from rpc.address import PID_NAME, default_runtime_dir

    return str(default_runtime_dir() / PID_NAME)


#: key -> function computing its default (``None``: no value, e.g. no SIP domain).
DEFAULTS: dict[str, Callable[[], object]] = {
    "rpc": _rpc,
    "db": _db,
    "domain": lambda: None,
    "timeout": _timeout,
    "reply_dir": _reply_dir,
    # Kamailio's kamctl stores cleartext passwords unless told not to; kamctl keeps
    # only the hashes unless asked (docs/configuration.md explains the difference).
    "store_plaintext_password": lambda: False,
    "pid_file": _pid_file,
}
