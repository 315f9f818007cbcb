"""What happens to every received SIP message (layer 3): sanity, Via received/rport,
stateless replies and relaying, statistics, local-domain matching.

Public API for tm, modules and routing (see docs/sip-internals.md):

- :class:`SipCore`: ``receive`` (the transports' packet handler), ``set_handlers``,
  ``reply``, ``forward``, ``forward_reply``, ``is_myself``, ``detect_loop``, and its
  parts ``sl`` (:class:`StatelessReplier`), ``forwarder`` (:class:`Forwarder`),
  ``resolver`` (:class:`Resolver`), ``local`` (:class:`LocalAddresses`), ``counters``;
- the hook: :class:`RequestHandler`, :class:`ReplyHandler`, :class:`DefaultRouting`;
- errors: :class:`ForwardError` and its :class:`TooManyHops`, :class:`LoopDetected`,
  :class:`Unresolvable`, :class:`SendFailed`;
- Via and branch helpers: :func:`apply_received`, :func:`make_via`, :func:`reply_target`,
  :func:`make_branch`, :func:`loop_hash`, :func:`stateless_branch`,
  :func:`decrement_max_forwards`, :func:`reply_destination`;
- statistics: :class:`Statistics`, :class:`StatsGroup`, :class:`Counter`, :class:`Gauge`;
- :class:`SipService`: all of it wired to the transports (used by proxy.app).
"""

from proxy.core.branch import loop_hash, make_branch, stateless_branch
from proxy.core.core import SipCore
from proxy.core.errors import ForwardError, LoopDetected, SendFailed, TooManyHops, Unresolvable
from proxy.core.forward import Forwarder, decrement_max_forwards
from proxy.core.handlers import DefaultRouting, Replier, ReplyHandler, RequestHandler
from proxy.core.myself import Alias, LocalAddresses, parse_alias
from proxy.core.resolve import Resolver
from proxy.core.service import SipService
from proxy.core.sl import StatelessReplier, reply_destination
from proxy.core.stats import AttrCounter, Counter, Gauge, Statistics, StatsGroup
from proxy.core.via import apply_received, make_via, reply_target

__all__ = [
    "Alias",
    "AttrCounter",
    "Counter",
    "DefaultRouting",
    "ForwardError",
    "Forwarder",
    "Gauge",
    "LocalAddresses",
    "LoopDetected",
    "ReplyHandler",
    "Replier",
    "RequestHandler",
    "Resolver",
    "SendFailed",
    "SipCore",
    "SipService",
    "StatelessReplier",
    "Statistics",
    "StatsGroup",
    "TooManyHops",
    "Unresolvable",
    "apply_received",
    "decrement_max_forwards",
    "loop_hash",
    "make_branch",
    "make_via",
    "parse_alias",
    "reply_destination",
    "reply_target",
    "stateless_branch",
]
