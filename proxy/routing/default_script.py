"""kamproxy's default routing script: what Kamailio 5.6's default kamailio.cfg does,
without its optional parts (NAT traversal, presence, accounting, PSTN, voicemail).

Copy it, change it, and point kamproxy at the copy (``[routing] script = "..."`` or
``--script``); ``kamctl reload`` loads a changed copy without a restart.
docs/routing.md explains each step. Settings, in ``[routing]`` of the config file:

* ``relay_foreign = true``: relay requests for domains that are not ours to anyone
  (an open relay: for labs only). Default false: ``403 Not relaying``, as Kamailio.
* ``auth = true`` (the default): REGISTER and initial requests from local users must
  authenticate (digest, subscriber table); authenticated local users may call foreign
  domains. ``auth = false`` turns authentication off (labs, trusted networks).
"""

from __future__ import annotations

from collections.abc import Awaitable

from proxy.routing.api import RoutingApi
from proxy.routing.message import SipMsg

#: the routing API: kamproxy puts it in the script's globals before the script runs
api: RoutingApi = globals()["api"]

#: User-Agents of scanners, dropped silently (as Kamailio's default config)
SCANNERS = ("friendly", "scanner", "sipcli", "sipvicious", "VaxSIPUserAgent", "pplsip")


def request_route(msg: SipMsg) -> Awaitable[None] | None:
    if not reqinit(msg):
        return None
    if msg.method == "CANCEL":
        # a CANCEL whose INVITE transaction exists never gets here (tm handles it)
        return None
    if msg.to_tag is not None:
        within_dialog(msg)
        return None
    if api.config.get("auth", True):
        return authenticate(msg)
    if not api.is_local(msg.ruri) and not api.config.get("relay_foreign"):
        api.reply(msg, 403, "Not relaying")
        return None
    return route_initial(msg)


def reqinit(msg: SipMsg) -> bool:
    """Initial checks; False when the request was answered or dropped."""
    agent = msg.get_header("User-Agent") or ""
    if any(word in agent for word in SCANNERS):
        return False
    if not api.maxfwd(msg, 10):
        api.reply(msg, 483, "Too Many Hops")
        return False
    if msg.method == "OPTIONS" and msg.ruri_user is None and api.is_myself(msg.ruri):
        api.reply(msg, 200, "Keepalive")
        return False
    return api.sanity(msg)


def within_dialog(msg: SipMsg) -> None:
    """Requests inside a dialog follow the path record-routing set up."""
    if api.loose_route(msg):
        if msg.method == "NOTIFY":
            api.record_route(msg)  # RFC 6665
        relay(msg)
        return
    if msg.method == "ACK":
        # no Route: the ACK of a negative reply whose transaction is gone; drop it
        return
    api.reply(msg, 404, "Not here")


async def authenticate(msg: SipMsg) -> None:
    """Unless ``auth = false``: REGISTER must pass www_authorize (else 401), an initial
    request from a local user proxy_authorize (else 407); in-dialog requests never get
    here. A caller from elsewhere is not challenged, but may only reach local users."""
    if msg.method == "REGISTER":
        if not await api.auth.www_authorize(msg):
            api.auth.www_challenge(msg)
            return
    elif api.is_local(msg.from_uri):
        if not await api.auth.proxy_authorize(msg):
            api.auth.proxy_challenge(msg)
            return
        if msg.method != "PUBLISH":
            api.auth.consume_credentials(msg)  # the callee need not see them
    if not api.is_local(msg.from_uri) and not api.is_local(msg.ruri) \
            and not api.config.get("relay_foreign"):
        api.reply(msg, 403, "Not relaying")
        return
    result = route_initial(msg)
    if result is not None:
        await result


def route_initial(msg: SipMsg) -> Awaitable[None] | None:
    """A request that starts a dialog or stands alone."""
    msg.remove_header("Route")  # preloaded routes are not followed
    if msg.method in ("INVITE", "SUBSCRIBE"):
        api.record_route(msg)
    if not api.is_local(msg.ruri):
        msg.add_header("P-Hint", "outbound")
        relay(msg)
        return None
    if msg.method == "REGISTER":
        return register(msg)
    if msg.ruri_user is None:
        api.reply(msg, 484, "Address Incomplete")
        return None
    return location(msg)


async def register(msg: SipMsg) -> None:
    await api.registrar.save(msg)  # answers the REGISTER (501 without a registrar)


async def location(msg: SipMsg) -> None:
    if not await api.registrar.lookup(msg):
        api.reply(msg, 404, "Not Found")
        return
    relay(msg)


def relay(msg: SipMsg) -> None:
    if not api.relay(msg):
        api.reply(msg, 500, "Server Internal Error (nothing relayed)")

