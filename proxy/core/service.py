"""The SIP side of kamproxy put together: transports, local addresses, the core, their
statistics and RPC methods. :class:`~proxy.app.Proxy` starts and stops it like its
RPC servers (it has ``name``, ``start``, ``close``, and ``tasks`` for core.ps).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from proxy.cfg.params import Params
from proxy.core.core import SipCore
from proxy.core.memory import register_memory_rpc, register_shmem_group
from proxy.core.myself import LocalAddresses, machine_addresses, parse_alias
from proxy.core.sockets_rpc import SocketMethods
from proxy.core.stats import AttrCounter, Statistics
from proxy.core.stats_rpc import StatsMethods
from proxy.transport import DEFAULT_LISTEN, Transports, parse_listen_list
from rpc.registry import Registry

#: the tcp: statistics kept by the transport (counters), then the computed ones
_TCP_COUNTERS = ("con_reset", "con_timeout", "connect_failed", "connect_success",
                 "established", "local_reject", "passive_open", "send_timeout", "sendq_full")


class SipService:
    """SIP listeners and the stateless core, as one startable unit."""

    name = "SIP"

    def __init__(self, listen: Sequence[str], aliases: Sequence[str], params: Params,
                 stats: Statistics) -> None:
        """``listen``: listen addresses (empty: DEFAULT_LISTEN); ``aliases``: ``[core]
        aliases``. Both are checked: ValueError (ListenError) says what is wrong."""
        self.listen = tuple(listen) or DEFAULT_LISTEN
        self.params = params
        self.stats = stats
        self.transports = Transports(parse_listen_list(self.listen), params)
        self.local = LocalAddresses(parse_alias(text) for text in aliases)
        self.core = SipCore(self.transports, self.local, params, stats,
                            tag_seed=",".join(self.listen))
        self._register_tcp_stats()
        register_shmem_group(stats)

    def _register_tcp_stats(self) -> None:
        group = self.stats.group("tcp")
        counters = self.transports.counters
        for name in _TCP_COUNTERS:
            group.add(name, AttrCounter(counters, name))
        table = self.transports.table
        group.gauge("current_opened_connections", lambda: len(table))
        group.gauge("current_write_queue_size", table.write_queued)

    def register(self, registry: Registry) -> None:
        """The stats.*, socket, alias, tcp and memory RPC methods."""
        StatsMethods(self.stats).register(registry)
        SocketMethods(self.transports, self.local, self.params).register(registry)
        register_memory_rpc(registry)

    async def start(self) -> None:
        """Bind every listener (BindError names the address and the reason)."""
        await self.transports.start()
        loop = asyncio.get_running_loop()
        addresses = await loop.run_in_executor(None, machine_addresses)
        self.local.refresh(self.transports.sockets, self.transports.names, addresses)

    async def close(self) -> None:
        await self.core.close()
        await self.transports.close()

    def tasks(self) -> list[str]:
        return self.transports.tasks()

    def describe(self) -> list[str]:
        return self.transports.describe()
