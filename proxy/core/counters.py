"""The ``core:`` statistics, with Kamailio 5.6's names, and how messages move them.

* ``rcv_requests`` and ``rcv_requests_<method>`` for the 14 methods Kamailio counts;
  a method outside RFC 3261 and its extensions also counts ``unsupported_methods``.
* ``rcv_replies``, ``rcv_replies_<class>`` (1xx..6xx), ``rcv_replies_18x``,
  ``rcv_replies_{401,404,407,480,486}`` and ``rcv_replies_<class>_<method>`` for INVITE,
  CANCEL, BYE, REGISTER (``reg``), MESSAGE, PRACK, UPDATE and REFER. A code counts in its
  class and in its own counter (a 180 in ``1xx`` and ``18x``).
* ``fwd_requests``/``fwd_replies``: relayed statelessly (tm counts its own relays).
* ``drop_requests``/``drop_replies``: dropped without an answer (unanswerable malformed
  requests, replies not addressed to us or with no Via left to go to).
* ``err_requests``/``err_replies``: processing failed (malformed, a forwarding error,
  a handler that raised).
* ``bad_URIs_rcvd``: a Request-URI that cannot be read; ``bad_msg_hdr``: a message whose
  headers cannot be read.
"""

from __future__ import annotations

from proxy.core.stats import Counter, Statistics

REQUEST_METHODS = ("INVITE", "CANCEL", "ACK", "BYE", "INFO", "REGISTER", "SUBSCRIBE", "NOTIFY",
                   "MESSAGE", "OPTIONS", "PRACK", "UPDATE", "REFER", "PUBLISH")
#: methods a SIP element may see that are not "unsupported" (RFC 3261 and extensions)
KNOWN_METHODS = frozenset(REQUEST_METHODS)
#: reply method -> the suffix Kamailio uses
REPLY_METHODS = {"INVITE": "invite", "CANCEL": "cancel", "BYE": "bye", "REGISTER": "reg",
                 "MESSAGE": "message", "PRACK": "prack", "UPDATE": "update", "REFER": "refer"}
REPLY_CODES = (401, 404, 407, 480, 486)


class CoreCounters:
    """The core group's counters, as attributes, plus per-method and per-code tables."""

    def __init__(self, stats: Statistics) -> None:
        group = stats.group("core")
        c = group.counter
        self.rcv_requests = c("rcv_requests")
        self.rcv_replies = c("rcv_replies")
        self.fwd_requests = c("fwd_requests")
        self.fwd_replies = c("fwd_replies")
        self.drop_requests = c("drop_requests")
        self.drop_replies = c("drop_replies")
        self.err_requests = c("err_requests")
        self.err_replies = c("err_replies")
        self.bad_uris_rcvd = c("bad_URIs_rcvd")
        self.unsupported_methods = c("unsupported_methods")
        self.bad_msg_hdr = c("bad_msg_hdr")
        self._requests = {m: c(f"rcv_requests_{m.lower()}") for m in REQUEST_METHODS}
        self._classes: list[Counter] = [c(f"rcv_replies_{n}xx") for n in range(1, 7)]
        self._r18x = c("rcv_replies_18x")
        self._codes = {code: c(f"rcv_replies_{code}") for code in REPLY_CODES}
        self._class_method = {
            (n, method): c(f"rcv_replies_{n}xx_{suffix}")
            for n in range(1, 7) for method, suffix in REPLY_METHODS.items()
        }

    def request(self, method: str) -> None:
        """A request was received."""
        self.rcv_requests.inc()
        counter = self._requests.get(method)
        if counter is not None:
            counter.inc()
        elif method not in KNOWN_METHODS:
            self.unsupported_methods.inc()

    def reply(self, status: int, method: str | None) -> None:
        """A reply was received (``method`` from its CSeq, None when unreadable)."""
        self.rcv_replies.inc()
        n = status // 100
        if not 1 <= n <= 6:
            return
        self._classes[n - 1].inc()
        if 180 <= status <= 189:
            self._r18x.inc()
        else:
            code = self._codes.get(status)
            if code is not None:
                code.inc()
        if method is not None:
            per_method = self._class_method.get((n, method))
            if per_method is not None:
                per_method.inc()
