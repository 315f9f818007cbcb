"""JSON-RPC over HTTP(S), client side (httpx).

Imported only for http(s) addresses, so the FIFO and datagram paths never load httpx.
One httpx.Client per transport keeps the connection alive across calls.

Kamailio answers a fault with the fault code as HTTP status and a JSON-RPC body, so
any status whose body is a JSON-RPC document is read as one; only a body that is not
JSON-RPC turns the status into the error (usually a wrong path: Kamailio serves
JSON-RPC only where its xhttp route calls jsonrpc_dispatch, /RPC by convention).
"""

from __future__ import annotations

import os
import ssl
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from rpc.client.base import ClientOptions, Params
from rpc.errors import (
    AddressError,
    ConnectError,
    ProtocolError,
    RpcError,
    RpcPermissionError,
    RpcTimeout,
    TransportError,
)
from rpc.protocol import DecodeError, build_request, decode, encode, parse_reply

DEFAULT_PATH = "/RPC"
_PATH_HINT = (
    "is the path right? kamproxy serves /RPC; Kamailio answers JSON-RPC only on the "
    "paths its xhttp event route passes to jsonrpc_dispatch() (usually ^/RPC)"
)
_TLS_HINT = (
    "give the CA that signed the server's certificate with --ca FILE, "
    "or (only for a test setup) skip verification with --insecure"
)


class HttpTransport:
    """Calls over HTTP(S) at ``url``."""

    def __init__(self, url: str, options: ClientOptions) -> None:
        self.options = options
        self.url, user, password = _split_credentials(url)
        self.address = self.url
        username = options.username if options.username is not None else user
        secret = options.password if options.password is not None else password
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        auth: httpx.BasicAuth | None = None
        if options.token:
            headers["Authorization"] = f"Bearer {options.token}"
            self._auth_sent = "a bearer token"
        elif username is not None:
            auth = httpx.BasicAuth(username, secret or "")
            self._auth_sent = f"Basic credentials of user {username!r}"
        else:
            self._auth_sent = "no credentials"
        self._client = httpx.Client(
            headers=headers,
            auth=auth,
            verify=self._verify(),
            timeout=httpx.Timeout(options.timeout, connect=options.connect_timeout),
            follow_redirects=False,
            trust_env=False,  # a management call must not wander through an env proxy
        )

    def call(self, method: str, params: Params, timeout: float) -> Any:
        request = build_request(method, params)
        limits = httpx.Timeout(timeout, connect=self.options.connect_timeout)
        try:
            response = self._client.post(self.url, content=encode(request), timeout=limits)
        except httpx.HTTPError as exc:
            raise self._map_error(exc, timeout) from None
        return self._result(response, request["id"])

    def close(self) -> None:
        self._client.close()

    # -- replies --------------------------------------------------------------

    def _result(self, response: httpx.Response, request_id: Any) -> Any:
        body = response.content
        if _is_jsonrpc(body):
            return parse_reply(body, expected_id=request_id)
        status = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
        if response.status_code in (401, 403):
            wanted = response.headers.get_list("www-authenticate")
            asks = f"the server asks for {' / '.join(wanted)}" if wanted else ""
            raise RpcPermissionError(
                f"{status} from {self.address} (we sent {self._auth_sent})",
                address=self.address,
                hint=(asks + "; " if asks else "")
                + "give a token (--token) or user:password@ in the URL",
            )
        if 300 <= response.status_code < 400:
            location = response.headers.get("location", "?")
            raise TransportError(
                f"{status} from {self.address}: redirected to {location}",
                address=self.address,
                hint="use that URL as the RPC address",
            )
        detail = _snippet(body)
        if response.status_code == 200:
            raise ProtocolError(
                f"the reply from {self.address} is not JSON-RPC ({status}"
                + (f": {detail}" if detail else ", empty body")
                + f"); {_PATH_HINT}"
            )
        raise TransportError(
            f"{status} from {self.address}" + (f": {detail}" if detail else ""),
            address=self.address,
            hint=_PATH_HINT if response.status_code in (404, 405) or not detail else "",
        )

    # -- errors, mapped in one place --------------------------------------------

    def _map_error(self, exc: httpx.HTTPError, timeout: float) -> RpcError:
        where = self.address
        if isinstance(exc, httpx.ConnectTimeout):
            return RpcTimeout(
                f"could not connect to {where} within {self.options.connect_timeout:g} s",
                address=where,
                hint="is the host reachable and the port open (no firewall dropping it)?",
            )
        if isinstance(exc, httpx.TimeoutException):
            return RpcTimeout(
                f"no reply from {where} within {timeout:g} s",
                address=where,
                hint="a slow method needs a longer --timeout; Kamailio never answers a request "
                "whose path its xhttp route does not handle: " + _PATH_HINT,
            )
        tls = _tls_failure(exc)
        if isinstance(tls, ssl.SSLCertVerificationError):
            return TransportError(
                f"the TLS certificate of {where} could not be verified: "
                f"{tls.verify_message or tls.reason}",
                address=where,
                hint=_TLS_HINT,
            )
        if tls is not None:
            return TransportError(
                f"TLS handshake with {where} failed: {tls.reason or tls}",
                address=where,
                hint="does this port serve HTTPS? Use http:// for a plain HTTP server",
            )
        if isinstance(exc, httpx.ConnectError):
            return ConnectError(
                f"cannot connect to {where}: {_reason(exc)}",
                address=where,
                hint="is kamproxy running with its HTTP transport on this host and port?",
            )
        if isinstance(exc, httpx.RemoteProtocolError):
            return TransportError(
                f"{where} closed the connection or answered with broken HTTP: {_reason(exc)}",
                address=where,
                hint="is this an HTTP JSON-RPC server?",
            )
        if isinstance(exc, httpx.UnsupportedProtocol):
            return AddressError(f"unsupported URL {where}: {_reason(exc)}")
        return TransportError(f"HTTP request to {where} failed: {_reason(exc)}", address=where)

    def _verify(self) -> bool | ssl.SSLContext:
        verify = self.options.verify
        if not isinstance(verify, str) or not self.url.lower().startswith("https:"):
            return bool(verify)
        try:
            if os.path.isdir(verify):
                return ssl.create_default_context(capath=verify)
            return ssl.create_default_context(cafile=verify)
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise TransportError(
                f"cannot load the CA certificates {verify}: {reason}",
                address=self.address,
                hint="--ca needs a PEM file (or a hashed certificate directory)",
            ) from None


