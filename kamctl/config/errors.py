"""The one error a broken kamctl configuration raises."""

from __future__ import annotations

from rpc.errors import AddressError


class ConfigError(AddressError):
    """A configuration that cannot be used; the message names the file (and line) and why.

    It is an :class:`~rpc.errors.AddressError` because the configuration decides which
    RPC address the CLIs talk to: kamctl and kamcmd already report that class as a usage
    error (exit status 2, one line on stderr, no traceback).
    """
