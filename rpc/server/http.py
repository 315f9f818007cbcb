"""JSON-RPC over HTTP/1.1, server side: a small HTTP server on asyncio streams.

``POST /RPC`` (and ``/RPC/...``, with or without a query) carries one JSON-RPC
document. Everything else is answered at once with a status and a short text/plain
body saying what is wrong; Kamailio's xhttp leaves such connections hanging.

What it does not do: chunked request bodies (411, asking for a Content-Length),
pipelined requests are served one after the other, TLS is left to a front end.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from rpc.dispatch import Dispatcher, Reply

log = logging.getLogger("rpc.http")

#: Largest header section (request line included); more gets 431.
MAX_HEAD_BYTES = 16 * 1024
#: Most header lines in one request.
MAX_HEADERS = 100
#: Empty lines tolerated before a request line (a stray CRLF after a body).
MAX_LEADING_BLANKS = 4
#: Requests served on one connection before it is closed.
MAX_REQUESTS_PER_CONNECTION = 10_000
#: After an error reply, unread input is drained this long (and this much) before
#: closing, so that the client reads the reply instead of a connection reset.
LINGER_SECONDS = 1.0
LINGER_BYTES = 1 << 20
REALM = "kamproxy"
RPC_PATH = "/RPC"

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_VERSION = re.compile(r"^HTTP/(\d)\.(\d)$")


class HttpError(Exception):
    """An HTTP error reply; the connection is closed after it."""

    def __init__(
        self, status: int, message: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


class _Gone(Exception):
    """The client closed its side before a complete request arrived."""


@dataclass
class Request:
    """The parts of a request head that this server uses."""

    method: str
    target: str
    version: tuple[int, int]
    headers: dict[str, list[str]] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return None if values is None else ", ".join(values)

    @property
    def path(self) -> str:
        if self.target.startswith(("http://", "https://")):
            return urlsplit(self.target).path or "/"
        return self.target.split("?", 1)[0]

    @property
    def keep_alive(self) -> bool:
        tokens = {t.strip().lower() for t in (self.header("connection") or "").split(",")}
        if self.version >= (1, 1):
            return "close" not in tokens
        return "keep-alive" in tokens


class HttpServer:
    """Serves a :class:`Dispatcher` over HTTP/1.1 at ``host:port``."""

    name = "JSONRPCS HTTP"

    def __init__(
        self,
        host: str,
        port: int,
        dispatcher: Dispatcher,
        *,
        token: str | None = None,
        basic_users: dict[str, str] | None = None,
        max_body: int = 1 << 20,
        header_timeout: float = 10.0,
        body_timeout: float = 10.0,
        idle_timeout: float = 30.0,
    ) -> None:
        if token is not None and not token:
            raise ValueError("an empty bearer token would let anyone in")
        self.host = host
        self.dispatcher = dispatcher
        self.max_body = max_body
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.idle_timeout = idle_timeout
        #: Connections accepted since start (a statistic; tests use it to see reuse).
        self.accepted = 0
        self._port = port
        self._token = _digest(token) if token is not None else None
        self._basic = (
            None if basic_users is None else {u: _digest(p) for u, p in basic_users.items()}
        )
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def port(self) -> int:
        """The bound port (the one the system chose, for port 0) once started."""
        if self._server is not None and self._server.sockets:
            return int(self._server.sockets[0].getsockname()[1])
        return self._port

    async def start(self) -> None:
        if self._server is not None:
            raise RuntimeError(f"{self.name} on {self.host}:{self.port} is already started")
        self._server = await asyncio.start_server(
            self._connection, self.host, self._port, limit=MAX_HEAD_BYTES + 2
        )
        log.info("http: serving JSON-RPC on http://%s:%d%s", self.host, self.port, RPC_PATH)

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    # -- one connection -------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self.accepted += 1
        peer = writer.get_extra_info("peername")
        try:
            for index in range(MAX_REQUESTS_PER_CONNECTION):
                if not await self._exchange(reader, writer, first=index == 0):
                    break
        except (ConnectionError, OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
            log.debug("http: connection from %s ended: %s", peer, exc)
        except asyncio.CancelledError:
            pass  # the server is closing
        except Exception:  # a defect below: log it, keep serving others
            log.exception("http: failed to serve a connection from %s", peer)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), LINGER_SECONDS)
            if task is not None:
                self._tasks.discard(task)

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, first: bool
    ) -> bool:
        """Serve one request; True to keep the connection for another."""
        wait = self.header_timeout if first else self.idle_timeout
        try:
            async with asyncio.timeout(wait):
                start = await reader.read(1)
        except TimeoutError:
            if first:  # a fresh connection that says nothing; an idle one just closes
                await self._fail(reader, writer, _timeout_error("request", wait))
            return False
        if not start:
            return False
        if not (start in b"\r\n" or _TOKEN.match(start.decode("latin-1"))):
            # e.g. a TLS handshake: no point waiting for a line that never comes
            await self._fail(reader, writer, HttpError(400, "this is not an HTTP request"))
            return False
        request: Request | None = None
        try:
            async with asyncio.timeout(self.header_timeout):
                request = await _read_head(reader, start)
            body = await self._checked_body(reader, writer, request)
        except TimeoutError:
            error = _timeout_error("request header", self.header_timeout)
        except HttpError as refused:
            error = refused
        except _Gone as gone:
            error = HttpError(400, str(gone))
        else:
            reply = await self._dispatch(body)
            keep = request.keep_alive
            await self._respond(writer, reply, request, keep)
            return keep
        head_only = request is not None and request.method == "HEAD"
        await self._fail(reader, writer, error, head_only=head_only)
        return False

    async def _checked_body(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request
    ) -> bytes:
        """Check the head, then read the body; HttpError for every refusal."""
        self._check_auth(request)
        if not _is_rpc_path(request.path):
            raise HttpError(404, f"no JSON-RPC service at {request.path}: POST requests to /RPC")
        if request.method != "POST":
            raise HttpError(
                405,
                f"method {request.method} not allowed: POST a JSON-RPC document to /RPC",
                (("Allow", "POST"),),
            )
        length = self._content_length(request)
        self._expect(request, writer)
        try:
            async with asyncio.timeout(self.body_timeout):
                return await reader.readexactly(length)
        except TimeoutError:
            raise _timeout_error("request body", self.body_timeout) from None
        except asyncio.IncompleteReadError as exc:
            raise _Gone(
                f"the connection was closed after {len(exc.partial)} of {length} body bytes"
            ) from None

    def _check_auth(self, request: Request) -> None:
        if self._token is None and self._basic is None:
            return
        challenges: list[tuple[str, str]] = []
        schemes: list[str] = []
        if self._token is not None:
            challenges.append(("WWW-Authenticate", f'Bearer realm="{REALM}"'))
            schemes.append("Authorization: Bearer TOKEN")
        if self._basic is not None:
            challenges.append(("WWW-Authenticate", f'Basic realm="{REALM}", charset="UTF-8"'))
            schemes.append("Basic credentials")
        credentials = request.header("authorization")
        if credentials is None:
            raise HttpError(
                401, "authentication required: send " + " or ".join(schemes), tuple(challenges)
            )
        if not self._authorized(credentials):
            log.warning("http: rejected a request with wrong credentials")
            raise HttpError(401, "wrong credentials", tuple(challenges))

    def _authorized(self, credentials: str) -> bool:
        scheme, _, value = credentials.strip().partition(" ")
        scheme, value = scheme.lower(), value.strip()
        if scheme == "bearer" and self._token is not None:
            token = value.encode("latin-1").decode("utf-8", "replace")  # header bytes as sent
            return hmac.compare_digest(_digest(token), self._token)
        if scheme == "basic" and self._basic is not None:
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return False
            user, colon, password = decoded.partition(":")
            expected = self._basic.get(user)
            # compare even for an unknown user, so timing does not tell users apart
            same = hmac.compare_digest(_digest(password), expected or _digest(""))
            return bool(colon) and expected is not None and same
        return False

    def _content_length(self, request: Request) -> int:
        if request.header("transfer-encoding") is not None:
            raise HttpError(
                411,
                "chunked (or any) Transfer-Encoding is not supported: "
                "send the body with a Content-Length header",
            )
        values = request.headers.get("content-length")
        if not values:
            raise HttpError(411, "a Content-Length header is required")
        texts = {v.strip() for value in values for v in value.split(",")}
        if len(texts) != 1 or not next(iter(texts)).isdigit():
            raise HttpError(400, f"invalid Content-Length: {', '.join(values)}")
        length = int(next(iter(texts)))
        if length > self.max_body:
            raise HttpError(
                413, f"request body of {length} bytes is over the limit of {self.max_body} bytes"
            )
        return length

    @staticmethod
    def _expect(request: Request, writer: asyncio.StreamWriter) -> None:
        expect = request.header("expect")
        if expect is None or request.version < (1, 1):
            return
        if expect.strip().lower() != "100-continue":
            raise HttpError(417, f"unsupported expectation: {expect}")
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    async def _dispatch(self, body: bytes) -> Reply:
        try:
            return await self.dispatcher.handle(body, source="http")
        except Exception:  # the dispatcher answers faults itself; this is a defect
            log.exception("http: the dispatcher failed")
            doc = {"jsonrpc": "2.0", "error": {"code": -32603, "message": "Internal error"},
                   "id": None}
            return Reply(self.dispatcher.encode(doc), None, 500)

    # -- writing ------------------------------------------------------------

    async def _respond(
        self, writer: asyncio.StreamWriter, reply: Reply, request: Request, keep: bool
    ) -> None:
        status = reply.status
        if reply.body is not None and (status < 200 or status in (204, 205, 304)):
            status = 500  # a fault code that HTTP cannot carry with a body
        headers: list[tuple[str, str]] = []
        if reply.body is not None:
            headers.append(("Content-Type", "application/json"))
        if not keep:
            headers.append(("Connection", "close"))
        elif request.version < (1, 1):
            headers.append(("Connection", "keep-alive"))
        await self._write(writer, status, headers, reply.body)

    async def _fail(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        error: HttpError,
        *,
        head_only: bool = False,
    ) -> None:
        """Answer ``error``, then close gently: drain what the client still sends."""
        if error.status >= 500 or error.status == 408:
            log.warning("http: %d %s", error.status, error.message)
        else:
            log.info("http: %d %s", error.status, error.message)
        reason = _reason(error.status)
        body = f"{error.status} {reason}: {error.message}\n".encode()
        headers = [("Content-Type", "text/plain; charset=utf-8"), *error.headers]
        headers.append(("Connection", "close"))
        with contextlib.suppress(ConnectionError, OSError, TimeoutError):
            await self._write(writer, error.status, headers, body, head_only=head_only)
            if writer.can_write_eof():
                writer.write_eof()
            await _drain_input(reader)

    async def _write(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes | None,
        *,
        head_only: bool = False,
    ) -> None:
        """Write one response; ``head_only`` (a HEAD request) leaves the body out."""
        lines = [
            f"HTTP/1.1 {status} {_reason(status)}",
            "Server: kamproxy",
            f"Date: {formatdate(usegmt=True)}",
            *(f"{name}: {value}" for name, value in headers),
        ]
        if status not in (204, 304):
            lines.append(f"Content-Length: {len(body or b'')}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        with_body = status not in (204, 304) and not head_only
        writer.write(head + (body or b"") if with_body else head)
        async with asyncio.timeout(self.idle_timeout):
            await writer.drain()


async def _read_head(reader: asyncio.StreamReader, start: bytes) -> Request:
    """Read and parse the request line and headers (``start``: the first byte, read)."""
    total = 0

    async def line() -> bytes:
        nonlocal total
        try:
            text = await reader.readline()
        except ValueError:  # a line longer than the stream limit
            raise HttpError(431, f"header section larger than {MAX_HEAD_BYTES} bytes") from None
        total += len(text)
        if total > MAX_HEAD_BYTES:
            raise HttpError(431, f"header section larger than {MAX_HEAD_BYTES} bytes")
        if not text.endswith(b"\n"):
            raise _Gone("the connection was closed in the middle of the request header")
        return text

    first = start if start == b"\n" else start + await line()
    for _ in range(MAX_LEADING_BLANKS):
        if first.strip(b"\r\n"):
            break
        first = await line()
    request = _parse_request_line(first)
    for _ in range(MAX_HEADERS):
        text = await line()
        if text in (b"\r\n", b"\n"):
            return request
        name, value = _parse_header(text)
        request.headers.setdefault(name, []).append(value)
    raise HttpError(431, f"more than {MAX_HEADERS} header lines")


def _parse_request_line(raw: bytes) -> Request:
    text = raw.decode("latin-1").rstrip("\r\n")
    parts = text.split(" ")
    shown = text[:80]
    if len(parts) != 3 or not all(parts):
        raise HttpError(400, f"malformed request line: {shown!r}")
    method, target, version = parts
    match = _VERSION.match(version)
    if not _TOKEN.match(method) or match is None:
        raise HttpError(400, f"malformed request line: {shown!r}")
    if match.group(1) != "1":
        raise HttpError(505, f"HTTP version {version[5:]} is not supported: use HTTP/1.1")
    if not target.startswith(("/", "http://", "https://")):
        raise HttpError(400, f"malformed request target: {target[:80]!r}")
    return Request(method, target, (1, int(match.group(2))))


def _parse_header(raw: bytes) -> tuple[str, str]:
    text = raw.decode("latin-1").rstrip("\r\n")
    if text[:1] in (" ", "\t"):
        raise HttpError(400, "folded header lines are not accepted")
    name, colon, value = text.partition(":")
    if not colon or not _TOKEN.match(name):
        raise HttpError(400, f"malformed header line: {text[:80]!r}")
    return name.lower(), value.strip(" \t")


def _is_rpc_path(path: str) -> bool:
    return path == RPC_PATH or path.startswith(RPC_PATH + "/")


def _timeout_error(what: str, seconds: float) -> HttpError:
    return HttpError(408, f"the {what} did not arrive within {seconds:g} s")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error" if status >= 400 else "Status"


def _digest(secret: str) -> bytes:
    """Secrets are compared as digests: equal length, so no length leak either."""
    return hashlib.sha256(secret.encode("utf-8")).digest()


async def _drain_input(reader: asyncio.StreamReader) -> None:
    """Read and drop input until EOF, for a bounded time and size."""
    received = 0
    with contextlib.suppress(TimeoutError, ConnectionError, OSError):
        async with asyncio.timeout(LINGER_SECONDS):
            while received < LINGER_BYTES:
                chunk = await reader.read(65536)
                if not chunk:
                    return
                received += len(chunk)
