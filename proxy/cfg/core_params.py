"""The ``core`` group: log level and facility, and core SIP behaviour.

Defaults are Kamailio 5.6's. Where Kamailio accepts any integer, kamproxy checks a
range that makes sense (documented in docs/runtime-parameters.md).
"""

from __future__ import annotations

from proxy.cfg.model import Flag, Group, Int, Str

#: syslog facilities, as Kamailio names them (log_facility = LOG_LOCAL0)
FACILITIES: tuple[str, ...] = (
    "LOG_AUTH",
    "LOG_AUTHPRIV",
    "LOG_CRON",
    "LOG_DAEMON",
    "LOG_FTP",
    "LOG_KERN",
    "LOG_LPR",
    "LOG_MAIL",
    "LOG_NEWS",
    "LOG_SYSLOG",
    "LOG_USER",
    "LOG_UUCP",
) + tuple(f"LOG_LOCAL{n}" for n in range(8))


def facility_name(text: str) -> str:
    """``local0``, ``LOG_local0`` or ``LOG_LOCAL0`` -> ``LOG_LOCAL0``."""
    upper = text.strip().upper()
    return upper if upper.startswith("LOG_") else "LOG_" + upper


GROUP = Group(
    "core",
    "Core settings: logging and SIP behaviour common to every message.",
    (
        Int(
            "debug",
            0,
            "Log level: a line is written when its level is at most this value "
            "(-5 alert, -4 bug, -3 and -2 critical, -1 error, 0 warning, 1 notice, "
            "2 info, 3 debug). Takes effect with the next log line.",
            min=-5,
            max=3,
        ),
        Str(
            "log_facility",
            "LOG_DAEMON",
            "Syslog facility of log lines when logging to syslog (--syslog), "
            "e.g. LOG_LOCAL0. Takes effect with the next log line.",
            choices=FACILITIES,
            normalize=facility_name,
        ),
        Int(
            "corelog",
            -1,
            "Level at which the core reports problems with single messages "
            "(unparsable input, failed sends); raise it to hide them at low debug levels.",
            min=-5,
            max=3,
        ),
        Flag(
            "dns_try_ipv6",
            1,
            "Also look up IPv6 (AAAA) addresses when resolving a host name.",
        ),
        Flag(
            "force_rport",
            0,
            "Act as if every request carried the rport Via parameter (RFC 3581): "
            "replies go back to the source port.",
        ),
        Int(
            "max_while_loops",
            100,
            "Most iterations a loop in the routing logic may run before it is stopped.",
            min=1,
            max=1_000_000,
        ),
        Int(
            "udp_mtu",
            0,
            "Size above which a request to be sent over UDP goes over TCP instead "
            "(RFC 3261 18.1.1); 0 never switches.",
            min=0,
            max=65535,
            unit="bytes",
        ),
    ),
)
