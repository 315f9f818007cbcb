"""The ``tcp`` group: connection limits and timers, read per connection.

The TCP transport reads these when it opens, accepts or writes a connection, so a
change applies to the next connection (or write) and leaves open ones alone.
Defaults and the rd_buf_size range are Kamailio 5.6's.
"""

from __future__ import annotations

from proxy.cfg.model import Flag, Group, Int

_DAY = 86400
_INT32 = 2**31 - 1

GROUP = Group(
    "tcp",
    "TCP connections: limits, timers and buffers.",
    (
        Int(
            "connect_timeout",
            10,
            "How long an outgoing connection attempt may take before it fails.",
            min=1,
            max=_DAY,
            unit="s",
        ),
        Int(
            "send_timeout",
            10,
            "How long queued data may wait to be written before the connection is closed.",
            min=1,
            max=_DAY,
            unit="s",
        ),
        Int(
            "connection_lifetime",
            120,
            "An idle connection is closed after this long without traffic.",
            min=1,
            max=_INT32,
            unit="s",
        ),
        Int(
            "max_connections",
            2048,
            "Most TCP connections open at once; new ones beyond it are refused.",
            min=1,
            max=_INT32,
        ),
        Int(
            "max_tls_connections",
            2048,
            "Most TLS connections open at once; new ones beyond it are refused.",
            min=1,
            max=_INT32,
        ),
        Flag("no_connect", 0, "1: never open outgoing connections, only reuse existing ones."),
        Int(
            "conn_wq_max",
            32768,
            "Most bytes queued for writing on one connection.",
            min=0,
            max=_INT32,
            unit="bytes",
        ),
        Int(
            "wq_max",
            10485760,
            "Most bytes queued for writing on all connections together.",
            min=0,
            max=_INT32,
            unit="bytes",
        ),
        Flag("keepalive", 1, "Enable TCP keepalive probes (SO_KEEPALIVE) on new connections."),
        Int(
            "keepidle",
            0,
            "Idle time before the first keepalive probe; 0 uses the system default.",
            min=0,
            max=_DAY,
            unit="s",
        ),
        Int(
            "keepintvl",
            0,
            "Time between keepalive probes; 0 uses the system default.",
            min=0,
            max=_DAY,
            unit="s",
        ),
        Int(
            "keepcnt",
            0,
            "Unanswered keepalive probes before the connection is dropped; 0: system default.",
            min=0,
            max=1000,
        ),
        Flag("crlf_ping", 1, "Answer a CRLF CRLF keepalive ping (RFC 5626) with CRLF."),
        Flag(
            "accept_aliases",
            0,
            "Reuse a connection for requests to the peer when its Via has an alias parameter.",
        ),
        Flag(
            "accept_no_cl",
            0,
            "Accept SIP messages without a Content-Length header on TCP (taken as empty body).",
        ),
        Flag("reuse_port", 0, "Set SO_REUSEPORT on TCP listening sockets."),
        Int(
            "wait_data_ms",
            5000,
            "How long a newly accepted connection may stay silent before it is closed.",
            min=0,
            max=_DAY * 1000,
            unit="ms",
        ),
        Int(
            "rd_buf_size",
            16384,
            "Size of the read buffer of each connection: the largest message it can hold.",
            min=512,
            max=16777216,
            unit="bytes",
        ),
        Flag(
            "async",
            1,
            "Write to connections without blocking the sender (queued writes).",
            read_only=True,
        ),
        Int(
            "defer_accept",
            0,
            "Let the kernel accept a connection only once data arrived (TCP_DEFER_ACCEPT), "
            "waiting at most this long; 0 off.",
            min=0,
            max=3600,
            read_only=True,
            unit="s",
        ),
    ),
)
