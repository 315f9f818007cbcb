"""The one error the SIP message layer raises for bad input.

Every parser in :mod:`proxy.sip` turns whatever is wrong with the bytes it was given into a
:class:`SipParseError`; nothing else escapes on any input (the fuzz tests hold us to it).
The error says two things a server needs: *what* is wrong (a short text that is also fit to
be a reason phrase) and whether a reply is still possible (:attr:`SipParseError.can_reply`,
with the partly read request attached so that ``make_response(err.request, err.status,
str(err))`` can build it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from proxy.sip.message import Request


class SipParseError(ValueError):
    """Bad SIP input: a message, a header value or a URI that cannot be read.

    ``str(err)`` is short, single-line ASCII-safe text such as ``"bad CSeq header: number
    is not an integer"``; it may serve as the reason phrase of the reply.

    Attributes:
        can_reply: True when the message is a request whose start line, top Via, From, To,
            Call-ID and CSeq could be read, so a reply (usually 400) can be sent back.
        request: that request (as far as it was read) when ``can_reply`` is true, else None.
        status: the status code a reply should carry (400, 416 for an unsupported URI scheme,
            505 for an unsupported SIP version).
    """

    def __init__(
        self, message: str, *, status: int = 400, request: Request | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.request = request

    @property
    def can_reply(self) -> bool:
        return self.request is not None

    def with_request(self, request: Request | None) -> SipParseError:
        """A copy of this error tied to ``request`` (same class, text and status)."""
        err = type(self)(self.message, status=self.status, request=request)
        err.__cause__ = self.__cause__
        return err


class SipFramingError(SipParseError):
    """A stream cannot be cut into messages (limits, bad Content-Length): close the connection."""


def snip(text: str, limit: int = 40) -> str:
    """A short, printable, quoted excerpt of bad input for an error message."""
    if len(text) > limit:
        text = text[:limit] + "..."
    return ascii(text)
