"""Listen addresses: ``-l``/``--listen`` and ``[core] listen`` use one syntax.

::

    [PROTO:]HOST[:PORT][/ADVHOST[:ADVPORT]]
    [PROTO:]HOST[:PORT] advertise ADVHOST[:ADVPORT]

* PROTO is ``udp`` or ``tcp``; without it the address is served on both.
* HOST is an IPv4 address, an IPv6 address in brackets (``[::1]``), ``0.0.0.0`` or
  ``[::]`` for every interface of that family, or a name resolved once at start (its
  first address is used and the name becomes an alias).
* PORT defaults to 5060; 0 lets the system choose a free port (tests).
* The advertised address is what goes into Via and Record-Route instead of the bound
  address (a proxy behind NAT): ``udp:10.0.0.5:5060 advertise 203.0.113.1:5060``.
  Without ADVPORT the listening port is advertised. The ``/`` form is Kamailio's ``-l``
  syntax; the ``advertise`` form is Kamailio's ``listen=`` syntax. On a command line
  quote the second form: ``-l "udp:0.0.0.0:5060 advertise 203.0.113.1"``.

When nothing is configured kamproxy listens on :data:`DEFAULT_LISTEN` (UDP and TCP on
127.0.0.1:5060): loopback only, no root needed.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from proxy.transport.address import DEFAULT_SIP_PORT, PROTOS, hostport

#: what kamproxy listens on when no listen address is configured
DEFAULT_LISTEN: tuple[str, ...] = ("udp:127.0.0.1:5060", "tcp:127.0.0.1:5060")

_NAME_RE = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?")
_UNSUPPORTED = ("tls", "sctp", "ws", "wss")


class ListenError(ValueError):
    """A listen address that cannot be used; the message quotes it and says why."""


@dataclass(frozen=True, slots=True)
class ListenSpec:
    """One protocol on one address, as configured (not yet bound)."""

    proto: str
    host: str  #: bare IP literal or a name
    port: int
    advertise_host: str | None = None
    advertise_port: int | None = None

    def __str__(self) -> str:
        text = f"{self.proto}:{hostport(self.host, self.port)}"
        if self.advertise_host is not None:
            text += f" advertise {hostport(self.advertise_host, self.advertise_port)}"
        return text


def parse_listen(text: str) -> list[ListenSpec]:
    """The specs one listen address stands for (two when the protocol is left out)."""
    words = text.split()
    if len(words) == 3 and words[1].lower() == "advertise":
        main, advertised = words[0], words[2]
    elif len(words) == 1:
        main, _, advertised = words[0].partition("/")
        if "/" in words[0] and not advertised:
            raise ListenError(f"listen address {text!r}: nothing after '/'")
    else:
        raise ListenError(
            f"listen address {text!r}: expected [PROTO:]HOST[:PORT] "
            "[advertise HOST[:PORT]]"
        )
    protos: tuple[str, ...] = PROTOS
    lower = main.lower()
    for proto in PROTOS + _UNSUPPORTED:
        if lower.startswith(proto + ":"):
            if proto in _UNSUPPORTED:
                raise ListenError(
                    f"listen address {text!r}: protocol {proto} is not supported "
                    "(use udp or tcp)"
                )
            protos = (proto,)
            main = main[len(proto) + 1:]
            break
    host, port = split_host_port(main, text)
    adv_host: str | None = None
    adv_port: int | None = None
    if advertised:
        adv_host, adv_port = split_host_port(advertised, text, default_port=None)
    return [ListenSpec(p, host, DEFAULT_SIP_PORT if port is None else port, adv_host, adv_port)
            for p in protos]


def parse_listen_list(texts: list[str] | tuple[str, ...]) -> list[ListenSpec]:
    """Every spec of every address, duplicates (same protocol, host and port) refused."""
    specs: list[ListenSpec] = []
    seen: set[tuple[str, str, int]] = set()
    for text in texts:
        for spec in parse_listen(text):
            key = (spec.proto, spec.host, spec.port)
            if key in seen and spec.port != 0:
                raise ListenError(f"listen address {text!r}: {spec.proto}:"
                                  f"{hostport(spec.host, spec.port)} is given twice")
            seen.add(key)
            specs.append(spec)
    return specs


def split_host_port(
    text: str, whole: str = "", default_port: int | None = DEFAULT_SIP_PORT
) -> tuple[str, int | None]:
    """``HOST[:PORT]`` -> (bare host, port or ``default_port``); ListenError quotes ``whole``."""
    whole = whole or text
    if not text:
        raise ListenError(f"listen address {whole!r}: no host")
    port_text = ""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ListenError(f"listen address {whole!r}: missing ']'")
        host, rest = text[1:end], text[end + 1:]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ListenError(f"listen address {whole!r}: bad IPv6 address {host!r}") from None
        if rest:
            if not rest.startswith(":"):
                raise ListenError(f"listen address {whole!r}: unexpected {rest!r} after ']'")
            port_text = rest[1:]
    else:
        if text.count(":") > 1:
            raise ListenError(
                f"listen address {whole!r}: write IPv6 addresses in brackets, "
                "e.g. tcp:[::1]:5060"
            )
        host, _, port_text = text.partition(":")
        if ":" in text and not port_text:
            raise ListenError(f"listen address {whole!r}: no port after ':'")
        if _NAME_RE.fullmatch(host) is None:
            raise ListenError(f"listen address {whole!r}: bad host {host!r}")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or len(port_text) > 5 or int(port_text) > 65535:
        raise ListenError(f"listen address {whole!r}: port must be 0-65535, got {port_text!r}")
    return host, int(port_text)
