"""One exception tree for the whole RPC library.

Client side: every failure a caller can meet is an :class:`RpcError`. OS and protocol
errors are mapped to it in one place (:func:`map_os_error`), and each message tells
the operator what to check.

Server side: a method raises :class:`RpcFault` to answer with a JSON-RPC error object.
"""

from __future__ import annotations

import errno
from typing import Any


class RpcError(Exception):
    """Base of every error raised by the RPC client."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class AddressError(RpcError):
    """An RPC address that cannot be used (syntax, unsupported scheme, binrpc)."""


class TransportError(RpcError):
    """The request could not be delivered or its reply not received."""

    def __init__(self, message: str, *, address: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.address = address


class ConnectError(TransportError):
    """Nothing answers at the address: missing file, refused, no reader."""


class RpcPermissionError(TransportError):
    """The operating system refused access to the FIFO, socket or directory."""


class RpcTimeout(TransportError):
    """No (complete) reply within the timeout."""


class ProtocolError(RpcError):
    """The peer answered with something that is not a valid JSON-RPC 2.0 reply."""


class RemoteError(RpcError):
    """The server answered with a JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.data = data

    def __str__(self) -> str:
        return f"{self.code} - {self.message}"


class RpcFault(Exception):
    """Raised by an RPC method to reply with an error object.

    Codes follow Kamailio's habit (400 bad input, 404 not found, 500 failure) for
    method-level faults; protocol-level errors use the JSON-RPC reserved codes.
    """

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def map_os_error(exc: OSError, *, what: str, address: str) -> TransportError:
    """Turn an OSError met while talking to ``what`` into the matching TransportError."""
    code = exc.errno
    reason = exc.strerror or str(exc)
    if code in (errno.EACCES, errno.EPERM):
        return RpcPermissionError(
            f"permission denied on {what}",
            address=address,
            hint="check that this user may read and write it (e.g. is in the proxy's group)",
        )
    if code == errno.ENOENT:
        return ConnectError(
            f"{what} does not exist",
            address=address,
            hint="is kamproxy running, and is this the right path? (see -s ADDRESS)",
        )
    if code in (errno.ECONNREFUSED, errno.ENXIO, errno.ENOTCONN, errno.ECONNRESET):
        return ConnectError(
            f"nobody is serving {what} ({reason})",
            address=address,
            hint="the proxy is not running or is not serving this transport",
        )
    if code in (errno.ETIMEDOUT, errno.EAGAIN):
        return RpcTimeout(f"timed out on {what}", address=address)
    return TransportError(f"{what}: {reason}", address=address)
