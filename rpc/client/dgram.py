"""jsonrpcs' UNIX datagram transport, client side.

The server sends its reply to the address the request came from, so the client binds
its socket first. By default it binds to a Linux abstract name: no file, nothing to
clean up, and no file permission between the proxy and us (the cause of kamcli issue
#4). With ``reply_socket_dir`` set it binds to a file there instead (for a server in
another network namespace), made writable as ``reply_mode``/``reply_group`` say and
removed on close.

One socket serves every call of the transport; a reply arriving after its call timed
out is recognised by its id and skipped by the next call.
"""

from __future__ import annotations

import array
import contextlib
import errno
import fcntl
import os
import socket
import termios
import time
import weakref
from typing import TYPE_CHECKING, Any

from rpc.client.base import ClientOptions, Params
from rpc.errors import (
    ProtocolError,
    RpcTimeout,
    TransportError,
    map_os_error,
)
from rpc.owners import resolve_gid
from rpc.protocol import DecodeError, build_request, decode, encode, parse_reply

if TYPE_CHECKING:
    import logging


#: Smallest receive buffer; a larger reply is read whole (its size is asked first).
MIN_BUFFER = 1 << 20
#: Stray datagrams (late replies) skipped in one call at most.
MAX_STRAY = 1000
#: Longest path a sockaddr_un holds.
MAX_PATH = 107
#: Tries to find an unused reply name.
BIND_ATTEMPTS = 5

_UNKNOWN = object()


def _log() -> logging.Logger:
    """The module's logger, imported on first use: kamcmd's start-up skips logging."""
    import logging

    return logging.getLogger("rpc.client")


