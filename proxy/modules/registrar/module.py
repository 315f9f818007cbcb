"""The registrar for the routing script: ``save`` (REGISTER) and ``lookup`` (where is a
user), as Kamailio's registrar module; statistics with its names. See
docs/registrar-auth.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from proxy.cfg.params import Params
from proxy.core.handlers import Replier
from proxy.core.stats import Counter
from proxy.log import get_logger
from proxy.modules.registrar.save import (
    METHOD_BITS,
    Limits,
    Reject,
    SaveResult,
    aor_from_uri,
    apply_register,
    read_register,
)
from proxy.modules.usrloc.contact import Contact
from proxy.modules.usrloc.dbstore import TABLE, Outcome
from proxy.modules.usrloc.module import UsrlocError, UsrlocModule
from proxy.sip import Request, SipParseError
from proxy.transport import ReceiveInfo

if TYPE_CHECKING:
    from proxy.core.stats import Statistics
    from rpc.registry import Registry

log = get_logger("registrar")




@dataclass(frozen=True)
class Target:
    """One place to send a request for a registered user (one branch)."""

    uri: str  #: the new Request-URI: the registered Contact URI
    dst_uri: str | None  #: send there instead (NAT: the registration's source), or None
    path: tuple[str, ...]  #: Route values to put on the request, top first (RFC 3327)
    q: float
    socket: str | None  #: "udp:127.0.0.1:5060": the socket the contact registered on
    ruid: str
    instance: str | None
    flags: int
    cflags: int


def target_of(contact: Contact) -> Target:
    paths = contact.paths()
    return Target(
        uri=contact.uri,
        # with a Path the request goes through it; the first hop knows the way on
        dst_uri=None if paths else contact.received,
        path=paths,
        q=contact.q,
        socket=contact.socket,
        ruid=contact.ruid,
        instance=contact.instance,
        flags=contact.flags,
        cflags=contact.cflags,
    )


class RegistrarModule:
    """REGISTER processing and lookups over a :class:`UsrlocModule`."""

    name = "registrar"

    def __init__(
        self,
        usrloc: UsrlocModule,
        params: Params,
        stats: Statistics | None = None,
        *,
        reply: Replier | None = None,
    ) -> None:
        self.usrloc = usrloc
        self.params = params
        self.replier = reply
        #: REGISTERs answered 200 / refused (registrar:accepted_regs, rejected_regs)
        self.accepted = Counter()
        self.rejected = Counter()
        if stats is not None:
            self._declare_stats(stats)

    def _declare_stats(self, stats: Statistics) -> None:
        group = stats.group("registrar")
        group.add("accepted_regs", self.accepted)
        group.add("rejected_regs", self.rejected)
        read = self.params.get_int
        group.gauge("default_expire", lambda: read("registrar", "default_expires"))
        group.gauge("default_expires_range", lambda: 0)
        group.gauge("expires_range", lambda: 0)
        group.gauge("max_contacts", lambda: read("registrar", "max_contacts"))
        group.gauge("max_expires", lambda: read("registrar", "max_expires"))

    def register(self, registry: Registry) -> None:
        """The registrar's RPC methods are usrloc's (ul.*)."""

    async def start(self, load: bool = True) -> None:
        return None

    async def close(self) -> None:
        return None

    def set_replier(self, reply: Replier) -> None:
        self.replier = reply

    # -- save -------------------------------------------------------------------------

    async def save(
        self,
        request: Request,
        info: ReceiveInfo | None,
        table: str = TABLE,
        *,
        reply: Replier | None = None,
    ) -> SaveResult:
        """Process a REGISTER and send the reply (see docs/registrar-auth.md)."""
        result = await self.process(request, info, table)
        send = reply or self.replier
        if send is None:
            raise RuntimeError("registrar: no replier set (set_replier or reply=)")
        send(request, info, result.code, result.reason, headers=result.headers)
        return result

    async def process(self, request: Request, info: ReceiveInfo | None,
                      table: str = TABLE) -> SaveResult:
        """What :meth:`save` replies, without sending it."""
        result = await self._process(request, info, table)
        if result:
            self.accepted.inc()
        else:
            self.rejected.inc()
            log.info("REGISTER %s refused: %d %s", _to_text(request), result.code,
                     result.reason)
        return result

    async def _process(self, request: Request, info: ReceiveInfo | None,
                       table: str) -> SaveResult:
        if table != TABLE:
            log.err("save: unknown location table %r (only %r)", table, TABLE)
            return SaveResult(500, "Server Internal Error")
        snap = self.params.snapshot()
        limits = Limits.from_params(snap)
        try:
            aor = aor_from_uri(request.to.uri, self.usrloc.use_domain)
            wanted = read_register(request, info, aor, limits)
        except Reject as exc:
            return SaveResult(exc.code, exc.reason, exc.headers)
        except SipParseError as exc:
            return SaveResult(400, f"Bad To header ({exc})"[:120])
        now = self.usrloc.clock()

        def change(live: list[Contact]) -> Outcome[SaveResult]:
            return apply_register(wanted, live, now, limits)

        try:
            return await self.usrloc.update(aor, change)
        except UsrlocError as exc:
            log.err("REGISTER of %s not saved: %s", aor, exc)
            return SaveResult(500, "Server Internal Error")

    # -- lookup -------------------------------------------------------------------------

    def aor_of_ruri(self, request: Request) -> str | None:
        """The AoR the Request-URI names, or None (no user part, tel: URI)."""
        uri = request.ruri
        if uri.scheme not in ("sip", "sips") or not uri.user:
            return None
        return self.usrloc.aor_of(unquote(uri.user), uri.host_bare)

    async def lookup(self, request: Request, table: str = TABLE) -> list[Target]:
        """Where the Request-URI's user is registered, best first; [] when nowhere."""
        aor = self.aor_of_ruri(request)
        if aor is None or table != TABLE:
            return []
        try:
            contacts = await self.usrloc.get(aor)
        except UsrlocError as exc:
            log.err("lookup of %s failed: %s", aor, exc)
            return []
        snap = self.params.snapshot()
        if snap.get_int("registrar", "method_filtering"):
            bit = METHOD_BITS.get(request.method, 0)
            if bit:
                contacts = [c for c in contacts if c.methods & bit]
        if not snap.get_int("registrar", "append_branches"):
            contacts = contacts[:1]
        return [target_of(c) for c in contacts]

    async def registered(self, request: Request, table: str = TABLE) -> bool:
        """Does the Request-URI's AoR have a live contact? (Kamailio's registered())"""
        aor = self.aor_of_ruri(request)
        if aor is None or table != TABLE:
            return False
        try:
            return bool(await self.usrloc.get(aor))
        except UsrlocError:
            return False


def _to_text(request: Request) -> str:
    try:
        return str(request.to.uri)
    except SipParseError:
        return "(unreadable To)"
