"""The jsonrpcs FIFO transport, client side (what kamctl does, with timeouts).

Per call: make a uniquely named reply FIFO in the server's reply directory, open it
for reading, write the request (naming it in ``reply_name``) into the server's FIFO,
read the reply until the server closes its end, remove the reply FIFO.

Linux FIFO detail: a reader opened with O_NONBLOCK sees read() == 0 both before any
writer came and after the last one left. poll() reports POLLHUP only in the second
case, so EOF is trusted only after POLLHUP or once data has arrived.

Escaped backslashes are sent as ``\\u005c`` (see :func:`kamailio_safe`) so that
Kamailio 5.6, whose framing trips over them, gets every request intact.

Requests longer than PIPE_BUF (4096 bytes) may interleave with other clients' writes
on a busy FIFO; that is a property of the FIFO protocol itself.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import select
import stat
import time
from typing import Any

from rpc.client.base import ClientOptions, Params
from rpc.errors import (
    ConnectError,
    ProtocolError,
    RpcPermissionError,
    RpcTimeout,
    TransportError,
    map_os_error,
)
from rpc.owners import resolve_gid
from rpc.protocol import build_request, encode, parse_reply

#: Largest reply accepted, so a runaway server cannot exhaust memory.
MAX_REPLY = 64 * 1024 * 1024
_READ_SIZE = 65536
_HUP = select.POLLHUP | select.POLLERR


class FifoTransport:
    """Calls methods through a jsonrpcs FIFO (kamproxy or Kamailio)."""

    def __init__(self, path: str, options: ClientOptions) -> None:
        self.path = path
        self.options = options
        self.address = f"fifo:{path}"
        self._closed = False

    def call(self, method: str, params: Params, timeout: float) -> Any:
        if self._closed:
            raise TransportError("the FIFO transport is closed", address=self.address)
        name = f"kamctl_reply_{os.getpid()}_{secrets.token_hex(6)}"
        reply_path = os.path.join(self.options.reply_dir, name)
        request = build_request(method, params, extra={"reply_name": name})
        self._make_reply_fifo(reply_path)
        try:
            reply_fd = os.open(reply_path, os.O_RDONLY | os.O_NONBLOCK)
            try:
                self._send(kamailio_safe(encode(request)) + b"\n")
                data = self._receive(reply_fd, reply_path, method, timeout)
            finally:
                os.close(reply_fd)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(reply_path)
        return parse_reply(data, request["id"])

    def close(self) -> None:
        self._closed = True

    # -- the reply FIFO -------------------------------------------------------------

    def _make_reply_fifo(self, reply_path: str) -> None:
        """mkfifo with the configured mode and group; errors name the directory."""
        directory = self.options.reply_dir
        try:
            os.mkfifo(reply_path, 0o600)
        except OSError as exc:
            raise self._reply_dir_error(exc, directory) from None
        try:
            os.chmod(reply_path, self.options.reply_mode)  # umask-proof
            if self.options.reply_group not in (None, ""):
                os.chown(reply_path, -1, resolve_gid(self.options.reply_group))
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(reply_path)
            if isinstance(exc, ValueError):
                raise TransportError(
                    f"cannot give the reply FIFO to group {self.options.reply_group!r}: {exc}",
                    address=self.address,
                    hint="check the reply group setting",
                ) from None
            if isinstance(exc, OSError):
                raise RpcPermissionError(
                    f"cannot set group {self.options.reply_group!r} or mode "
                    f"{self.options.reply_mode:o} on reply FIFO {reply_path}: {exc.strerror}",
                    address=self.address,
                    hint="this user must be a member of that group",
                ) from None
            raise

    def _reply_dir_error(self, exc: OSError, directory: str) -> TransportError:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return ConnectError(
                f"reply directory {directory} does not exist",
                address=self.address,
                hint="create it, or set the reply directory to the proxy's fifo_reply_dir",
            )
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return RpcPermissionError(
                f"cannot create a reply FIFO in {directory}: {exc.strerror}",
                address=self.address,
                hint="this user may not write there; use a reply directory that both this "
                "user and the proxy can use",
            )
        return TransportError(
            f"cannot create a reply FIFO in {directory}: {exc.strerror}", address=self.address
        )

    # -- sending ---------------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        """Write the request into the server FIFO within connect_timeout."""
        what = f"the RPC FIFO {self.path}"
        try:
            if not stat.S_ISFIFO(os.stat(self.path).st_mode):
                raise ConnectError(
                    f"{self.path} is not a FIFO",
                    address=self.address,
                    hint="is this the right path? (see -s ADDRESS)",
                )
            fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            raise map_os_error(exc, what=what, address=self.address) from None
        try:
            if not stat.S_ISFIFO(os.fstat(fd).st_mode):
                raise ConnectError(f"{self.path} is not a FIFO", address=self.address)
            self._write_all(fd, data, what)
        finally:
            os.close(fd)

    def _write_all(self, fd: int, data: bytes, what: str) -> None:
        deadline = time.monotonic() + self.options.connect_timeout
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(fd, view) :]
                continue
            except BlockingIOError:
                pass
            except OSError as exc:
                raise map_os_error(exc, what=what, address=self.address) from None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RpcTimeout(
                    f"{what} did not take the request within {self.options.connect_timeout:g} s",
                    address=self.address,
                    hint="the FIFO is full: is the proxy running and reading it?",
                )
            poller.poll(_millis(remaining))

    # -- receiving -------------------------------------------------------------------

    def _receive(self, fd: int, reply_path: str, method: str, timeout: float) -> bytes:
        """Read the reply until the server closes the FIFO, within ``timeout``."""
        deadline = time.monotonic() + timeout
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        data = bytearray()
        hangup = False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._timeout(method, reply_path, timeout, len(data))
            events = poller.poll(_millis(remaining))
            if not events:
                continue
            hangup = hangup or any(mask & _HUP for _fd, mask in events)
            try:
                chunk = os.read(fd, _READ_SIZE)
            except BlockingIOError:
                continue
            if chunk:
                data += chunk
                if len(data) > MAX_REPLY:
                    raise ProtocolError(f"reply larger than {MAX_REPLY} bytes")
                continue
            if hangup or data:
                return bytes(data)
            time.sleep(0.01)  # read() == 0 without POLLHUP: no writer yet

    def _timeout(self, method: str, reply_path: str, timeout: float, got: int) -> RpcTimeout:
        state = f"only {got} bytes of the reply" if got else "no reply"
        return RpcTimeout(
            f"{state} to {method} within {timeout:g} s (request written to {self.path}, "
            f"reply expected in {reply_path})",
            address=self.address,
            hint="is the proxy busy, and does its reply directory match "
            f"{self.options.reply_dir} (Kamailio: fifo_reply_dir)? See the proxy's log",
        )


def kamailio_safe(text: bytes) -> bytes:
    """Spell each escaped backslash ``\\\\`` as ``\\u005c``: the same JSON value.

    Kamailio 5.6 frames FIFO requests by treating any quote after a backslash as
    escaped, so a string ending in a backslash (``"back\\\\"``) never closes and its
    FIFO swallows every later request. In compact JSON every backslash starts an escape,
    so a left-to-right replace of the pair is exact.
    """
    return text.replace(b"\\\\", b"\\u005c")


def _millis(seconds: float) -> int:
    return max(1, int(seconds * 1000) + 1)
