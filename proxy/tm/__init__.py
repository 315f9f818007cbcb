"""Stateful transactions (layer 4): RFC 3261 server and client transactions, their
timers, retransmission absorption, CANCEL and ACK, parallel and serial forking, and
the hooks routing plugs into (branch, reply, failure).

Public API (see docs/routing.md for how the routing layer uses it):

- :class:`TransactionManager`: ``install()``, ``set_router()``, ``relay()``,
  ``reply()``, ``cancel()``, ``find()``, ``transaction_for()``, ``send_request()``,
  ``counters``, ``rpc_stats()``, ``listing()``, ``close()``;
- :class:`Transaction`, :class:`Branch`, :class:`Target`, :class:`TxnHooks`;
- time: :class:`Clock`, :class:`LoopClock`, :class:`ManualClock`;
- parameters: :data:`GROUP` (the ``tm`` runtime-parameter group), :class:`TmSettings`;
- :func:`make_prober` (dispatcher keepalives), :func:`register` (tm.* RPC methods).
"""

from proxy.tm.clock import Clock, LoopClock, ManualClock
from proxy.tm.manager import TransactionManager
from proxy.tm.params import GROUP, TmSettings
from proxy.tm.rpc import register
from proxy.tm.transaction import MAX_BRANCHES, Branch, Target, Transaction, TxnHooks
from proxy.tm.uac import make_prober

__all__ = [
    "GROUP",
    "MAX_BRANCHES",
    "Branch",
    "Clock",
    "LoopClock",
    "ManualClock",
    "Target",
    "TmSettings",
    "Transaction",
    "TransactionManager",
    "TxnHooks",
    "make_prober",
    "register",
]
