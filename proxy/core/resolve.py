"""From a URI to a :class:`~proxy.transport.Destination` (protocol, IP address, port).

* protocol: the ``transport`` URI parameter (``udp``, ``tcp``); UDP when absent. ``sips:``
  and other transports (tls, sctp, ws) are not spoken: :class:`Unresolvable`.
* port: the URI port, else 5060.
* host: an IP address is used as is (no lookup, no waiting: :meth:`Resolver.now`); a
  name is looked up with the system resolver (A, and AAAA when ``core.dns_try_ipv6``
  is 1) and the first address of a family we have a socket for is taken. No NAPTR/SRV
  (RFC 3263) lookups yet: ``sip:example.com`` goes to example.com's address, port 5060.

Statistics (group ``dns``, Kamailio's names): ``failed_dns_request`` (a lookup that
failed or found nothing usable) and ``slow_dns_request`` (a lookup that took more than
:data:`SLOW_LOOKUP` seconds).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable

from proxy.cfg.params import Snapshot
from proxy.core.errors import Unresolvable
from proxy.core.stats import Statistics
from proxy.sip import SipParseError, Uri, parse_uri
from proxy.transport import DEFAULT_SIP_PORT, Destination, ip_family, normalize_ip

#: (protocol, family) -> do we have a socket for it?
HasSocket = Callable[[str, int], bool]

Target = Uri | str | Destination

#: a lookup slower than this counts as ``dns:slow_dns_request``
SLOW_LOOKUP = 1.0


class Resolver:
    def __init__(self, params: Snapshot, has_socket: HasSocket,
                 stats: Statistics | None = None) -> None:
        self.params = params
        self.has_socket = has_socket
        group = (stats or Statistics()).group("dns")
        self.failed = group.counter("failed_dns_request")
        self.slow = group.counter("slow_dns_request")

    @staticmethod
    def parts(uri: Uri) -> tuple[str, str, int]:
        """(protocol, host, port) named by a URI; Unresolvable for what we cannot reach."""
        if uri.is_tel:
            raise Unresolvable(f"{uri}: a tel: URI names no host")
        if uri.is_secure:
            raise Unresolvable(f"{uri}: sips: needs TLS, which kamproxy does not speak yet")
        proto = uri.transport or "udp"
        if proto not in ("udp", "tcp"):
            raise Unresolvable(f"{uri}: transport {proto} is not supported")
        return proto, uri.host_bare, uri.port or DEFAULT_SIP_PORT

    @staticmethod
    def _uri(target: Uri | str) -> Uri:
        if isinstance(target, Uri):
            return target
        try:
            return parse_uri(target)
        except SipParseError as exc:
            raise Unresolvable(f"bad destination URI: {exc}") from None

    def now(self, target: Target) -> Destination | None:
        """The destination when no lookup is needed, else None (use :meth:`resolve`)."""
        if isinstance(target, Destination):
            return target
        proto, host, port = self.parts(self._uri(target))
        if ip_family(host) is None:
            return None
        return Destination(proto, normalize_ip(host), port)

    async def resolve(self, target: Target) -> Destination:
        """The destination, looking the host name up if needed."""
        found = self.now(target)
        if found is not None:
            return found
        assert not isinstance(target, Destination)
        proto, host, port = self.parts(self._uri(target))
        family = socket.AF_UNSPEC if self.params.get_int("core", "dns_try_ipv6") else \
            socket.AF_INET
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        try:
            infos = await loop.getaddrinfo(host, port, family=family, type=socket.SOCK_DGRAM)
        except OSError as exc:
            self.failed.inc()
            raise Unresolvable(f"cannot resolve {host}: {exc.strerror or exc}") from None
        finally:
            if time.monotonic() - started > SLOW_LOOKUP:
                self.slow.inc()
        for fam, _type, _proto, _name, addr in infos:
            if self.has_socket(proto, int(fam)):
                return Destination(proto, normalize_ip(str(addr[0])), port)
        self.failed.inc()
        raise Unresolvable(f"{host} has no address we can reach over {proto}")
