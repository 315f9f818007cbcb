"""Why a request could not be relayed, with the reply a UAS-side caller should send."""

from __future__ import annotations


class ForwardError(Exception):
    """A request cannot be forwarded; ``status``/``reason`` make the local reply."""

    status = 500
    reason = "Server Internal Error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class TooManyHops(ForwardError):
    """Max-Forwards is 0 (RFC 3261 16.3 item 3)."""

    status = 483
    reason = "Too Many Hops"


class LoopDetected(ForwardError):
    """The request would be sent to this proxy itself, or came back here unchanged."""

    status = 482
    reason = "Loop Detected"


class Unresolvable(ForwardError):
    """The destination host has no address, or its transport is not one we speak."""

    status = 478
    reason = "Unresolvable destination"


class SendFailed(ForwardError):
    """No socket for the protocol/family, or the transport refused the message."""

    status = 477
    reason = "Send failed"
