"""jsonrpcs' UNIX datagram transport, server side.

One datagram carries one request; the reply is one datagram sent from the server
socket to the address the request came from. A client must therefore bind its own
socket (to a file or to a Linux abstract name) to get an answer.

Where Kamailio drops a reply silently, this server says why in its log: an unbound
sender, a reply socket it may not write (kamcli issue #4), a client that went away,
a reply too large for one datagram (the client then gets a short error reply naming
the transports that can carry it).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
from typing import Any

from rpc.dispatch import Dispatcher, Reply
from rpc.protocol import INTERNAL_ERROR, INVALID_REQUEST, DecodeError, decode
from rpc.server.endpoint import (
    EndpointInUse,
    FileAccess,
    apply_access,
    clear_stale,
    inode_of,
    remove_if_ours,
)

log = logging.getLogger("rpc.dgram")

#: Kamailio's receive buffer; a longer datagram is refused.
DEFAULT_MAX_REQUEST = 65456
#: Send buffer asked for; it bounds the largest reply datagram (the kernel caps it).
SEND_BUFFER = 4 << 20
#: Datagrams read per wake-up, so one busy socket cannot starve the loop.
READ_BURST = 64
#: A client whose receive queue is full gets this many tries, this far apart.
SEND_ATTEMPTS = 50
SEND_RETRY_DELAY = 0.02

Sender = str | bytes | None


def describe(address: Sender) -> str:
    """A printable form of a sender address (``@name`` for an abstract one)."""
    if not address:
        return "an unbound socket"
    if isinstance(address, bytes):
        if address.startswith(b"\0"):
            return "@" + address[1:].decode("utf-8", "replace")
        return address.decode("utf-8", "replace")
    return address


class DatagramServer:
    """Serves a :class:`Dispatcher` on an AF_UNIX SOCK_DGRAM socket at ``path``."""

    name = "JSONRPCS DATAGRAM"

    def __init__(
        self,
        path: str,
        dispatcher: Dispatcher,
        *,
        access: FileAccess = FileAccess(),  # noqa: B008 - frozen, shared safely
        max_request: int = DEFAULT_MAX_REQUEST,
    ) -> None:
        if max_request < 1:
            raise ValueError("max_request must be positive")
        self.path = path
        self.dispatcher = dispatcher
        self.access = access
        self.max_request = max_request
        self._sock: socket.socket | None = None
        self._inode: tuple[int, int] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- life cycle -------------------------------------------------------------

    async def start(self) -> None:
        """Bind the socket (replacing a stale one) and start serving."""
        if self._sock is not None:
            raise RuntimeError(f"{self.name} at {self.path} is already started")
        self._sock, self._inode = _bind(self.path, self.access)
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._sock.fileno(), self._on_readable)
        log.info("dgram: serving JSON-RPC on unix:%s", self.path)

    async def close(self) -> None:
        """Stop serving, finish nothing more, and remove the socket file if still ours."""
        sock, self._sock = self._sock, None
        if sock is None:
            return
        if self._loop is not None:
            self._loop.remove_reader(sock.fileno())
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        sock.close()
        try:
            remove_if_ours(self.path, self._inode)
        except OSError as exc:  # e.g. privileges dropped since start
            log.warning("dgram: cannot remove %s: %s", self.path, exc.strerror or exc)
        self._inode = None

    # -- receiving --------------------------------------------------------------

    def _on_readable(self) -> None:
        sock = self._sock
        if sock is None:
            return
        for _ in range(READ_BURST):
            try:
                data, _anc, flags, sender = sock.recvmsg(self.max_request)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # nothing a client can cause; keep serving
                log.error("dgram: receive failed on %s: %s", self.path, exc)
                return
            truncated = bool(flags & socket.MSG_TRUNC)
            reply = None if truncated else self._answer_now(data, sender)
            if reply is None:
                work = self._serve(data, truncated, sender)
            elif reply.body is not None and not (sender and self._send_now(reply.body, sender)):
                work = self._deliver(reply, sender, data)
            else:
                continue
            task = asyncio.ensure_future(work)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _answer_now(self, data: bytes, sender: Sender) -> Reply | None:
        """The reply to a request for a plain method, computed at once; else None."""
        try:
            return self.dispatcher.handle_now(data, source="dgram")
        except Exception:  # a defect somewhere below: the general path logs it
            return None

    def _send_now(self, body: bytes, sender: str | bytes) -> bool:
        """One non-blocking sendto; False leaves the reply to :meth:`_deliver`."""
        try:
            assert self._sock is not None
            self._sock.sendto(body, sender)
        except OSError:  # full queue, too large, no permission: _deliver says why
            return False
        return True

    async def _serve(self, data: bytes, truncated: bool, sender: Sender) -> None:
        """Answer one datagram; never raises (a bad request must not stop the server)."""
        try:
            if truncated:
                await self._refuse_oversized(sender)
                return
            reply = await self.dispatcher.handle(data, source="dgram")
            await self._deliver(reply, sender, data)
        except asyncio.CancelledError:
            raise
        except Exception:  # a defect somewhere below: log it, keep serving
            log.exception("dgram: failed to answer a request from %s", describe(sender))

    async def _deliver(self, reply: Reply, sender: Sender, request: bytes) -> None:
        if reply.body is None:
            return
        if not sender:
            log.warning(
                "dgram: got a request from an unbound socket, cannot reply: the client "
                "must bind its socket to a path or an abstract name first; reply dropped"
            )
            return
        await self._reply(reply.body, sender, request)

    async def _refuse_oversized(self, sender: Sender) -> None:
        log.warning(
            "dgram: refused a request larger than %d bytes from %s",
            self.max_request,
            describe(sender),
        )
        if not sender:
            return
        message = f"Invalid request: request larger than {self.max_request} bytes"
        await self._reply(self._error(INVALID_REQUEST, message, None), sender, None)

    # -- sending ----------------------------------------------------------------

    async def _reply(self, body: bytes, sender: str | bytes, request: bytes | None) -> None:
        try:
            await self._send(body, sender)
            return
        except OSError as exc:
            if exc.errno not in (errno.EMSGSIZE, errno.ENOBUFS):
                self._log_send_failure(exc, sender)
                return
        log.warning(
            "dgram: the reply of %d bytes to %s is too large for a datagram; "
            "sent an error instead",
            len(body),
            describe(sender),
        )
        message = (
            f"Internal error: the reply of {len(body)} bytes is too large for a datagram; "
            "use the FIFO or HTTP transport"
        )
        try:
            await self._send(self._error(INTERNAL_ERROR, message, _request_id(request)), sender)
        except OSError as exc:
            self._log_send_failure(exc, sender)

    async def _send(self, body: bytes, sender: str | bytes) -> None:
        """sendto, waiting a little while the client's receive queue is full."""
        for _ in range(SEND_ATTEMPTS):
            sock = self._sock
            if sock is None:
                raise OSError(errno.ESHUTDOWN, "the server is closing")
            try:
                sock.sendto(body, sender)
                return
            except (BlockingIOError, InterruptedError):
                await asyncio.sleep(SEND_RETRY_DELAY)
        raise OSError(errno.EAGAIN, "the client's receive queue stayed full (it does not read)")

    def _log_send_failure(self, exc: OSError, sender: Sender) -> None:
        target = describe(sender)
        if exc.errno in (errno.EACCES, errno.EPERM):
            log.error(
                "dgram: permission denied sending the reply to %s: this server runs as uid %d "
                "and may not write that socket. The client must make its reply socket "
                "writable for us (e.g. group-writable for a group we are in) or bind to an "
                "abstract address",
                target,
                os.geteuid(),
            )
        elif exc.errno in (errno.ENOENT, errno.ECONNREFUSED, errno.ENOTCONN):
            log.warning(
                "dgram: the client's reply socket %s is gone (it gave up or exited); reply "
                "dropped",
                target,
            )
        else:
            log.error("dgram: cannot send the reply to %s: %s; reply dropped", target, exc)

    def _error(self, code: int, message: str, request_id: Any) -> bytes:
        doc = {"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": request_id}
        return self.dispatcher.encode(doc)


def _request_id(request: bytes | None) -> Any:
    """The id of a single request, for an error reply built without the dispatcher."""
    if request is None:
        return None
    try:
        doc = decode(request)
    except DecodeError:
        return None
    request_id = doc.get("id") if isinstance(doc, dict) else None
    return request_id if isinstance(request_id, (str, int, float)) else None


def _bind(path: str, access: FileAccess) -> tuple[socket.socket, tuple[int, int]]:
    """A non-blocking datagram socket bound at ``path`` with ``access`` applied."""
    clear_stale(path, "socket")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        # Linux creates the socket file with the socket's own mode less the umask:
        # narrowing it first means the file is never wider than asked, not even
        # for the moment between bind() and chmod().
        with contextlib.suppress(OSError):
            os.fchmod(sock.fileno(), access.mode & 0o777)
        try:
            sock.bind(path)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise EndpointInUse(exc.errno, f"{path} was taken by another process") from None
            raise OSError(exc.errno, f"cannot bind the RPC socket {path}: {exc.strerror}") from None
        inode = inode_of(path)
        try:
            apply_access(path, access)
        except BaseException:
            remove_if_ours(path, inode)
            raise
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
    except BaseException:
        sock.close()
        raise
    return sock, inode
