"""Cutting a byte stream (TCP, TLS) into SIP messages (RFC 3261 18.3, RFC 5626 keep-alives).

A :class:`StreamFramer` is fed whatever the socket returned and hands back complete frames:
message bytes (for :func:`~proxy.sip.message.parse_message`), :data:`PING` for a
``CRLFCRLF`` keep-alive (answer it with :data:`PONG`) and :data:`PONG` for a lone ``CRLF``.
It handles partial reads and pipelined messages, and raises
:class:`~proxy.sip.errors.SipFramingError` when a header section or body exceeds its limit
or the Content-Length cannot be read; the transport then closes the connection (the framer
is unusable afterwards).
"""

from __future__ import annotations

import re

from proxy.sip.errors import SipFramingError

#: A keep-alive ping (RFC 5626 3.5.1): double CRLF. Compare frames with ``==``.
PING = b"\r\n\r\n"
#: A keep-alive pong: single CRLF.
PONG = b"\r\n"

DEFAULT_MAX_HEADER_BYTES = 16384
DEFAULT_MAX_BODY_BYTES = 65536

_HEADER_END_RE = re.compile(rb"\r?\n\r?\n")
_LENGTH_RE = re.compile(rb"\n(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)


class StreamFramer:
    """Incremental framer for one stream connection.

    >>> framer = StreamFramer()
    >>> framer.feed(b"\\r\\n\\r\\nOPTIONS sip:a@b SIP/2.0\\r\\nContent-Length: 0\\r\\n\\r\\n")
    [b'\\r\\n\\r\\n', b'OPTIONS sip:a@b SIP/2.0\\r\\nContent-Length: 0\\r\\n\\r\\n']

    A message without Content-Length is taken to have an empty body (the header is
    mandatory on streams).
    """

    def __init__(
        self,
        max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.max_header_bytes = max_header_bytes
        self.max_body_bytes = max_body_bytes
        self._buf = bytearray()
        self._scan_from = 0  # where to resume looking for the end of the header section
        self._need = 0  # total size of the current message once its header is read

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as a frame."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes]:
        """Add ``data`` and return the frames it completed, in order."""
        buf = self._buf
        buf += data
        frames: list[bytes] = []
        while buf:
            if self._need == 0:
                first = buf[0]
                if first in (13, 10):
                    if not self._keepalive(buf, frames):
                        break
                    continue
                if not self._read_header():
                    break
            if len(buf) < self._need:
                break
            frames.append(bytes(buf[:self._need]))
            del buf[:self._need]
            self._need = 0
            self._scan_from = 0
        return frames

    def _keepalive(self, buf: bytearray, frames: list[bytes]) -> bool:
        """Consume CR/LF bytes found between messages; False when more bytes are needed."""
        if buf.startswith(PING):
            frames.append(PING)
            del buf[:4]
            return True
        if len(buf) < 4 and PING.startswith(buf):
            return False  # maybe the start of a ping
        if buf.startswith(PONG):
            frames.append(PONG)
            del buf[:2]
        else:
            del buf[:1]  # a stray CR or LF: ignored (RFC 3261 7.5)
        return True

    def _read_header(self) -> bool:
        """Find the header section and set the message size; False when incomplete."""
        buf = self._buf
        m = _HEADER_END_RE.search(buf, self._scan_from)
        if m is None:
            if len(buf) > self.max_header_bytes:
                raise SipFramingError("header section too large")
            self._scan_from = max(0, len(buf) - 3)
            return False
        if m.start() > self.max_header_bytes:
            raise SipFramingError("header section too large")
        length = self._content_length(bytes(buf[:m.start()]))
        self._need = m.end() + length
        return True

    def _content_length(self, head: bytes) -> int:
        values = {v.strip(b" \t") for v in _LENGTH_RE.findall(head)}
        if not values:
            return 0
        if len(values) > 1:
            raise SipFramingError("conflicting Content-Length headers")
        value = values.pop()
        if not value.isdigit() or len(value) > 10:
            raise SipFramingError("bad Content-Length header")
        length = int(value)
        if length > self.max_body_bytes:
            raise SipFramingError("body too large")
        return length


def is_keepalive(datagram: bytes) -> bool:
    """True for a datagram that only keeps a NAT binding open (CRLFs, blanks or NULs)."""
    return len(datagram) <= 8 and not datagram.strip(b"\r\n \t\x00")
