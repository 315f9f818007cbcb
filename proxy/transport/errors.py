"""The errors of the transport layer; each message names the address concerned."""

from __future__ import annotations

import errno


class TransportError(Exception):
    """Base of every transport error."""


class BindError(TransportError):
    """A listen address cannot be bound (in use, not local, no permission)."""


class SendError(TransportError):
    """A message could not be sent: no socket for the protocol or address family, a
    refused or timed-out connection, a full or closed connection, tcp.no_connect."""


def bind_error(where: str, exc: OSError) -> BindError:
    """A BindError for ``where`` (``udp:127.0.0.1:5060``) that says what to do."""
    if exc.errno == errno.EADDRINUSE:
        return BindError(
            f"cannot listen on {where}: address already in use (another SIP server on this "
            "port? choose another with -l or [core] listen)"
        )
    if exc.errno == errno.EACCES:
        return BindError(
            f"cannot listen on {where}: permission denied (ports below 1024 need root "
            "or CAP_NET_BIND_SERVICE)"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return BindError(f"cannot listen on {where}: address not available on this host")
    return BindError(f"cannot listen on {where}: {exc.strerror or exc}")
