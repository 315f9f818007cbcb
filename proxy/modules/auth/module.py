"""Digest authentication for the routing script: Kamailio's auth and auth_db functions.

``www_authorize``/``proxy_authorize`` check a request's credentials against the
subscriber table and return an :class:`AuthResult`; ``www_challenge``/
``proxy_challenge`` answer 401/407 with one challenge per configured algorithm
(strongest first, RFC 8760), ``consume_credentials`` removes the credentials that
authorized a request before it is relayed. See docs/registrar-auth.md.

What a client can learn: an unknown user and a wrong password both end in the same
challenge, and both compute a full digest (an unknown user against a random HA1), so
neither the reply nor its timing tells them apart.
"""

from __future__ import annotations

import enum
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote as pct_unquote

from proxy.cfg.params import Params
from proxy.core.handlers import Replier
from proxy.log import get_logger
from proxy.modules.auth import params as auth_params
from proxy.modules.auth.credentials import CredentialsUnavailable, SubscriberSource, stored_ha1
from proxy.modules.auth.digest import HEX_LENGTH, algorithm_of, expected_response, same
from proxy.modules.auth.nonce import NcState, NonceInfo, NonceKeeper, NonceState
from proxy.sip import Request, SipParseError
from proxy.sip.auth_headers import DigestCredentials, challenge_value, parse_credentials
from proxy.storage.ha1 import COLUMNS, REF_COLUMN, Algorithm
from proxy.transport import ReceiveInfo
from rpc.registry import Registry

log = get_logger("auth")

SUBSCRIBER_TABLE = "subscriber"
#: requests remembered between authorize and challenge/consume (by identity)
_MEMO = 4096




class AuthResult(enum.IntEnum):
    """Kamailio's auth return codes; only OK is true."""

    OK = 1
    ERROR = -1
    INVALID_PASSWORD = -2
    USER_UNKNOWN = -3
    STALE_NONCE = -4
    NO_CREDENTIALS = -5
    NONCE_REUSED = -6
    USER_MISMATCH = -8

    def __bool__(self) -> bool:
        return self is AuthResult.OK


def default_realm(request: Request) -> str:
    """The To host for REGISTER, else the From host (lower case); "" when unreadable."""
    try:
        uri = request.to.uri if request.method == "REGISTER" else request.from_.uri
    except SipParseError:
        return ""
    return uri.host_bare.lower()


def _header(proxy: bool) -> str:
    return "Proxy-Authorization" if proxy else "Authorization"


