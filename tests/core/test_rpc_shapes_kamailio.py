"""The socket, alias, tcp, memory and stats RPCs answer in Kamailio 5.6's shapes: the same
keys and value types from kamproxy and from a running Kamailio peer."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from rpc.client import connect
from tests.core.conftest import SipProxy
from tests.support.kamailio import KamailioPeer

pytestmark = pytest.mark.kamailio


def call(url: str, method: str, *params: Any) -> Any:
    with connect(url, timeout=5) as client:
        return client.call(method, *params)


def shape(value: Any) -> Any:
    """Keys and value types, recursively (lists by their first element)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("core.sockets_list", ()),
        ("corex.list_sockets", ()),
        ("core.tcp_info", ()),
        ("core.tcp_list", ()),
        ("core.tcp_options", ()),
        ("core.shmmem", ()),
        ("core.shmmem", ("m",)),
        ("stats.fetch", ("shmem:",)),
        ("stats.fetchn", ("core:rcv_requests",)),
        ("stats.get_statistics", ("200_replies", "shmem:")),
    ],
)
def test_same_shape_as_kamailio(
    sip_proxy: SipProxy, kamailio_peer: KamailioPeer, method: str, params: tuple[str, ...]
) -> None:
    # an open TCP connection on each side, so that core.tcp_list has an entry
    peer = ("127.0.0.1", kamailio_peer.sip_port)
    with socket.create_connection(sip_proxy.v4, timeout=5) as ours, \
            socket.create_connection(peer, timeout=5) as theirs:
        ours.sendall(b"\r\n\r\n")
        theirs.sendall(b"\r\n\r\n")
        assert ours.recv(2) == theirs.recv(2) == b"\r\n"
        mine = call(sip_proxy.proc.http_url, method, *params)
        kamailio = call(kamailio_peer.http_url, method, *params)
    if method == "core.tcp_options":  # we add the options Kamailio leaves out
        mine = {key: value for key, value in mine.items() if key in kamailio}
    assert shape(mine) == shape(kamailio)


def test_unknown_unit_and_missing_selector_faults(
    sip_proxy: SipProxy, kamailio_peer: KamailioPeer
) -> None:
    from rpc.errors import RemoteError

    for method, params in (("core.shmmem", ("x",)), ("stats.get_statistics", ())):
        faults = []
        for url in (sip_proxy.proc.http_url, kamailio_peer.http_url):
            with pytest.raises(RemoteError) as info:
                call(url, method, *params)
            faults.append((info.value.code, info.value.message))
        assert faults[0] == faults[1]
