"""The modules' functions as the script calls them: ``api.domain``, ``api.permissions``,
``api.dispatcher``, ``api.registrar``, ``api.auth``.

Each wraps the module object of :class:`~proxy.modules.loader.ModuleSet` (or None when
kamproxy has no such module) and takes the script's ``msg``. What each expects from
its module is written down in docs/routing.md ("Hook points for modules");
registrar and auth follow docs/registrar-auth.md. Functions that may touch a database
are coroutines: ``await api.registrar.lookup(msg)``.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from proxy.log import get_logger
from proxy.routing.message import RoutingError, SipMsg
from proxy.tm import Target

if TYPE_CHECKING:
    from proxy.routing.api import RoutingApi

log = get_logger("routing")


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


class DomainApi:
    """Local domains (Kamailio's domain module)."""

    def __init__(self, module: Any) -> None:
        self._module = module

    @property
    def available(self) -> bool:
        return self._module is not None

    def is_local(self, host: str) -> bool:
        """Is ``host`` one of the local domains (is_domain_local)?"""
        return self._module is not None and bool(self._module.is_local(host))

    def lookup(self, host: str) -> Any:
        """(did, attributes) of a local domain, or None (lookup_domain)."""
        return None if self._module is None else self._module.lookup(host)


class PermissionsApi:
    """Source-address checks (Kamailio's permissions module, address table)."""

    def __init__(self, module: Any) -> None:
        self._module = module

    @property
    def available(self) -> bool:
        return self._module is not None

    def allow_source_address(self, msg: SipMsg, group: int = 1) -> bool:
        """Does ``group`` allow the address the message came from?"""
        if self._module is None:
            return False
        return bool(self._module.allow_source_address(group, msg.src_ip, msg.src_port))

    def allow_address(self, group: int, ip: str, port: int = 0) -> bool:
        return self._module is not None and bool(self._module.allow_address(group, ip, port))

    def source_group(self, msg: SipMsg) -> int:
        """The group allowing the source address, -1 when none does."""
        if self._module is None:
            return -1
        return int(self._module.source_group(msg.src_ip, msg.src_port))


class DispatcherApi:
    """Destination sets with failover (Kamailio's dispatcher module)."""

    def __init__(self, module: Any) -> None:
        self._module = module

    @property
    def available(self) -> bool:
        return self._module is not None

    def _choose(self, msg: SipMsg, setid: int, alg: int, limit: int | None) -> list[str]:
        if self._module is None:
            return []
        from proxy.modules.dispatcher.select import MessageKeys, UnsupportedAlgorithm

        request = msg.request
        auth_user = ""
        for name in ("authorization", "proxy-authorization"):
            value = request.get_header(name)
            if value and 'username="' in value:
                auth_user = value.split('username="', 1)[1].split('"', 1)[0]
                break
        keys = MessageKeys(call_id=msg.call_id, from_uri=_user_host(msg.from_uri),
                           to_uri=_user_host(msg.to_uri), ruri_user=msg.ruri_user or "",
                           auth_user=auth_user, value=str(msg.vars.get("ds_hash", "")))
        try:
            chosen = self._module.select(setid, alg, keys, limit)
        except UnsupportedAlgorithm as exc:
            raise RoutingError(str(exc)) from None
        return [d.uri for d in chosen]

    def select(self, msg: SipMsg, setid: int, alg: int = 4, limit: int | None = None) -> bool:
        """Choose a destination of set ``setid`` by algorithm ``alg`` and send there
        (ds_select_dst: the Request-URI stays); the others are kept for :meth:`next`.
        False when no destination of the set is usable."""
        uris = self._choose(msg, setid, alg, limit)
        state = msg.state
        state.ds_list, state.ds_set, state.ds_index = uris, setid, 0
        if not uris:
            return False
        msg.dst_uri = uris[0]
        return True

    def select_domain(self, msg: SipMsg, setid: int, alg: int = 4,
                      limit: int | None = None) -> bool:
        """As :meth:`select`, but the destination's host and port go into the
        Request-URI (ds_select_domain)."""
        if not self.select(msg, setid, alg, limit):
            return False
        self._to_ruri(msg)
        return True

    def _to_ruri(self, msg: SipMsg) -> None:
        from proxy.sip import parse_uri

        assert msg.dst_uri is not None
        dest = parse_uri(msg.dst_uri)
        msg.ruri = str(msg.request.ruri.replace(host=dest.host, port=dest.port))
        msg.dst_uri = None

    def next(self, msg: SipMsg) -> bool:
        """The next destination of the failover list (ds_next_dst, in failure_route);
        False when there is none left."""
        state = msg.state
        if state.ds_index + 1 >= len(state.ds_list):
            return False
        state.ds_index += 1
        msg.dst_uri = state.ds_list[state.ds_index]
        return True

    def current(self, msg: SipMsg) -> str | None:
        """The destination chosen last, or None."""
        state = msg.state
        return state.ds_list[state.ds_index] if state.ds_index < len(state.ds_list) else None

    def mark(self, msg: SipMsg, state: str = "ip") -> bool:
        """Set the state of the destination chosen last (ds_mark_dst: default inactive
        and probing). False when there is none."""
        uri = self.current(msg)
        if uri is None or self._module is None:
            return False
        try:
            return bool(self._module.mark(msg.state.ds_set, uri, state))
        except ValueError as exc:
            raise RoutingError(str(exc)) from None

    def is_from(self, msg: SipMsg, setid: int | None = None) -> bool:
        """Did the message come from a destination (of ``setid``, or any set)?"""
        if self._module is None:
            return False
        return self._module.is_from(msg.src_ip, msg.src_port, setid) is not None


def _user_host(uri: str) -> str:
    text = uri.split(":", 1)[1] if ":" in uri else uri
    return text.split(";", 1)[0]


class RegistrarApi:
    """REGISTER processing and the location service (registrar/usrloc modules).

    Without a registrar module, :meth:`save` answers ``501 Not Implemented`` and
    :meth:`lookup` finds nobody.
    """

    def __init__(self, module: Any, api: RoutingApi) -> None:
        self._module = module
        self._api = api

    @property
    def available(self) -> bool:
        return self._module is not None

    async def save(self, msg: SipMsg, table: str = "location") -> bool:
        """Store the bindings of a REGISTER and answer it (the module sends 200 with
        the bindings, or the error). True for the 200."""
        if self._module is None:
            self._api.reply(msg, 501, "Not Implemented (kamproxy has no registrar module)")
            return False
        result = await _maybe_await(self._module.save(msg.request, msg.info, table,
                                                      reply=self._api.replier(msg)))
        return bool(result)

    async def lookup(self, msg: SipMsg, table: str = "location") -> bool:
        """Find the contacts registered for the Request-URI: the first becomes the
        Request-URI (with its dst_uri, Path and socket), each further one a parallel
        branch. False when nobody is registered (the script answers 404)."""
        if self._module is None:
            return False
        targets = list(await _maybe_await(self._module.lookup(msg.request, table)) or [])
        if not targets:
            return False
        first, rest = targets[0], targets[1:]
        msg.ruri = str(first.uri)
        msg.dst_uri = getattr(first, "dst_uri", None)
        msg.path = tuple(getattr(first, "path", ()) or ())
        msg.socket = self._socket(getattr(first, "socket", None)) or msg.socket
        for target in rest:
            msg.targets.append(Target(str(target.uri), getattr(target, "dst_uri", None),
                                      tuple(getattr(target, "path", ()) or ()),
                                      self._socket(getattr(target, "socket", None))))
        return True

    def _socket(self, text: str | None) -> Any:
        if not text:
            return None
        try:
            return self._api.find_socket(text)
        except RoutingError:
            return None

    async def registered(self, msg: SipMsg, table: str = "location") -> bool:
        """Does the Request-URI's AoR have a registered contact?"""
        if self._module is None:
            return False
        return bool(await _maybe_await(self._module.registered(msg.request, table)))


class AuthApi:
    """Digest authentication against the subscriber table (auth/auth_db modules).

    Without an auth module every function raises RoutingError: a script that asks
    for authentication must not run as if it had passed.
    """

    def __init__(self, module: Any, api: RoutingApi) -> None:
        self._module = module
        self._api = api

    @property
    def available(self) -> bool:
        return self._module is not None

    def _need(self) -> Any:
        if self._module is None:
            raise RoutingError("authentication is not available: kamproxy has no auth module")
        return self._module

    async def www_authorize(self, msg: SipMsg, realm: str = "",
                            table: str = "subscriber") -> Any:
        """Check the Authorization credentials (REGISTER); truthy when they are valid
        (Kamailio's return codes otherwise: -2 wrong password, -5 none, ...)."""
        return await _maybe_await(self._need().www_authorize(msg.request, realm, table))

    async def proxy_authorize(self, msg: SipMsg, realm: str = "",
                              table: str = "subscriber") -> Any:
        """Check the Proxy-Authorization credentials (other requests)."""
        return await _maybe_await(self._need().proxy_authorize(msg.request, realm, table))

    async def auth_check(self, msg: SipMsg, realm: str = "",
                         table: str = "subscriber") -> Any:
        """www_authorize for REGISTER, proxy_authorize otherwise."""
        return await _maybe_await(self._need().auth_check(msg.request, realm, table))

    def www_challenge(self, msg: SipMsg, realm: str = "") -> bool:
        """Answer 401 with a challenge."""
        return bool(self._need().www_challenge(msg.request, msg.info, realm,
                                               reply=self._api.replier(msg)))

    def proxy_challenge(self, msg: SipMsg, realm: str = "") -> bool:
        """Answer 407 with a challenge."""
        return bool(self._need().proxy_challenge(msg.request, msg.info, realm,
                                                 reply=self._api.replier(msg)))

    def challenge(self, msg: SipMsg, realm: str = "") -> bool:
        """401 for REGISTER, 407 otherwise (Kamailio's auth_challenge)."""
        if msg.method == "REGISTER":
            return self.www_challenge(msg, realm)
        return self.proxy_challenge(msg, realm)

    def consume_credentials(self, msg: SipMsg) -> bool:
        """Remove the credentials that authorized the request before relaying it."""
        return bool(self._need().consume_credentials(msg.request))

    def has_credentials(self, msg: SipMsg, realm: str = "", proxy: bool = False) -> bool:
        return bool(self._need().has_credentials(msg.request, realm, proxy=proxy))


__all__ = ["AuthApi", "DispatcherApi", "DomainApi", "PermissionsApi", "RegistrarApi", "log"]
