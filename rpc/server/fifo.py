"""The jsonrpcs FIFO transport, server side (Kamailio 5.6 framing).

Clients write JSON documents into one named pipe; each document names, in its
``reply_name`` member, a FIFO that the client made in the reply directory, and the
answer is written there. The pipe is a byte stream with no delimiters, so documents
are framed by counting braces and brackets outside JSON strings.

Differences from Kamailio 5.6, on purpose:

* backslash escapes inside strings are honoured (Kamailio loses its place after
  ``"\\\\"`` and swallows the next requests);
* stray bytes between documents are skipped instead of spoiling the next document;
* a top-level ``[`` is a batch and is answered as one;
* an oversized document is skipped to its end and the stream stays in step; the
  client gets an error if its ``reply_name`` could be seen;
* an incomplete document followed by silence (a client that died mid-write, or
  kamctl's unescaped quote) is dropped after ``partial_timeout`` so the FIFO
  recovers; its client gets a parse error when possible;
* ``reply_name`` may contain a dot (kamcli sends ``kamailio_rpc_reply.fifo``);
* each document is served in its own task, so a client that never reads its reply
  delays nobody else, and every reply is bounded by ``reply_timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import re
import stat
from dataclasses import dataclass

from rpc.dispatch import Dispatcher
from rpc.protocol import INVALID_REQUEST
from rpc.server.endpoint import (
    EndpointInUse,
    FileAccess,
    apply_access,
    clear_stale,
    inode_of,
    remove_if_ours,
)

log = logging.getLogger("rpc")

#: Bytes taken from the FIFO per wake-up.
READ_SIZE = 65536
#: Documents served at once; beyond this the FIFO is not read (writers wait).
MAX_IN_FLIGHT = 128
#: Attempts to open a reply FIFO that has no reader yet, and the pause between them.
OPEN_ATTEMPTS = 5
OPEN_RETRY_DELAY = 0.1
#: Seconds close() lets in-flight replies finish before cancelling them.
CLOSE_GRACE = 0.5
#: Longest reply_name accepted (a file name).
MAX_REPLY_NAME = 255

_OPEN_BRACKETS = b"{["
_BACKSLASH = ord("\\")
_QUOTE = ord('"')
_DOC_START = re.compile(rb"[{\[]")
_STRUCTURAL = re.compile(rb'[{}\[\]"]')
_IN_STRING = re.compile(rb'["\\]')
_REPLY_NAME = re.compile(rb'"reply_name"\s*:\s*"([^"\\/\x00]{1,255})"')
#: Bytes of discarded input kept so that a reply_name split across reads is still seen.
_SNIFF_TAIL = 300


# -- framing -----------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """A framed document; ``complete`` is False for one cut short by silence."""

    data: bytes
    complete: bool = True


@dataclass(frozen=True)
class Oversized:
    """A document refused for its size; ``reply_name`` if it could be seen."""

    size: int
    reply_name: str | None


Event = Document | Oversized


class JsonFramer:
    """Splits a byte stream into JSON objects and arrays.

    Feed it bytes as they come; it returns each document once its outermost brace or
    bracket closes. Memory is bounded by ``max_size``: a longer document is counted
    through to its end but not kept.
    """

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._in_garbage = False
        self._reset()

    def _reset(self) -> None:
        self._depth = 0
        self._in_string = False
        self._escape = False
        self._buffer = bytearray()
        self._discarding = False
        self._discarded = 0
        self._sniffed: str | None = None
        self._tail = b""

    @property
    def pending(self) -> bool:
        """True while a document has started but not ended."""
        return self._depth > 0

    @property
    def buffered(self) -> int:
        """Bytes held for the current document."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Event]:
        """Consume ``data``; return the documents (and refusals) it completed."""
        events: list[Event] = []
        pos, size = 0, len(data)
        while pos < size:
            if self._depth == 0:
                match = _DOC_START.search(data, pos)
                start = match.start() if match else size
                if data[pos:start].strip():
                    self._stray(data[pos:start])
                if match is None:
                    break
                self._in_garbage = False
                pos = start
            end = self._scan(data, pos)
            self._take(data[pos : size if end < 0 else end])
            if end < 0:
                break
            events.append(self._finish())
            pos = end
        return events

    def flush(self) -> Event | None:
        """Give up on the current incomplete document and return what is known of it."""
        if self._depth == 0:
            return None
        event: Event
        if self._discarding:
            event = Oversized(self._discarded, self._sniffed)
        else:
            event = Document(bytes(self._buffer), complete=False)
        self._reset()
        return event

    def _scan(self, data: bytes, pos: int) -> int:
        """Index just after the byte that closes the document, or -1 if not in ``data``."""
        size = len(data)
        if self._escape and pos < size:
            self._escape = False
            pos += 1
        while pos < size:
            if self._in_string:
                match = _IN_STRING.search(data, pos)
                if match is None:
                    return -1
                at = match.start()
                if data[at] == _BACKSLASH:
                    if at + 1 >= size:
                        self._escape = True
                        return -1
                    pos = at + 2
                else:
                    self._in_string = False
                    pos = at + 1
                continue
            match = _STRUCTURAL.search(data, pos)
            if match is None:
                return -1
            at = match.start()
            pos = at + 1
            char = data[at]
            if char == _QUOTE:
                self._in_string = True
            elif char in _OPEN_BRACKETS:
                self._depth += 1
            else:
                self._depth -= 1
                if self._depth == 0:
                    return pos
        return -1

    def _take(self, segment: bytes) -> None:
        """Keep ``segment`` of the current document, or count it once over the limit."""
        if not self._discarding and len(self._buffer) + len(segment) <= self.max_size:
            self._buffer += segment
            return
        if not self._discarding:
            self._discarding = True
            log.warning(
                "fifo: request larger than %d bytes refused; skipping to its end",
                self.max_size,
            )
            segment = bytes(self._buffer) + segment
            self._discarded = 0
            self._buffer = bytearray()
        self._discarded += len(segment)
        if self._sniffed is None:
            window = self._tail + segment
            match = _REPLY_NAME.search(window)
            if match:
                self._sniffed = match.group(1).decode("utf-8", "replace")
            self._tail = window[-_SNIFF_TAIL:]

    def _finish(self) -> Event:
        event: Event
        if self._discarding:
            event = Oversized(self._discarded, self._sniffed)
        else:
            event = Document(bytes(self._buffer))
        self._reset()
        return event

    def _stray(self, chunk: bytes) -> None:
        if not self._in_garbage:
            self._in_garbage = True
            log.warning("fifo: skipping stray bytes between requests: %r", chunk[:40])