class DatagramTransport:
    """Calls over the datagram socket at ``path``."""

    def __init__(self, path: str, options: ClientOptions) -> None:
        self.path = path
        self.address = f"unix:{path}"
        self.options = options
        self._sock: socket.socket | None = None
        self._reply_file: str | None = None
        self._closed = False
        self._finalizer: weakref.finalize[Any, Any] | None = None

    @property
    def reply_address(self) -> str | None:
        """Where replies come to (``@name`` for an abstract one); None before the first call."""
        if self._sock is None:
            return None
        name = self._sock.getsockname()
        if isinstance(name, bytes):
            return "@" + name[1:].decode("utf-8", "replace")
        return str(name)

    def call(self, method: str, params: Params, timeout: float) -> Any:
        request = build_request(method, params)
        data = encode(request)
        sock = self._socket()
        self._send(sock, data)
        return self._receive(sock, request["id"], timeout)

    def close(self) -> None:
        self._closed = True
        if self._finalizer is not None:
            self._finalizer()
        self._sock = None
        self._reply_file = None

    # -- the reply socket -----------------------------------------------------

    def _socket(self) -> socket.socket:
        if self._closed:
            raise TransportError("the transport is closed", address=self.address)
        if self._sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            try:
                self._reply_file = self._bind(sock)
            except BaseException:
                sock.close()
                raise
            self._sock = sock
            self._finalizer = weakref.finalize(self, _release, sock, self._reply_file)
        return self._sock

    def _bind(self, sock: socket.socket) -> str | None:
        """Bind ``sock`` to a fresh name; the file's path, or None for an abstract name."""
        directory = self.options.reply_socket_dir
        for _ in range(BIND_ATTEMPTS):
            name = f"kamctl-{os.getpid()}-{os.urandom(4).hex()}"
            if directory is None:
                try:
                    sock.bind("\0" + name)
                except OSError as exc:
                    if exc.errno == errno.EADDRINUSE:
                        continue
                    raise TransportError(
                        f"cannot bind an abstract reply socket: {exc.strerror}",
                        address=self.address,
                        hint="set a reply socket directory instead",
                    ) from None
                return None
            path = os.path.join(directory, name + ".sock")
            if len(os.fsencode(path)) > MAX_PATH:
                raise TransportError(
                    f"reply socket path {path} is longer than {MAX_PATH} bytes",
                    address=self.address,
                    hint="choose a shorter reply socket directory",
                )
            try:
                sock.bind(path)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    continue
                raise map_os_error(
                    exc, what=f"reply socket directory {directory}", address=self.address
                ) from None
            try:
                self._share(path)
            except BaseException:
                _unlink(path)
                raise
            return path
        raise TransportError("cannot find an unused reply socket name", address=self.address)

    def _share(self, path: str) -> None:
        """Give the reply socket file the mode and group that let the server write it."""
        try:
            os.chmod(path, self.options.reply_mode)
            gid = resolve_gid(self.options.reply_group)
            if gid != -1:
                os.chown(path, -1, gid)
        except ValueError as exc:
            raise TransportError(str(exc), address=self.address, hint="check reply_group") from None
        except OSError as exc:
            raise map_os_error(exc, what=f"reply socket {path}", address=self.address) from None

    # -- one call -----------------------------------------------------------

    def _send(self, sock: socket.socket, data: bytes) -> None:
        sock.settimeout(self.options.connect_timeout)
        try:
            sock.sendto(data, self.path)
        except TimeoutError:
            raise RpcTimeout(
                f"the RPC socket {self.path} did not take the request within "
                f"{self.options.connect_timeout:g} s",
                address=self.address,
                hint="the server is overloaded or has stopped reading its socket",
            ) from None
        except OSError as exc:
            raise self._send_error(exc, len(data)) from None

    def _send_error(self, exc: OSError, size: int) -> TransportError:
        if exc.errno == errno.EMSGSIZE:
            return TransportError(
                f"the request of {size} bytes is too large for a datagram",
                address=self.address,
                hint="use the FIFO or HTTP transport",
            )
        if exc.errno == errno.EPROTOTYPE:
            return TransportError(
                f"{self.path} is not a datagram socket",
                address=self.address,
                hint="is this the proxy's JSON-RPC datagram socket (not a binrpc/ctl one)?",
            )
        return map_os_error(exc, what=f"RPC socket {self.path}", address=self.address)

    def _receive(self, sock: socket.socket, request_id: Any, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        for _ in range(MAX_STRAY):
            data = self._next_datagram(sock, deadline, timeout)
            reply_id = _reply_id(data)
            if reply_id is not _UNKNOWN and reply_id is not None and reply_id != request_id:
                _log().debug(
                    "dgram: skipped a late reply (id %r) while waiting for id %r",
                    reply_id,
                    request_id,
                )
                continue
            return parse_reply(data)
        raise ProtocolError(f"too many unexpected datagrams on the reply socket of {self.address}")

    def _next_datagram(self, sock: socket.socket, deadline: float, timeout: float) -> bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._timeout(timeout)
        sock.settimeout(remaining)
        try:
            sock.recv(1, socket.MSG_PEEK)  # wait for a datagram without taking it
            size = _pending_size(sock)
            data, _anc, flags, _sender = sock.recvmsg(max(size, MIN_BUFFER))
        except TimeoutError:
            raise self._timeout(timeout) from None
        except OSError as exc:
            raise map_os_error(exc, what="the reply socket", address=self.address) from None
        if flags & socket.MSG_TRUNC:
            raise ProtocolError(f"a reply from {self.address} was truncated (over {size} bytes)")
        return data

    def _timeout(self, timeout: float) -> RpcTimeout:
        if self._reply_file is None:
            hint = (
                "is the proxy running and serving this socket? Replies come to an abstract "
                "socket address, which a server in another network namespace (a container) "
                "cannot reach: use a reply socket directory then"
            )
        else:
            hint = (
                f"is the proxy running and serving this socket, and may its user write the "
                f"reply socket {self._reply_file} (mode {self.options.reply_mode:o}"
                + (f", group {self.options.reply_group}" if self.options.reply_group else "")
                + ")? The proxy's log says 'permission denied' if not"
            )
        return RpcTimeout(
            f"no reply from {self.path} within {timeout:g} s", address=self.address, hint=hint
        )


def _pending_size(sock: socket.socket) -> int:
    """Size of the next datagram waiting on ``sock`` (Linux: FIONREAD on SOCK_DGRAM)."""
    buf = array.array("i", [0])
    try:
        fcntl.ioctl(sock.fileno(), termios.FIONREAD, buf)
    except OSError:
        return 0
    return buf[0]


def _reply_id(data: bytes) -> Any:
    """The id member of a reply, None without one, _UNKNOWN if it cannot be read."""
    try:
        doc = decode(data)
    except DecodeError:
        return _UNKNOWN
    return doc.get("id") if isinstance(doc, dict) else _UNKNOWN


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _release(sock: socket.socket, reply_file: str | None) -> None:
    sock.close()
    if reply_file is not None:
        _unlink(reply_file)