class AuthModule:
    """Digest authentication against the subscriber table."""

    name = "auth"

    def __init__(
        self,
        db_url: str,
        params: Params,
        *,
        secret: bytes | None = None,
        reply: Replier | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.params = params
        self.source = SubscriberSource(db_url)
        self.secret_configured = bool(secret)
        self.nonces = NonceKeeper(
            secret or os.urandom(32),
            clock=clock,
            order=params.get_int("auth", "nc_array_order"),
        )
        self.replier = reply
        self._dummy_ha1 = os.urandom(32).hex()
        #: table -> algorithms it has HA1 columns for (learnt from the columns)
        self._table_algorithms: dict[str, tuple[Algorithm, ...]] = {}
        #: id(request) -> (request, header name, the credentials value that authorized)
        self._authorized: OrderedDict[int, tuple[Request, str, str]] = OrderedDict()
        #: nonce:nc pairs refused as replays with a correct digest (challenge: stale)
        self._replayed: OrderedDict[str, None] = OrderedDict()

    # -- life cycle -----------------------------------------------------------------

    def register(self, registry: Registry) -> None:
        """auth has no RPC methods (as in Kamailio)."""

    async def start(self, load: bool = True) -> None:
        if not self.secret_configured:
            log.info(
                "no [auth] secret configured: nonces are signed with a random secret, "
                "so they end with this process (and cluster nodes cannot share them)"
            )
        if load:
            await self._learn_columns(SUBSCRIBER_TABLE)

    async def close(self) -> None:
        await self.source.close()

    def set_replier(self, reply: Replier) -> None:
        self.replier = reply

    async def _learn_columns(self, table: str) -> None:
        try:
            await self._note_columns(table)
        except CredentialsUnavailable as exc:
            log.warn("cannot read the %s table yet: %s", table, exc)

    # -- authorize --------------------------------------------------------------------

    async def www_authorize(
        self, request: Request, realm: str = "", table: str = SUBSCRIBER_TABLE
    ) -> AuthResult:
        """Check ``Authorization`` (Kamailio's www_authorize / auth_check for REGISTER)."""
        return await self._authorize(request, realm, table, proxy=False)

    async def proxy_authorize(
        self, request: Request, realm: str = "", table: str = SUBSCRIBER_TABLE
    ) -> AuthResult:
        """Check ``Proxy-Authorization`` (Kamailio's proxy_authorize)."""
        return await self._authorize(request, realm, table, proxy=True)

    async def auth_check(
        self, request: Request, realm: str = "", table: str = SUBSCRIBER_TABLE
    ) -> AuthResult:
        """www_authorize for REGISTER, proxy_authorize for every other method."""
        return await self._authorize(request, realm, table, proxy=request.method != "REGISTER")

    def has_credentials(self, request: Request, realm: str = "", *, proxy: bool = False) -> bool:
        return self._credentials(request, realm or default_realm(request), proxy) is not None

    def _credentials(
        self, request: Request, realm: str, proxy: bool
    ) -> tuple[DigestCredentials, str] | None:
        """The parsed credentials for ``realm`` and the header value they came from."""
        for value in request.get_headers(_header(proxy)):
            try:
                creds = parse_credentials(value)
            except SipParseError as exc:
                log.dbg("ignoring unreadable %s: %s", _header(proxy), exc)
                continue
            if creds.realm == realm or creds.realm.lower() == realm.lower():
                return creds, value
        return None

    async def _authorize(
        self, request: Request, realm: str, table: str, *, proxy: bool
    ) -> AuthResult:
        realm = realm or default_realm(request)
        found = self._credentials(request, realm, proxy)
        if found is None:
            return AuthResult.NO_CREDENTIALS
        creds, value = found
        snap = self.params.snapshot()
        algorithm = algorithm_of(creds.algorithm)
        offered = auth_params.algorithms(snap.get_str("auth", "algorithms"))
        if algorithm is None or creds.algorithm.upper() not in offered or creds.userhash:
            log.info("auth: %s answered with algorithm %s, which we did not offer",
                     creds.username, creds.algorithm)
            return AuthResult.INVALID_PASSWORD
        qops = snap.get_str("auth", "qop").split(",")
        if creds.qop is not None and creds.qop not in qops:
            log.info("auth: %s answered with qop=%s, which we did not offer", creds.username,
                     creds.qop)
            return AuthResult.INVALID_PASSWORD
        nonce = self.nonces.check(
            creds.nonce,
            snap.get_int("auth", "nonce_expire"),
            snap.get_int("auth", "nonce_auth_max_drift"),
        )
        if nonce.state is not NonceState.VALID:
            log.dbg("auth: %s nonce from %s", nonce.state.value, creds.username)
            return AuthResult.STALE_NONCE
        user, domain = _split_username(creds.username, realm)
        if snap.get_int("auth", "check_user") and not _same_user(request, user, domain):
            log.info("auth: credentials of %s@%s do not match the From (To) user",
                     user, domain)
            return AuthResult.USER_MISMATCH
        try:
            row = await self._find(table, user, domain if snap.get_int("auth", "use_domain")
                                   else None)
        except CredentialsUnavailable as exc:
            log.err("auth: cannot read the %s table: %s", table, exc)
            return AuthResult.ERROR
        ha1 = None
        if row is not None:
            ha1 = stored_ha1(row, algorithm, creds.username, realm,
                             calculate=bool(snap.get_int("auth", "calculate_ha1")))
            if ha1 is not None and len(ha1) != HEX_LENGTH[algorithm]:
                log.warn("auth: the %s HA1 of %s@%s has the wrong length for %s",
                         table, user, domain, creds.algorithm)
                ha1 = None
        # always a full digest, so that an unknown user takes as long as a known one
        expected = expected_response(algorithm, ha1 or self._dummy_ha1[: HEX_LENGTH[algorithm]],
                                     creds, request.method, request.body)
        if not same(expected, creds.response) or ha1 is None:
            if row is None:
                log.info("auth: unknown user %s@%s", user, domain)
                return AuthResult.USER_UNKNOWN
            log.info("auth: wrong password (or no %s HA1) for %s@%s", creds.algorithm, user,
                     domain)
            return AuthResult.INVALID_PASSWORD
        if snap.get_int("auth", "nonce_count"):
            result = self._count(nonce, creds)
            if result is not AuthResult.OK:
                return result
        self._remember(self._authorized, id(request), (request, _header(proxy), value))
        return AuthResult.OK

    def _count(self, nonce: NonceInfo, creds: DigestCredentials) -> AuthResult:
        """Replay protection: the nc must be new for this nonce (once without qop)."""
        nc = creds.nc if creds.nc is not None else 1
        state = self.nonces.nc_accept(nonce, nc)
        if state is NcState.FRESH:
            return AuthResult.OK
        if state is NcState.RECYCLED:
            return AuthResult.STALE_NONCE
        log.info("auth: replayed nonce count %s from %s", creds.nc_text or "(no qop)",
                 creds.username)
        self._remember(self._replayed, f"{creds.nonce}:{creds.nc_text}", None)
        return AuthResult.NONCE_REUSED

    async def _find(self, table: str, user: str, domain: str | None) -> dict[str, Any] | None:
        row = await self.source.find(table, user, domain)
        if table not in self._table_algorithms:
            await self._note_columns(table)
        return row

    async def _note_columns(self, table: str) -> None:
        columns = await self.source.columns(table)
        have = tuple(
            alg for alg, pair in COLUMNS.items()
            if set(pair) <= columns and (alg == "md5" or REF_COLUMN in columns)
        )
        self._table_algorithms[table] = have

    @staticmethod
    def _remember(memo: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        memo[key] = value
        memo.move_to_end(key)
        while len(memo) > _MEMO:
            memo.popitem(last=False)

    # -- challenges ---------------------------------------------------------------------

    def challenge_headers(
        self, request: Request, realm: str = "", *, proxy: bool = False,
        table: str = SUBSCRIBER_TABLE,
    ) -> list[tuple[str, str]]:
        """The WWW-Authenticate (Proxy-Authenticate) headers of a challenge, one per
        algorithm, with ``stale=true`` when the request's credentials failed only on
        their nonce."""
        realm = realm or default_realm(request)
        snap = self.params.snapshot()
        stale = self._stale(request, realm, proxy, snap)
        nonce = self.nonces.issue()
        qop = snap.get_str("auth", "qop")
        name = "Proxy-Authenticate" if proxy else "WWW-Authenticate"
        return [
            (name, challenge_value(realm, nonce, algorithm=alg, qop=qop, stale=stale))
            for alg in self._offered(snap.get_str("auth", "algorithms"), table, snap)
        ]

    def _offered(self, configured: str, table: str, snap: Any) -> list[str]:
        """Configured algorithms the table can answer (all of them with calculate_ha1)."""
        names = list(auth_params.algorithms(configured))
        have = self._table_algorithms.get(table)
        if have is None or snap.get_int("auth", "calculate_ha1"):
            return names
        usable = [n for n in names if algorithm_of(n) in have]
        return usable or names

    def _stale(self, request: Request, realm: str, proxy: bool, snap: Any) -> bool:
        found = self._credentials(request, realm, proxy)
        if found is None:
            return False
        creds = found[0]
        if f"{creds.nonce}:{creds.nc_text}" in self._replayed:
            return True
        state = self.nonces.check(creds.nonce, snap.get_int("auth", "nonce_expire"),
                                  snap.get_int("auth", "nonce_auth_max_drift")).state
        return state is not NonceState.VALID

    def www_challenge(
        self, request: Request, info: ReceiveInfo | None, realm: str = "", *,
        reply: Replier | None = None,
    ) -> bool:
        """Answer ``401 Unauthorized`` with the challenges."""
        return self._challenge(request, info, realm, False, reply)

    def proxy_challenge(
        self, request: Request, info: ReceiveInfo | None, realm: str = "", *,
        reply: Replier | None = None,
    ) -> bool:
        """Answer ``407 Proxy Authentication Required`` with the challenges."""
        return self._challenge(request, info, realm, True, reply)

    def _challenge(
        self, request: Request, info: ReceiveInfo | None, realm: str, proxy: bool,
        reply: Replier | None,
    ) -> bool:
        send = reply or self.replier
        if send is None:
            raise RuntimeError("auth: no replier set (set_replier or reply=)")
        headers = self.challenge_headers(request, realm, proxy=proxy)
        code, reason = (407, "Proxy Authentication Required") if proxy else (401, "Unauthorized")
        return send(request, info, code, reason, headers=headers) is not False

    # -- after a successful authorize -------------------------------------------------

    def consume_credentials(self, request: Request) -> bool:
        """Remove the credentials that authorized ``request``; False when none did."""
        entry = self._authorized.pop(id(request), None)
        if entry is None or entry[0] is not request:
            return False
        _, name, used = entry
        values = request.get_headers(name)
        if used not in values:
            return False
        values.remove(used)
        request.remove_header(name)
        for value in values:
            request.add_header(name, value)
        return True


def _split_username(username: str, realm: str) -> tuple[str, str]:
    """(user, domain): ``user@domain`` splits, a bare user takes the realm."""
    if "@" in username:
        user, _, domain = username.partition("@")
        return user, domain.lower()
    return username, realm.lower()


def _same_user(request: Request, user: str, domain: str) -> bool:
    """The credentials' user@domain is the From user (and the To user for REGISTER)."""
    try:
        uris = [request.from_.uri]
        if request.method == "REGISTER":
            uris.append(request.to.uri)
    except SipParseError:
        return False
    return all(
        pct_unquote(uri.user or "") == pct_unquote(user) and uri.host_bare.lower() == domain
        for uri in uris
    )
