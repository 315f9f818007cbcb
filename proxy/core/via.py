"""Via handling: ``received``/``rport`` on requests we receive, where replies go, our Via.

* :func:`apply_received` (RFC 3261 18.2.1, RFC 3581): the top Via of a received request
  gets ``received=<source IP>`` when its sent-by host is a name or another address, and
  ``rport=<source port>`` (plus ``received``) when it asks for rport or ``core.force_rport``
  is set: ``rport=5098;received=127.0.0.1``, as Kamailio writes it.
* :func:`reply_target`: where a reply to a Via goes (RFC 3261 18.2.2, RFC 3581 4):
  ``received`` (else the sent-by host), port ``rport`` (else the sent-by port, else 5060).
* :func:`make_via`: the Via we put on a request we forward or send, with the sent-by of
  the socket it leaves from (its advertised address if one is set).
"""

from __future__ import annotations

from proxy.sip import Request, Via
from proxy.transport import DEFAULT_SIP_PORT, ReceiveInfo, SocketInfo, normalize_ip

#: Via parameter carrying the id of the TCP connection a forwarded request came in on,
#: so that a stateless reply finds its way back to it (Kamailio's ``i=``)
CONN_PARAM = "i"


def apply_received(request: Request, info: ReceiveInfo, force_rport: bool) -> None:
    """Add received/rport to the top Via of ``request`` as RFC 3261 and 3581 say."""
    via = request.via
    rport = force_rport or via.has_rport
    if not rport and normalize_ip(via.host_bare) == normalize_ip(info.src_host):
        return
    params = via.params
    if rport:
        params = params.with_param("rport", str(info.src_port))
    params = params.with_param("received", normalize_ip(info.src_host))
    replace_top_via(request, via.replace(params=params))


def replace_top_via(request: Request, via: Via) -> None:
    """Put ``via`` in place of the top Via value."""
    request.replace_top_via(via)


def reply_target(via: Via) -> tuple[str, str, int]:
    """(protocol, host, port) a reply to this Via goes to; host may be a name."""
    proto = via.transport.lower()
    host = via.received or via.host_bare
    port = via.rport or via.port or DEFAULT_SIP_PORT
    return proto, normalize_ip(host), port


def make_via(sock: SocketInfo, branch: str, conn_id: int | None = None,
             dest_host: str | None = None) -> str:
    """``SIP/2.0/UDP 127.0.0.1:5060;branch=...`` for a message leaving from ``sock``
    (to ``dest_host``: needed for a socket bound to the wildcard address)."""
    host, port = sock.sent_by_for(dest_host) if dest_host else (sock.via_host, sock.via_port)
    text = f"SIP/2.0/{sock.proto.upper()} {host}:{port};branch={branch}"
    if conn_id is not None:
        text += f";{CONN_PARAM}={conn_id:x}"
    return text


def via_conn_id(via: Via) -> int | None:
    """The connection id we stored in our own Via, or None."""
    value = via.param(CONN_PARAM)
    if not value:
        return None
    try:
        return int(value, 16)
    except ValueError:
        return None