def _split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """(URL without user:password@, user, password); an empty path becomes /RPC."""
    try:
        parts = urlsplit(url)
        user = unquote(parts.username) if parts.username is not None else None
        password = unquote(parts.password) if parts.password is not None else None
        parts.port  # noqa: B018 - validates the port
    except ValueError as exc:
        raise AddressError(f"invalid URL {url!r}: {exc}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise AddressError(f"invalid RPC URL {url!r}", hint="use http(s)://HOST:PORT/RPC")
    netloc = parts.netloc.rpartition("@")[2]
    clean = urlunsplit((parts.scheme, netloc, parts.path or DEFAULT_PATH, parts.query, ""))
    try:
        httpx.URL(clean)
    except httpx.InvalidURL as exc:
        raise AddressError(f"invalid URL {clean!r}: {exc}") from None
    return clean, user, password


def _is_jsonrpc(body: bytes) -> bool:
    if body.lstrip()[:1] not in (b"{", b"["):
        return False
    try:
        doc = decode(body)
    except DecodeError:
        return False
    return isinstance(doc, dict) and "jsonrpc" in doc


def _snippet(body: bytes) -> str:
    """The start of a non-JSON-RPC body, on one line."""
    text = " ".join(body[:200].decode("utf-8", "replace").split())
    return text + ("…" if len(body) > 200 else "")


def _tls_failure(exc: BaseException) -> ssl.SSLError | None:
    """The ssl error behind an httpx error, if any (httpx keeps it in the chain)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return text or type(exc).__name__
