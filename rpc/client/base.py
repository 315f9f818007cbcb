"""The client side: a one-method transport interface and the client built on it.

A transport delivers one call and returns its result (or raises an
:class:`rpc.errors.RpcError`); :class:`Client` adds defaults and the context manager.
Transports are chosen by address in :func:`rpc.client.connect`.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, NamedTuple, Protocol

#: Seconds to wait for a reply unless told otherwise.
DEFAULT_TIMEOUT = 5.0
#: Seconds to wait for a connection (HTTP) or for the server to take a request.
DEFAULT_CONNECT_TIMEOUT = 3.0

Params = Sequence[Any] | dict[str, Any] | None


class ClientOptions(NamedTuple):
    """Settings a transport may use; each ignores what does not concern it."""

    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    #: FIFO: the server's reply directory, where the per-call reply FIFO is made.
    reply_dir: str = "/tmp/"
    #: FIFO/datagram: mode of the reply FIFO or reply socket file.
    reply_mode: int = 0o622
    #: FIFO/datagram: group to give the reply file (name or gid), so the proxy may write it.
    reply_group: str | int | None = None
    #: Datagram: directory for a reply socket file; None: an abstract (fileless) address.
    reply_socket_dir: str | None = None
    #: HTTP: bearer token (Authorization: Bearer ...).
    token: str | None = None
    #: HTTP: Basic credentials (also taken from user:password@ in the URL).
    username: str | None = None
    password: str | None = None
    #: HTTPS: True, False (insecure, only by explicit flag) or a CA bundle path.
    verify: bool | str = True


class Transport(Protocol):
    """Delivers calls to one address."""

    address: str

    def call(self, method: str, params: Params, timeout: float) -> Any:
        """Send one request and return its ``result``; raise RpcError on failure."""
        ...

    def close(self) -> None:
        """Release sockets and files; the transport is unusable afterwards."""
        ...


class Client:
    """Calls RPC methods over one transport."""

    def __init__(self, transport: Transport, options: ClientOptions | None = None) -> None:
        self.transport = transport
        self.options = options or ClientOptions()

    @property
    def address(self) -> str:
        return self.transport.address

    def call(self, method: str, *params: Any, timeout: float | None = None) -> Any:
        """Call ``method`` with positional ``params`` and return its result."""
        return self.transport.call(method, list(params) or None, timeout or self.options.timeout)

    def call_named(self, method: str, params: dict[str, Any], timeout: float | None = None) -> Any:
        """Call ``method`` with named params (kamproxy binds them by name)."""
        return self.transport.call(method, params, timeout or self.options.timeout)

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
