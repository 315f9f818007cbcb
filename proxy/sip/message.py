"""SIP requests and responses: lazy parsing, header edits, serialisation, replies.

:func:`parse_message` splits a datagram (or one framed stream message) into the start line,
the raw header fields and the body; nothing else is read until asked. ``msg.via`` parses only
the top Via, ``msg.cseq`` only CSeq, and each parsed value is cached until that header is
edited. Edits (:meth:`Message.add_header`, :meth:`~Message.set_header`, ...) apply at once,
so they compose: setting a header twice leaves only the last value.

``serialize()`` returns the original bytes for an unmodified message (when it carried a
correct Content-Length) and otherwise writes the message again, keeping the original text of
every untouched header line and always writing a correct Content-Length.

Every problem with the input is a :class:`~proxy.sip.errors.SipParseError`; when a request is
still answerable the error carries it (``err.request``) for :func:`make_response`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar, cast

from proxy.sip.errors import SipParseError, snip
from proxy.sip.headers import (
    CSeq,
    NameAddr,
    Via,
    canonical_name,
    header_key,
    is_list_header,
    parse_call_id,
    parse_cseq,
    parse_name_addr,
    parse_name_addr_list,
    parse_uint,
    parse_via,
    parse_via_list,
)
from proxy.sip.reasons import reason_phrase
from proxy.sip.syntax import TOKEN_RE, split_commas
from proxy.sip.uri import Uri, parse_uri

SIP_VERSION = "SIP/2.0"

#: Largest Content-Length we accept in a parsed message.
MAX_CONTENT_LENGTH = 2**31 - 1

# A header field: (lookup key, name as written, unfolded value, original line(s) or None).
_Field = tuple[str, str, str, str | None]
_M = TypeVar("_M", bound="Message")
_T = TypeVar("_T")

_HEADER_END_RE = re.compile(rb"\r?\n\r?\n")
_BLANKS_RE = re.compile(r"[ \t]+")
_VERSION_RE = re.compile(r"SIP/[0-9]+\.[0-9]+", re.IGNORECASE)
# Names (as written before the colon) seen before -> (lookup key, name): the hot path skips
# the token check for them.
_NAME_KEYS: dict[str, tuple[str, str]] = {}
_NAME_KEYS_MAX = 1024


class Message:
    """What requests and responses share: header fields, body, serialisation.

    Header names are case-insensitive and compact forms are understood everywhere
    (``msg.get_header("i")`` is the Call-ID). Accessors of typed values raise
    :class:`SipParseError` when the header is missing or malformed.
    """

    __slots__ = ("_fields", "_body", "_orig", "_cache")
    is_request: ClassVar[bool] = False

    _fields: list[_Field]
    _body: bytes
    _orig: bytes | None
    _cache: dict[str, Any]

    def __init__(self, headers: Iterable[tuple[str, str]] = (), body: bytes = b"") -> None:
        self._fields = []
        self._body = bytes(body)
        self._orig = None
        self._cache = {}
        for name, value in headers:
            self.add_header(name, value)

    # -- start line (overridden) -------------------------------------------------------------

    @property
    def method(self) -> str:
        """The request method; for a response, the method of its CSeq."""
        return self.cseq.method

    @property
    def status(self) -> int | None:
        """Status code of a response; None for a request."""
        return None

    @property
    def reason(self) -> str | None:
        """Reason phrase of a response; None for a request."""
        return None

    @property
    def ruri(self) -> Uri | None:
        """Request-URI of a request; None for a response."""
        return None

    def _start_line(self) -> str:
        raise NotImplementedError

    # -- raw header access ------------------------------------------------------------------

    @property
    def headers(self) -> list[tuple[str, str]]:
        """All header fields in order, as (name as written, value) pairs."""
        return [(f[1], f[2]) for f in self._fields]

    def has_header(self, name: str) -> bool:
        key = header_key(name)
        return any(f[0] == key for f in self._fields)

    def get_header(self, name: str) -> str | None:
        """Value of the first ``name`` header field (the whole line, commas and all), or None."""
        key = header_key(name)
        for f in self._fields:
            if f[0] == key:
                return f[2]
        return None

    def get_headers(self, name: str) -> list[str]:
        """Values of every ``name`` header field, top to bottom."""
        key = header_key(name)
        return [f[2] for f in self._fields if f[0] == key]

    def header_values(self, name: str) -> list[str]:
        """Every value of ``name``: list headers are split on commas, over all their fields."""
        values = self.get_headers(name)
        if not is_list_header(name):
            return values
        out: list[str] = []
        try:
            for value in values:
                out += split_commas(value)
        except SipParseError as err:
            raise self._fail(err) from None
        return out

    # -- header edits -------------------------------------------------------------------------

    def add_header(self, name: str, value: str, first: bool = False) -> None:
        """Add a header field.

        With ``first=False`` it goes after the last field of the same name (or at the end);
        with ``first=True`` before the first one (or at the top of the header section).
        """
        key, fld = _new_field(name, value)
        fields = self._fields
        positions = [i for i, f in enumerate(fields) if f[0] == key]
        if first:
            fields.insert(positions[0] if positions else 0, fld)
        elif positions:
            fields.insert(positions[-1] + 1, fld)
        else:
            fields.append(fld)
        self._touch(key)

    def remove_header(self, name: str) -> int:
        """Remove every ``name`` field; returns how many were removed."""
        key = header_key(name)
        before = len(self._fields)
        self._fields = [f for f in self._fields if f[0] != key]
        removed = before - len(self._fields)
        if removed:
            self._touch(key)
        return removed

    def set_header(self, name: str, value: str) -> None:
        """Replace every ``name`` field by one with ``value`` (in place of the first one)."""
        key, fld = _new_field(name, value)
        fields = self._fields
        positions = [i for i, f in enumerate(fields) if f[0] == key]
        if positions:
            at = positions[0]
            self._fields = [f for i, f in enumerate(fields) if f[0] != key or i == at]
            self._fields[at] = fld
        else:
            fields.append(fld)
        self._touch(key)

    def prepend_via(self, via: Via | str) -> None:
        """Put ``via`` on top of the Via stack (as a new first Via field)."""
        text = str(via)
        if not isinstance(via, Via):
            parse_via(text)
        self.add_header("Via", text, first=True)

    def replace_top_via(self, via: Via) -> None:
        """Put ``via`` in place of the top Via value (received/rport added, say).

        Cheaper than :meth:`pop_via` + :meth:`prepend_via`: the new value is not parsed
        again and stays cached as :attr:`via`.
        """
        for i, f in enumerate(self._fields):
            if f[0] != "via":
                continue
            value = f[2]
            if "," in value:
                try:
                    parts = split_commas(value)
                except SipParseError as err:
                    raise self._fail(err) from None
                value = ", ".join([str(via), *parts[1:]])
            else:
                value = str(via)
            self._fields[i] = ("via", f[1], value, None)
            self._touch("via")
            self._cache["via#"] = via
            return
        raise self._fail(SipParseError("missing Via header"))

    def pop_via(self) -> Via:
        """Remove the top Via value and return it (a field ``a, b`` keeps ``b``)."""
        for i, f in enumerate(self._fields):
            if f[0] != "via":
                continue
            try:
                parts = split_commas(f[2])
                top = parse_via(parts[0]) if parts else parse_via("")
            except SipParseError as err:
                raise self._fail(err) from None
            if len(parts) > 1:
                self._fields[i] = ("via", f[1], ", ".join(parts[1:]), None)
            else:
                del self._fields[i]
            self._touch("via")
            return top
        raise self._fail(SipParseError("missing Via header"))

    @property
    def body(self) -> bytes:
        return self._body

    def set_body(self, body: bytes, content_type: str | None = None) -> None:
        """Replace the body (Content-Length follows on serialise); optionally set Content-Type."""
        self._body = bytes(body)
        if content_type is not None:
            self.set_header("Content-Type", content_type)
        self._touch("content-length")

    def _touch(self, key: str) -> None:
        self._orig = None
        cache = self._cache
        if cache:
            cache.pop(key, None)
            cache.pop(key + "#", None)

    # -- typed values ---------------------------------------------------------------------------

    @property
    def via(self) -> Via:
        """The top Via value (only that one is parsed)."""
        cached = self._cache.get("via#")
        if cached is None:
            try:
                cached = self._top_via()
            except SipParseError as err:
                raise self._fail(err) from None
            self._cache["via#"] = cached
        return cast(Via, cached)

    @property
    def vias(self) -> list[Via]:
        """Every Via value, top first."""
        cached = self._cache.get("via")
        if cached is None:
            values = self.get_headers("via")
            try:
                if not values:
                    raise SipParseError("missing Via header")
                cached = [v for value in values for v in parse_via_list(value)]
            except SipParseError as err:
                raise self._fail(err) from None
            self._cache["via"] = cached
        return list(cast(list[Via], cached))

    @property
    def call_id(self) -> str:
        return self._parsed("call-id", "Call-ID", parse_call_id)

    @property
    def cseq(self) -> CSeq:
        return self._parsed("cseq", "CSeq", parse_cseq)

    @property
    def from_(self) -> NameAddr:
        return self._parsed("from", "From", _parse_from)

    @property
    def to(self) -> NameAddr:
        return self._parsed("to", "To", _parse_to)

    @property
    def max_forwards(self) -> int | None:
        """Max-Forwards (0 to 255), or None when absent."""
        return self._optional("max-forwards", "Max-Forwards", _parse_max_forwards)

    @property
    def expires(self) -> int | None:
        """The Expires header (seconds), or None when absent."""
        return self._optional("expires", "Expires", _parse_expires)

    @property
    def content_length(self) -> int | None:
        """Content-Length as declared in the header, or None when absent."""
        return self._optional("content-length", "Content-Length", _parse_content_length)

    @property
    def content_type(self) -> str | None:
        return self.get_header("content-type")

    @property
    def contact_star(self) -> bool:
        """True for ``Contact: *`` (remove all bindings); then :attr:`contacts` is empty."""
        values = self.get_headers("contact")
        return any(v.strip(" \t") == "*" for v in values)

    @property
    def contacts(self) -> list[NameAddr]:
        """Every Contact value (empty for none or for ``*``)."""
        cached = self._cache.get("contact")
        if cached is None:
            values = self.get_headers("contact")
            try:
                cached = _parse_contacts(values)
            except SipParseError as err:
                raise self._fail(err) from None
            self._cache["contact"] = cached
        return list(cached)

    @property
    def routes(self) -> list[NameAddr]:
        """Every Route value, top first."""
        return self._addr_list("route", "Route")

    @property
    def record_routes(self) -> list[NameAddr]:
        """Every Record-Route value, top first."""
        return self._addr_list("record-route", "Record-Route")

    def validate(self) -> None:
        """Parse what every SIP element relies on and raise the first problem found.

        Top Via, From, To, Call-ID, CSeq, Max-Forwards and, for a request, the Request-URI
        and that the CSeq method equals the request method.
        """
        self.via  # noqa: B018
        self.from_  # noqa: B018
        self.to  # noqa: B018
        self.call_id  # noqa: B018
        cseq = self.cseq
        self.max_forwards  # noqa: B018
        if isinstance(self, Request):
            self.ruri  # noqa: B018
            if cseq.method != self.method:
                raise self._fail(SipParseError("CSeq method does not match request method"))

    # -- helpers for the typed values -----------------------------------------------------------

    def _top_via(self) -> Via:
        for f in self._fields:
            if f[0] == "via":
                value = f[2]
                if "," in value:
                    parts = split_commas(value)
                    value = parts[0] if parts else ""
                return parse_via(value)
        raise SipParseError("missing Via header")

    def _single(self, key: str, what: str) -> str:
        found: str | None = None
        for f in self._fields:
            if f[0] == key:
                if found is not None:
                    raise SipParseError(f"more than one {what} header")
                found = f[2]
        if found is None:
            raise SipParseError(f"missing {what} header")
        return found

    def _parsed(self, key: str, what: str, parse: Callable[[str], _T]) -> _T:
        cache = self._cache
        if key in cache:
            return cast(_T, cache[key])
        try:
            value = parse(self._single(key, what))
        except SipParseError as err:
            raise self._fail(err) from None
        cache[key] = value
        return value

    def _optional(self, key: str, what: str, parse: Callable[[str], _T]) -> _T | None:
        cache = self._cache
        if key in cache:
            return cast("_T | None", cache[key])
        value: _T | None
        if not any(f[0] == key for f in self._fields):
            value = None
        else:
            try:
                value = parse(self._single(key, what))
            except SipParseError as err:
                raise self._fail(err) from None
        cache[key] = value
        return value

    def _addr_list(self, key: str, what: str) -> list[NameAddr]:
        cached = self._cache.get(key)
        if cached is None:
            try:
                cached = [a for value in self.get_headers(key)
                          for a in parse_name_addr_list(value, what)]
            except SipParseError as err:
                raise self._fail(err) from None
            self._cache[key] = cached
        return list(cached)

    def _fail(self, err: SipParseError) -> SipParseError:
        """``err`` tied to this message when a reply is still possible."""
        return err.with_request(self if isinstance(self, Request) and self._replyable()
                                else None)

    def _replyable(self) -> bool:
        """Can a reply be built? A request with a readable top Via and the other headers a
        reply copies (From, To, Call-ID, CSeq) present, even if one of those is malformed."""
        return False

    # -- output ---------------------------------------------------------------------------------

    def serialize(self) -> bytes:
        """The message as bytes, with a correct Content-Length."""
        orig = self._orig
        if orig is not None:
            return orig
        body = self._body
        length = str(len(body))
        lines = [self._start_line()]
        wrote_length = False
        for key, name, value, raw in self._fields:
            if key == "content-length":
                if wrote_length:
                    continue
                wrote_length = True
                if value != length or raw is None:
                    lines.append(f"{name}: {length}")
                    continue
            lines.append(raw if raw is not None else f"{name}: {value}")
        if not wrote_length:
            lines.append(f"Content-Length: {length}")
        lines.append("\r\n")
        head = "\r\n".join(lines).encode("utf-8", "surrogateescape")
        return head + body if body else head

    def __bytes__(self) -> bytes:
        return self.serialize()

    def copy(self: _M) -> _M:
        """An independent copy (edits to one do not show in the other)."""
        new = object.__new__(type(self))
        for cls in type(self).__mro__:
            for slot in getattr(cls, "__slots__", ()):
                object.__setattr__(new, slot, getattr(self, slot))
        new._fields = list(self._fields)
        new._cache = dict(self._cache)
        return new


class Request(Message):
    """A SIP request. ``Request("OPTIONS", "sip:bob@example.com", headers=[...])`` builds one."""

    __slots__ = ("_method", "_ruri_text", "_ruri", "_version", "_start")
    is_request: ClassVar[bool] = True

    _method: str
    _ruri_text: str
    _ruri: Uri | None
    _version: str
    _start: str | None

    def __init__(
        self,
        method: str,
        ruri: Uri | str,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> None:
        if TOKEN_RE.fullmatch(method) is None:
            raise ValueError(f"bad SIP method {snip(method)}")
        self._method = method
        self._version = SIP_VERSION
        self._start = None
        self._set_ruri(ruri)
        super().__init__(headers, body)

    def __repr__(self) -> str:
        return f"<Request {self._method} {self._ruri_text}>"

    @property
    def method(self) -> str:
        return self._method

    @property
    def version(self) -> str:
        return self._version

    @property
    def ruri(self) -> Uri:
        """The Request-URI, parsed on first use; assign a :class:`Uri` or text to change it."""
        uri = self._ruri
        if uri is None:
            try:
                uri = parse_uri(self._ruri_text)
            except SipParseError as err:
                raise self._fail(err) from None
            self._ruri = uri
        return uri

    @ruri.setter
    def ruri(self, value: Uri | str) -> None:
        self._set_ruri(value)
        self._start = None
        self._orig = None

    @property
    def ruri_text(self) -> str:
        """The Request-URI as written (no parsing)."""
        return self._ruri_text

    def _set_ruri(self, value: Uri | str) -> None:
        if isinstance(value, Uri):
            self._ruri, self._ruri_text = value, str(value)
        else:
            self._ruri = parse_uri(value)
            self._ruri_text = value

    def _start_line(self) -> str:
        return self._start or f"{self._method} {self._ruri_text} {self._version}"

    def _replyable(self) -> bool:
        try:
            self._top_via()
        except SipParseError:
            return False
        present = {f[0] for f in self._fields if f[2]}
        return {"from", "to", "call-id", "cseq"} <= present


class Response(Message):
    """A SIP response. Build replies to a request with :func:`make_response`."""

    __slots__ = ("_status", "_reason", "_version", "_start")

    _status: int
    _reason: str
    _version: str
    _start: str | None

    def __init__(
        self,
        status: int,
        reason: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> None:
        self._version = SIP_VERSION
        self._start = None
        self._set_status(status, reason)
        super().__init__(headers, body)

    def __repr__(self) -> str:
        return f"<Response {self._status} {self._reason}>"

    @property
    def status(self) -> int:
        return self._status

    @property
    def reason(self) -> str:
        return self._reason

    @property
    def version(self) -> str:
        return self._version

    def set_status(self, status: int, reason: str | None = None) -> None:
        """Change the status code and reason phrase (default phrase when None)."""
        self._set_status(status, reason)
        self._start = None
        self._orig = None

    def _set_status(self, status: int, reason: str | None) -> None:
        if type(status) is not int or not 100 <= status <= 699:
            raise ValueError(f"bad SIP status code {status!r}")
        if reason is None:
            reason = reason_phrase(status)
        if "\r" in reason or "\n" in reason:
            raise ValueError("reason phrase must not contain line breaks")
        self._status, self._reason = status, reason

    def _start_line(self) -> str:
        return self._start or f"{self._version} {self._status} {self._reason}"


# -- parsing --------------------------------------------------------------------------------


def parse_message(data: bytes) -> Request | Response:
    """Parse one SIP message (a datagram or a framed stream message).

    Leading CRLFs are skipped. With a Content-Length, extra bytes after the body are dropped
    (RFC 3261 18.3) and a shorter body is an error; without one the body is the rest of the
    data. Lines may end in CRLF or LF. Raises :class:`SipParseError` (``err.request`` is set
    when a reply is possible).
    """
    n = len(data)
    start = 0
    while start < n and data[start] in b"\r\n":
        start += 1
    if start == n:
        raise SipParseError("empty message")
    head_end, body_start = _find_header_end(data, start)
    head = data[start:head_end].decode("utf-8", "surrogateescape")
    lines = _split_lines(head)
    msg, error = _parse_start_line(lines[0])
    fields, lengths, field_error = _split_fields(lines)
    error = error or field_error
    msg._fields = fields
    msg._cache = {}
    msg._orig = None

    end = n
    if lengths:
        declared, length_error = _check_length(lengths)
        if length_error is None:
            if declared > n - body_start:
                length_error = ("body shorter than Content-Length", 400)
            else:
                end = body_start + declared
        error = error or length_error
    msg._body = data[body_start:end]
    if error is not None:
        raise msg._fail(SipParseError(error[0], status=error[1]))
    if lengths and data.count(b"\n", head_end, body_start) == 2:
        msg._orig = data[start:end]
    return msg


def _find_header_end(data: bytes, start: int) -> tuple[int, int]:
    """(end of the header section, start of the body)."""
    i = data.find(b"\r\n\r\n", start)
    if i >= 0 and data.find(b"\n\n", start, i) < 0 and data.find(b"\n\r\n", start, i) < 0:
        return i, i + 4
    m = _HEADER_END_RE.search(data, start)
    if m is not None:
        return m.start(), m.end()
    if data.endswith(b"\n"):  # the final empty line is missing: accept, write it back fixed
        n = len(data)
        return n - (2 if data.endswith(b"\r\n") else 1), n
    raise SipParseError("header section not terminated by an empty line")


def _split_lines(head: str) -> list[str]:
    """The lines of the header section without their CRLF or LF (a bare CR stays)."""
    crs = head.count("\r")
    if crs == 0:
        return head.split("\n")
    if crs == head.count("\n") == head.count("\r\n"):
        return head.split("\r\n")
    return [line[:-1] if line.endswith("\r") else line for line in head.split("\n")]


def _parse_start_line(line: str) -> tuple[Request | Response, tuple[str, int] | None]:
    """The empty message for the start line, and a replyable error found in it."""
    if "\r" in line:
        raise SipParseError(f"bare CR in start line {snip(line)}")
    if line.startswith("SIP/"):
        version, _, rest = line.partition(" ")
        code = rest[:3]
        if (_VERSION_RE.fullmatch(version) is None or not code.isascii() or not code.isdigit()
                or rest[3:4] not in ("", " ") or not 100 <= int(code) <= 699):
            raise SipParseError(f"bad status line {snip(line)}")
        resp = object.__new__(Response)
        resp._version, resp._status, resp._reason = version, int(code), rest[4:]
        resp._start = line
        error = None if version.upper() == SIP_VERSION else ("unsupported SIP version", 505)
        return resp, error
    parts = line.split(" ")
    if len(parts) != 3:
        parts = _BLANKS_RE.split(line.strip(" \t"))
    if len(parts) != 3:
        raise SipParseError(f"bad request line {snip(line)}")
    method, ruri, version = parts
    if TOKEN_RE.fullmatch(method) is None:
        raise SipParseError(f"bad request method {snip(method)}")
    if _VERSION_RE.fullmatch(version) is None:
        raise SipParseError(f"bad SIP version in request line {snip(version)}")
    req = object.__new__(Request)
    req._method, req._ruri_text, req._ruri, req._version = method, ruri, None, version
    req._start = line
    error = None if version.upper() == SIP_VERSION else ("unsupported SIP version", 505)
    return req, error


def _split_fields(lines: list[str]) -> tuple[list[_Field], list[str], tuple[str, int] | None]:
    """Header fields of ``lines[1:]`` (unfolded), the Content-Length values, the first error.

    A bad line is skipped (and reported) so that the rest can still serve a reply.
    """
    fields: list[_Field] = []
    lengths: list[str] = []
    error: str | None = None
    name_keys = _NAME_KEYS
    for line in lines[1:]:
        # Fast path: a name seen before (so a valid token), no folding, no stray CR.
        colon = line.find(":")
        if colon > 0:
            known = name_keys.get(line[:colon])
            if known is not None and "\r" not in line:
                value = line[colon + 1:].strip(" \t")
                fields.append((known[0], known[1], value, line))
                if known[0] == "content-length":
                    lengths.append(value)
                continue
        problem = _slow_line(line, colon, fields, lengths)
        error = error or problem
    return fields, lengths, (error, 400) if error else None


def _slow_line(line: str, colon: int, fields: list[_Field], lengths: list[str]) -> str | None:
    """Handle a line the fast path did not: folding, new names, errors (returned)."""
    if "\r" in line:
        return "bare CR in header line"
    if line[:1] in (" ", "\t"):
        if not fields:
            return "continuation line before the first header"
        key, name, value, raw = fields[-1]
        more = line.strip(" \t")
        value = f"{value} {more}" if value and more else value or more
        fields[-1] = (key, name, value, f"{raw}\r\n{line}")
        if key == "content-length":
            lengths[-1] = value
        return None
    if colon <= 0:
        return f"bad header line {snip(line)}"
    written = line[:colon]
    name = written.rstrip(" \t")
    if TOKEN_RE.fullmatch(name) is None:
        return f"bad header name {snip(name)}"
    key = header_key(name)
    if len(_NAME_KEYS) < _NAME_KEYS_MAX:
        _NAME_KEYS[written] = (key, name)
    value = line[colon + 1:].strip(" \t")
    fields.append((key, name, value, line))
    if key == "content-length":
        lengths.append(value)
    return None


def _check_length(lengths: list[str]) -> tuple[int, tuple[str, int] | None]:
    """The declared body size, or an error for bad or conflicting Content-Length values."""
    first = lengths[0]
    if any(v != first for v in lengths[1:]):
        return 0, ("conflicting Content-Length headers", 400)
    try:
        return parse_uint(first, "Content-Length", MAX_CONTENT_LENGTH), None
    except SipParseError as err:
        return 0, (err.message, 400)


def _new_field(name: str, value: str) -> tuple[str, _Field]:
    if TOKEN_RE.fullmatch(name) is None:
        raise ValueError(f"bad header name {snip(name)}")
    if "\r" in value or "\n" in value:
        raise ValueError(f"header value for {name} must not contain line breaks")
    try:
        value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise ValueError(f"header value for {name} cannot be encoded") from None
    key = header_key(name)
    value = value.strip(" \t")
    return key, (key, canonical_name(name), value, None)


def _parse_from(value: str) -> NameAddr:
    return parse_name_addr(value, "From")


def _parse_to(value: str) -> NameAddr:
    return parse_name_addr(value, "To")


def _parse_max_forwards(value: str) -> int:
    return parse_uint(value, "Max-Forwards", 255)


def _parse_expires(value: str) -> int:
    return parse_uint(value, "Expires")


def _parse_content_length(value: str) -> int:
    return parse_uint(value, "Content-Length", MAX_CONTENT_LENGTH)


def _parse_contacts(values: list[str]) -> list[NameAddr]:
    contacts: list[NameAddr] = []
    star = False
    for value in values:
        if value.strip(" \t") == "*":
            star = True
            continue
        contacts += parse_name_addr_list(value, "Contact")
    if star and contacts:
        raise SipParseError("bad Contact header: '*' mixed with addresses")
    return contacts


# -- replies ----------------------------------------------------------------------------------


def make_response(
    request: Request,
    code: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    content_type: str | None = None,
) -> Response:
    """A reply to ``request`` built as RFC 3261 8.2.6 says.

    Copies every Via (in order), From, To, Call-ID and CSeq as written (so a request with a
    malformed CSeq can still get its 400), adds ``;tag=to_tag`` to To unless To has a tag,
    copies Timestamp into a 100, then appends ``headers`` and the body.
    """
    resp = Response(code, reason)
    fields = resp._fields
    for key, name, value, _raw in request._fields:
        if key in ("via", "from", "call-id", "cseq") or (key == "timestamp" and code == 100):
            fields.append((key, canonical_name(name), value, None))
        elif key == "to":
            if to_tag is not None and not _has_tag(value, request._cache.get("to")):
                value = f"{value};tag={to_tag}"
            fields.append((key, "To", value, None))
    for name, value in headers:
        resp.add_header(name, value)
    if body or content_type is not None:
        resp.set_body(body, content_type)
    return resp


def _has_tag(to_value: str, parsed: NameAddr | None = None) -> bool:
    """Does the To value carry a tag? ``parsed`` is the request's To if already read."""
    if isinstance(parsed, NameAddr):
        return parsed.tag is not None
    try:
        return parse_name_addr(to_value, "To").tag is not None
    except SipParseError:
        return ";tag=" in to_value.replace(" ", "").lower()