# -- reply targets -----------------------------------------------------------


def salvage(data: bytes, max_size: int) -> tuple[bytes, list[Event]]:
    """Split requests that were glued onto an unfinished one.

    A document that never closes swallows the requests written after it. Writers
    (kamctl, our client) start each request on a new line, so the first line start
    from which whole documents can be framed again is taken as the end of the broken
    one: ``(broken head, recovered documents)``.
    """
    start = data.find(b"\n{", 1)
    while start >= 0:
        events = JsonFramer(max_size).feed(data[start + 1 :])
        if events:
            return data[:start], events
        start = data.find(b"\n{", start + 1)
    return data, []


def reply_name_problem(name: str) -> str | None:
    """Why ``name`` may not be used as a reply FIFO name, or None if it may."""
    if not name:
        return "empty name"
    if len(name) > MAX_REPLY_NAME:
        return f"longer than {MAX_REPLY_NAME} characters"
    if "/" in name or "\x00" in name:
        return "must be a plain file name (no '/' or NUL)"
    if name in (".", ".."):
        return "must be a plain file name"
    return None


class _Refused(Exception):
    """The reply target may not be written; the message says why."""


# -- the server ----------------------------------------------------------------


class FifoServer:
    """Serves JSON-RPC over a FIFO, answering into client-made reply FIFOs."""

    name = "JSONRPCS FIFO"

    def __init__(
        self,
        path: str,
        dispatcher: Dispatcher,
        *,
        reply_dir: str = "/tmp/",
        access: FileAccess = FileAccess(),  # noqa: B008 - frozen dataclass, safe default
        max_request: int = 65536,
        reply_timeout: float = 2.0,
        partial_timeout: float = 2.0,
    ) -> None:
        self.path = path
        self.dispatcher = dispatcher
        self.reply_dir = reply_dir
        self.access = access
        self.max_request = max_request
        self.reply_timeout = reply_timeout
        #: Seconds of silence after which an incomplete document is dropped.
        self.partial_timeout = partial_timeout
        self._framer = JsonFramer(max_request)
        self._inode: tuple[int, int] | None = None
        self._read_fd = -1
        self._keep_fd = -1
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._paused = False
        self._broken = False
        self._idle: asyncio.TimerHandle | None = None
        self._closed = False

    # -- life cycle ---------------------------------------------------------------

    async def start(self) -> None:
        """Create the FIFO (replacing a stale one) and start reading it."""
        if self._loop is not None:
            raise RuntimeError("FIFO server already started")
        clear_stale(self.path, "fifo")
        try:
            os.mkfifo(self.path, 0o600)
        except FileExistsError:
            raise EndpointInUse(
                errno.EADDRINUSE, f"{self.path} was just created by another process"
            ) from None
        try:
            self._inode = inode_of(self.path)
            try:
                apply_access(self.path, self.access)
            except ValueError as exc:  # unknown user or group
                raise OSError(errno.EINVAL, f"{self.path}: {exc}") from None
            self._read_fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
            st = os.fstat(self._read_fd)
            if (st.st_dev, st.st_ino) != self._inode:
                raise OSError(errno.EEXIST, f"{self.path} was replaced while starting")
            # Our own writer: the read side never sees EOF when clients come and go.
            self._keep_fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
        except BaseException:
            self._close_fds()
            remove_if_ours(self.path, self._inode)
            raise
        if not os.path.isdir(self.reply_dir):
            log.warning(
                "fifo: reply directory %s does not exist; no reply can be sent", self.reply_dir
            )
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._read_fd, self._on_readable)
        log.info("fifo: serving %s (replies in %s)", self.path, self.reply_dir)

    async def close(self) -> None:
        """Stop reading, let in-flight replies finish briefly, remove our FIFO."""
        if self._closed:
            return
        self._closed = True
        if self._idle is not None:
            self._idle.cancel()
        if self._loop is not None and self._read_fd >= 0 and not self._paused:
            self._loop.remove_reader(self._read_fd)
        self._close_fds()
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=CLOSE_GRACE)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=CLOSE_GRACE)
        remove_if_ours(self.path, self._inode)

    def _close_fds(self) -> None:
        for fd in (self._read_fd, self._keep_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._read_fd = self._keep_fd = -1

    # -- reading ------------------------------------------------------------------

    def _on_readable(self) -> None:
        try:
            data = os.read(self._read_fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError as exc:
            log.error("fifo: cannot read %s: %s; FIFO transport stopped", self.path, exc)
            self._broken = True
            self._pause()
            return
        if not data:  # cannot happen while we hold a writer; do not spin if it does
            return
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        for event in self._framer.feed(data):
            self._spawn(event)
        if self._framer.pending and self._loop is not None:
            self._idle = self._loop.call_later(self.partial_timeout, self._on_silence)

    def _on_silence(self) -> None:
        self._idle = None
        event = self._framer.flush()
        if event is None:
            return
        log.warning(
            "fifo: dropping an incomplete request after %.1f s without more data",
            self.partial_timeout,
        )
        if isinstance(event, Document):
            head, salvaged = salvage(event.data, self.max_request)
            event = Document(head, complete=False)
            for document in salvaged:
                log.warning("fifo: recovered a request written after the incomplete one")
                self._spawn(document)
        self._spawn(event)

    def _spawn(self, event: Event) -> None:
        task = asyncio.get_running_loop().create_task(self._serve(event))
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        if len(self._tasks) >= MAX_IN_FLIGHT:
            self._pause()

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        stopped = self._closed or self._broken
        if self._paused and not stopped and len(self._tasks) < MAX_IN_FLIGHT // 2:
            self._paused = False
            if self._loop is not None and self._read_fd >= 0:
                self._loop.add_reader(self._read_fd, self._on_readable)

    def _pause(self) -> None:
        if not self._paused and self._loop is not None and self._read_fd >= 0:
            self._loop.remove_reader(self._read_fd)
        self._paused = True

    # -- answering ----------------------------------------------------------------

    async def _serve(self, event: Event) -> None:
        try:
            if isinstance(event, Oversized):
                await self._refuse_oversized(event)
                return
            reply = await self.dispatcher.handle(event.data, source="fifo")
            if reply.body is None:
                return
            if reply.reply_name is None:
                log.warning(
                    "fifo: request without reply_name cannot be answered: %r",
                    event.data[:80],
                )
                return
            await self._send_reply(reply.reply_name, reply.body)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("fifo: failed to serve a request")

    async def _refuse_oversized(self, event: Oversized) -> None:
        log.warning("fifo: skipped a %d-byte request (limit %d)", event.size, self.max_request)
        if event.reply_name is None:
            return
        message = f"Invalid request: larger than {self.max_request} bytes"
        body = self.dispatcher.encode(
            {"jsonrpc": "2.0", "error": {"code": INVALID_REQUEST, "message": message}, "id": None}
        )
        await self._send_reply(event.reply_name, body)

    async def _send_reply(self, reply_name: str, body: bytes) -> None:
        """Write ``body`` into the client's reply FIFO; log and drop on any problem."""
        problem = reply_name_problem(reply_name)
        if problem:
            log.warning("fifo: refused reply_name %r: %s", reply_name, problem)
            return
        target = os.path.join(self.reply_dir, reply_name)
        try:
            async with asyncio.timeout(self.reply_timeout):
                fd = await self._open_reply(target)
                try:
                    await _write_all(fd, body)
                finally:
                    os.close(fd)
        except _Refused as exc:
            log.warning("fifo: cannot reply to %s: %s", target, exc)
        except TimeoutError:
            log.warning(
                "fifo: reply to %s dropped: not read within %.1f s", target, self.reply_timeout
            )
        except OSError as exc:
            log.warning("fifo: cannot write reply to %s: %s", target, exc.strerror or exc)

    async def _open_reply(self, target: str) -> int:
        """Open the reply FIFO for writing after checking it is a safe target."""
        for attempt in range(1, OPEN_ATTEMPTS + 1):
            st = _check_target(target)
            try:
                fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
            except OSError as exc:
                if exc.errno == errno.ENXIO:
                    if attempt < OPEN_ATTEMPTS:
                        await asyncio.sleep(OPEN_RETRY_DELAY)
                        continue
                    raise _Refused(
                        f"no client reads it (gave up after {attempt} attempts)"
                    ) from None
                if exc.errno == errno.ELOOP:
                    raise _Refused("it is a symbolic link") from None
                raise
            fst = os.fstat(fd)
            if (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino):
                os.close(fd)
                raise _Refused("it was replaced while being opened")
            return fd
        raise AssertionError("unreachable")  # pragma: no cover


def _check_target(target: str) -> os.stat_result:
    """lstat of an existing FIFO with a single link, else raise _Refused."""
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        raise _Refused("it does not exist (the client must create it first)") from None
    except OSError as exc:
        raise _Refused(exc.strerror or str(exc)) from None
    if stat.S_ISLNK(st.st_mode):
        raise _Refused("it is a symbolic link")
    if not stat.S_ISFIFO(st.st_mode):
        raise _Refused("it is not a FIFO")
    if st.st_nlink != 1:
        raise _Refused(f"it has {st.st_nlink} hard links")
    return st


async def _write_all(fd: int, body: bytes) -> None:
    """Write all of ``body`` to a non-blocking fd, waiting for room as needed."""
    view = memoryview(body)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            await _writable(fd)
            continue
        view = view[written:]


async def _writable(fd: int) -> None:
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_writer(fd, wake)
    try:
        await ready
    finally:
        loop.remove_writer(fd)
