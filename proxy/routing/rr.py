"""Record-routing and loose routing (RFC 3261 16.4, 16.6 items 4 and 6, 16.12).

* :func:`add_record_route` puts our ``Record-Route: <sip:HOST:PORT;lr>`` on a request
  as it leaves, with the advertised address of the socket it arrived on. When it
  leaves from another socket (another transport or address family: UDP in, TCP out;
  IPv4 in, IPv6 out) two are added (Kamailio's double record-routing, marked
  ``r2=on``): the one of the outgoing socket on top, for the callee's side, and the
  one of the incoming socket below it, for the caller's side. A TCP socket's URI
  carries ``transport=tcp`` so in-dialog requests come back over TCP.
* :func:`loose_route` handles the Route set of a request received in a dialog:
  a Request-URI that is one of our Record-Route values (a strict router before us)
  is replaced by the last Route (16.4); our own Route values on top are removed (two
  for a double record-route); the next Route, if any, is where the request goes (a
  strict next hop gets the Request-URI appended to the Route set and becomes the
  Request-URI, 16.6 item 6).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from proxy.sip import NameAddr, Request, Uri, parse_name_addr
from proxy.transport import SocketInfo

Myself = Callable[[Uri], bool]


def rr_value(sock: SocketInfo, peer_host: str | None, params: str = "",
             double: bool = False) -> str:
    """``<sip:HOST:PORT;transport=tcp;lr;r2=on...>`` for ``sock`` (facing ``peer_host``)."""
    host, port = sock.sent_by_for(peer_host) if peer_host else (sock.via_host, sock.via_port)
    text = f"sip:{host}:{port}"
    if sock.proto != "udp":
        text += f";transport={sock.proto}"
    text += ";lr"
    if double:
        text += ";r2=on"
    if params:
        text += params if params.startswith(";") else ";" + params
    return f"<{text}>"


def same_side(a: SocketInfo, b: SocketInfo) -> bool:
    """One Record-Route serves both sides when both sockets advertise the same thing."""
    return a is b or (a.proto == b.proto and a.family == b.family and a.sent_by == b.sent_by)


def add_record_route(request: Request, inbound: SocketInfo, outbound: SocketInfo,
                     source_host: str | None, dest_host: str | None, params: str = "") -> None:
    """Record-Route for a request that arrived on ``inbound`` (from ``source_host``) and
    leaves from ``outbound`` (to ``dest_host``)."""
    if same_side(inbound, outbound):
        request.add_header("Record-Route", rr_value(inbound, source_host, params), first=True)
        return
    request.add_header("Record-Route", rr_value(inbound, source_host, params, double=True),
                       first=True)
    request.add_header("Record-Route", rr_value(outbound, dest_host, params, double=True),
                       first=True)


@dataclass
class RouteResult:
    """What :func:`loose_route` found: did it apply, and where the request goes next."""

    applied: bool
    next_hop: str | None = None


def _set_routes(request: Request, values: list[str]) -> None:
    request.remove_header("Route")
    for value in values:
        request.add_header("Route", value)


def is_own_rr_uri(uri: Uri, myself: Myself) -> bool:
    """A Request-URI that is one of our Record-Route values (no user, lr, ours)."""
    return uri.user is None and (uri.lr or uri.has_param("r2")) and myself(uri)


def loose_route(request: Request, myself: Myself) -> RouteResult:
    """Apply the Route set of ``request`` (see the module docstring).

    Returns ``applied=False`` when the request has no Route header (and the
    Request-URI is not ours): routing by Request-URI applies. Raises SipParseError
    for an unreadable Route header.
    """
    values = request.header_values("route")
    strict = False
    if values and is_own_rr_uri(request.ruri, myself):
        # RFC 3261 16.4: the previous hop is a strict router
        last = parse_name_addr(values[-1], "Route")
        request.ruri = last.uri
        values = values[:-1]
        strict = True
    if not values:
        if strict:
            _set_routes(request, values)
        return RouteResult(strict)
    routes: list[NameAddr] = [parse_name_addr(v, "Route") for v in values]
    popped = 0
    while routes and popped < 2 and myself(routes[0].uri):
        routes.pop(0)
        values.pop(0)
        popped += 1
        if not (popped == 1 and routes and routes[0].uri.has_param("r2")
                and myself(routes[0].uri)):
            break
    next_hop: str | None = None
    if routes:
        first = routes[0].uri
        if first.lr:
            next_hop = str(first)
        else:  # a strict router next (16.6 item 6)
            values = values[1:] + [f"<{request.ruri_text}>"]
            request.ruri = first
    if popped or strict or (routes and not routes[0].uri.lr):
        _set_routes(request, values)
    return RouteResult(True, next_hop)
