"""Is this address us? Kamailio's ``myself``: listen addresses, advertised addresses,
aliases.

A host/port/protocol is ours when it matches:

* a listening socket: its IP address, or the name it was configured with (``-l
  udp:localhost:5060``), with its port and protocol;
* an advertised address (``advertise 203.0.113.1:5060``), with that port;
* a socket bound to the wildcard (``0.0.0.0``/``::``) when the host is one of this
  machine's addresses (loopback, or an address the host name resolves to at start);
* an alias from ``[core] aliases`` / ``--alias``: ``[PROTO:]HOST[:PORT]``; an alias
  without a port matches any port, without a protocol any protocol;
* a check added by a module (:meth:`LocalAddresses.add_check`, Kamailio's "myself
  callbacks"), e.g. the domain module answering for the domains in its table.

A host given *without a port* (``sip:bob@127.0.0.1``) matches on the host alone, as in
Kamailio; a protocol is compared only when both sides name one. IP addresses are
compared in canonical form (``[0:0::1]`` is ``::1``), names case-insensitively.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from proxy.sip import Uri, Via
from proxy.transport import (
    PROTOS,
    Destination,
    ListenError,
    SocketInfo,
    hostport,
    ip_family,
    is_loopback,
    is_wildcard,
    normalize_ip,
    split_host_port,
)


@dataclass(frozen=True, slots=True)
class Alias:
    """Another name (or address) of this proxy; None port or proto match anything."""

    host: str
    port: int | None = None
    proto: str | None = None

    def __str__(self) -> str:
        text = hostport(self.host, self.port)
        return f"{self.proto}:{text}" if self.proto else text


def parse_alias(text: str) -> Alias:
    """``example.com``, ``sip.example.com:5060``, ``tcp:[2001:db8::1]:5060``."""
    body = text.strip()
    proto: str | None = None
    for name in PROTOS:
        if body.lower().startswith(name + ":"):
            proto, body = name, body[len(name) + 1:]
            break
    try:
        host, port = split_host_port(body, text, default_port=None)
    except ListenError as exc:
        raise ValueError(str(exc).replace("listen address", "alias")) from None
    return Alias(normalize_ip(host), port, proto)


# an entry of the lookup table: (port or None, proto or None)
_Entry = tuple[int | None, str | None]
#: a module's myself check: (host, port or None, proto or None) -> is it us?
MyselfCheck = Callable[[str, int | None, str | None], bool]


class LocalAddresses:
    """The addresses, names and aliases that are this proxy."""

    def __init__(self, aliases: Iterable[Alias] = ()) -> None:
        self.aliases: list[Alias] = list(aliases)
        self._hosts: dict[str, list[_Entry]] = {}
        self._wildcards: list[tuple[int, int, str]] = []  # (family, port, proto)
        self._local_ips: set[str] = set()
        self._sent_by: list[str] = []
        self.checks: list[MyselfCheck] = []
        self.refresh([])

    def refresh(self, sockets: Sequence[SocketInfo], names: Iterable[str] = (),
                 local_ips: Iterable[str] = ()) -> None:
        """Rebuild the tables for the bound ``sockets`` (call after the transports start)."""
        hosts: dict[str, list[_Entry]] = {}

        def add(host: str, port: int | None, proto: str | None) -> None:
            hosts.setdefault(normalize_ip(host), []).append((port, proto))

        wildcards = []
        sent_by = []
        for sock in sockets:
            if is_wildcard(sock.host):
                wildcards.append((sock.family, sock.port, sock.proto))
            else:
                add(sock.host, sock.port, sock.proto)
            if sock.name and ip_family(sock.name) is None:
                add(sock.name, sock.port, sock.proto)
            if sock.advertise_host is not None:
                add(sock.advertise_host, sock.via_port, sock.proto)
            sent_by.append(sock.sent_by.lower())
        for alias in self.aliases:
            add(alias.host, alias.port, alias.proto)
        known = {a.host for a in self.aliases}
        for name in names:  # host names of listen addresses count as aliases
            if normalize_ip(name) not in known:
                self.aliases.append(Alias(normalize_ip(name)))
                known.add(normalize_ip(name))
        self._hosts = hosts
        self._wildcards = wildcards
        self._local_ips = {normalize_ip(ip) for ip in local_ips}
        self._sent_by = sent_by

    def add_check(self, check: MyselfCheck) -> None:
        """Let a module say that a host is us too (asked after the built-in tables)."""
        self.checks.append(check)

    def learn(self, address: str) -> None:
        """``address`` is one of this machine's (a wildcard socket sent from it)."""
        key = normalize_ip(address)
        if key not in self._local_ips:
            self._local_ips.add(key)
            for family, port, _proto in self._wildcards:
                if family == ip_family(key):
                    self._sent_by.append(f"{hostport(key, port)}".lower())

    @property
    def sent_by_texts(self) -> list[str]:
        """``host:port`` of our Vias in lower case (a cheap pre-check for loop detection)."""
        return self._sent_by

    def is_myself(self, host: str, port: int | None = None, proto: str | None = None) -> bool:
        """True when host (and port and protocol, when given) are this proxy."""
        return self._in_tables(host, port, proto) or any(
            check(host, port, proto) for check in self.checks)

    def _in_tables(self, host: str, port: int | None, proto: str | None) -> bool:
        """Sockets, advertised addresses, wildcard sockets' local addresses, aliases."""
        key = normalize_ip(host)
        for entry_port, entry_proto in self._hosts.get(key, ()):
            if ((port is None or entry_port is None or entry_port == port)
                    and (proto is None or entry_proto is None or entry_proto == proto)):
                return True
        if self._wildcards and (key in self._local_ips or is_loopback(key)):
            family = ip_family(key)
            for w_family, w_port, w_proto in self._wildcards:
                if (w_family == family and (port is None or w_port == port)
                        and (proto is None or w_proto == proto)):
                    return True
        return False

    def uri_is_myself(self, uri: Uri) -> bool:
        """The host part (and port, transport) of a sip:/sips: URI is us; tel: never is."""
        if uri.is_tel or not uri.host:
            return False
        proto = uri.transport
        if proto not in (None, "udp", "tcp"):
            return False
        return self.is_myself(uri.host, uri.port, proto)

    def via_is_ours(self, via: Via) -> bool:
        """The sent-by of ``via`` is one of our sockets (a Via we added)."""
        return self.is_myself(via.host, via.port, via.transport.lower())

    def is_own_destination(self, dest: Destination) -> bool:
        """Sending to ``dest`` would reach this proxy (sockets, advertised addresses and
        aliases; module checks are about names and are not asked)."""
        return self._in_tables(dest.host, dest.port, dest.proto)


def machine_addresses() -> list[str]:
    """Loopback and the addresses this host's name resolves to (for wildcard sockets)."""
    found = ["127.0.0.1", "::1"]
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None)
    except OSError:
        return found
    for _family, _type, _proto, _name, addr in infos:
        if str(addr[0]) not in found:
            found.append(str(addr[0]))
    return found
