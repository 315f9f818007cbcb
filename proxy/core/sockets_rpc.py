"""RPC views of the SIP sockets, aliases and TCP connections, in Kamailio 5.6's shapes.

``core.sockets_list``, ``corex.list_sockets``, ``core.aliases_list``,
``corex.list_aliases``, ``core.tcp_info``, ``core.tcp_list`` and ``core.tcp_options``
(shapes checked against a running Kamailio 5.6.3). In ``core.tcp_list`` ``src`` is the
remote end and ``dst`` our end, as Kamailio reports them.
"""

from __future__ import annotations

import time
from typing import Any

from proxy.cfg.params import Snapshot
from proxy.core.myself import LocalAddresses
from proxy.transport import SocketInfo, Transports, uri_host
from rpc.errors import RpcFault
from rpc.registry import Registry

#: core.tcp_options: (Kamailio's key, our tcp var or None for a fixed value, fixed value)
_TCP_OPTIONS: tuple[tuple[str, str | None, int], ...] = (
    ("connect_timeout", "connect_timeout", 0),
    ("send_timeout", "send_timeout", 0),
    ("connection_lifetime", "connection_lifetime", 0),
    ("max_connections(soft)", "max_connections", 0),
    ("max_tls_connections(soft)", "max_tls_connections", 0),
    ("no_connect", "no_connect", 0),
    ("fd_cache", None, 0),
    ("async", "async", 0),
    ("connect_wait", None, 1),
    ("conn_wq_max", "conn_wq_max", 0),
    ("wq_max", "wq_max", 0),
    ("defer_accept", "defer_accept", 0),
    ("delayed_ack", None, 0),
    ("syncnt", None, 0),
    ("linger2", None, 0),
    ("keepalive", "keepalive", 0),
    ("keepidle", "keepidle", 0),
    ("keepintvl", "keepintvl", 0),
    ("keepcnt", "keepcnt", 0),
    ("crlf_ping", "crlf_ping", 0),
    ("accept_aliases", "accept_aliases", 0),
    ("alias_flags", None, 1),
    ("new_conn_alias_flags", None, 2),
    ("accept_no_cl", "accept_no_cl", 0),
    ("reuse_port", "reuse_port", 0),
    ("wait_data_ms", "wait_data_ms", 0),
    ("rd_buf_size", "rd_buf_size", 0),
)


class SocketMethods:
    def __init__(self, transports: Transports, local: LocalAddresses, params: Snapshot) -> None:
        self.transports = transports
        self.local = local
        self.params = params

    def register(self, registry: Registry) -> None:
        r = registry.register
        r("core.sockets_list", self.sockets_list, "Returns the list of listening sockets.")
        r("corex.list_sockets", self.list_sockets, "List the listening sockets.")
        r("core.aliases_list", self.aliases_list, "Returns the list of local SIP aliases.")
        r("corex.list_aliases", self.list_aliases, "List the local SIP aliases.")
        r("core.tcp_info", self.tcp_info, "Returns TCP related info.")
        r("core.tcp_list", self.tcp_list, "Returns TCP connections details.")
        r("core.tcp_options", self.tcp_options, "Returns active TCP options.")

    def sockets_list(self) -> list[dict[str, Any]]:
        out = []
        for sock in self.transports.sockets:
            item: dict[str, Any] = {
                "proto": sock.proto,
                "address": _name(sock),
                "ipaddress": uri_host(sock.host),
                "port": str(sock.port),
                "mcast": "no",
                "mhomed": "no",
                "virtual": "no",
            }
            if sock.advertise:
                item["advertise"] = sock.advertise
            out.append({"socket": item})
        return out

    def list_sockets(self) -> list[dict[str, Any]]:
        return [
            {
                "PROTO": sock.proto,
                "NAME": _name(sock),
                "ADDRLIST": {"ADDR": uri_host(sock.host)},
                "PORT": str(sock.port),
                "MCAST": "no",
                "MHOMED": "no",
                "VIRTUAL": "no",
                "SOCKNAME": "-",
                "ADVERTISE": sock.advertise or "-",
            }
            for sock in self.transports.sockets
        ]

    def aliases_list(self) -> dict[str, Any]:
        return {
            "myself_callbacks": "yes" if self.local.checks else "no",
            "aliases": [
                {"alias": {"proto": alias.proto or "*", "address": uri_host(alias.host),
                           "port": alias.port if alias.port is not None else "*"}}
                for alias in self.local.aliases
            ],
        }

    def list_aliases(self) -> list[dict[str, Any]]:
        return [
            {"PROTO": alias.proto or "*", "ADDR": uri_host(alias.host), "PORT": alias.port or 0}
            for alias in self.local.aliases
        ]

    def _require_tcp(self) -> None:
        if not self.transports.tcp:
            raise RpcFault(500, "tcp support disabled")

    def tcp_info(self) -> dict[str, int]:
        self._require_tcp()
        table = self.transports.table
        return {
            "readers": 1,
            "max_connections": self.params.get_int("tcp", "max_connections"),
            "max_tls_connections": self.params.get_int("tcp", "max_tls_connections"),
            "opened_connections": len(table),
            "opened_tls_connections": 0,
            "write_queued_bytes": table.write_queued(),
        }

    def tcp_list(self) -> list[dict[str, Any]]:
        self._require_tcp()
        now = time.monotonic()
        return [
            {
                "id": conn.id,
                "type": "TCP",
                "state": conn.state,
                "timeout": max(0, int(conn.last_activity + conn.lifetime - now)),
                "lifetime": conn.lifetime,
                "ref_count": 1,
                "src_ip": conn.remote[0],
                "src_port": conn.remote[1],
                "dst_ip": conn.local[0],
                "dst_port": conn.local[1],
            }
            for conn in self.transports.table.connections()
        ]

    def tcp_options(self) -> dict[str, int]:
        self._require_tcp()
        out = {}
        for key, var, fixed in _TCP_OPTIONS:
            out[key] = self.params.get_int("tcp", var) if var else fixed
        return out


def _name(sock: SocketInfo) -> str:
    return uri_host(sock.name) if sock.name else uri_host(sock.host)
