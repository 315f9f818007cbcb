"""Our RPC client against a real Kamailio 5.6 (jsonrpcs) over all three transports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rpc.client import Client, ClientOptions, connect
from rpc.errors import RemoteError
from tests.support.kamailio import KamailioPeer

pytestmark = pytest.mark.kamailio

TRANSPORTS = ["fifo", "unix", "http"]


@pytest.fixture(params=TRANSPORTS)
def client(request: pytest.FixtureRequest, kamailio_peer: KamailioPeer) -> Iterator[Client]:
    address = {
        "fifo": f"fifo:{kamailio_peer.fifo}",
        "unix": f"unix:{kamailio_peer.sock}",
        "http": kamailio_peer.http_url,
    }[request.param]
    with connect(address, ClientOptions(timeout=5, reply_dir=f"{kamailio_peer.reply_dir}/")) as c:
        yield c


def test_core_version(client: Client) -> None:
    assert client.call("core.version").startswith("kamailio 5.6")


def test_core_uptime(client: Client) -> None:
    result = client.call("core.uptime")
    assert set(result) == {"now", "up_since", "uptime"}
    assert isinstance(result["uptime"], int)


def test_list_methods(client: Client) -> None:
    methods = client.call("system.listMethods")
    assert "core.version" in methods and "cfg.get" in methods


def test_unknown_method_is_a_remote_error(client: Client) -> None:
    with pytest.raises(RemoteError) as info:
        client.call("no.such.method")
    assert info.value.code == 500
    assert info.value.message == "Method Not Found"


def test_params_reach_kamailio(client: Client) -> None:
    assert client.call("core.echo", 'a"b\\c', "x y") == ['a"b\\c', "x y"]
