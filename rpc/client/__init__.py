"""RPC client: ``connect(address)`` gives a :class:`Client` for any transport.

Transport modules are imported only when used, so a FIFO or datagram call never
imports httpx.
"""

from __future__ import annotations

from typing import Any

from rpc.address import Address, default_address, parse_address
from rpc.client.base import DEFAULT_TIMEOUT, Client, ClientOptions, Transport
from rpc.errors import AddressError

__all__ = ["Client", "ClientOptions", "Transport", "connect", "make_transport", "DEFAULT_TIMEOUT"]


def make_transport(address: Address, options: ClientOptions) -> Transport:
    """The transport for ``address``."""
    if address.scheme == "fifo":
        from rpc.client.fifo import FifoTransport

        return FifoTransport(address.target, options)
    if address.scheme == "unix":
        from rpc.client.dgram import DatagramTransport

        return DatagramTransport(address.target, options)
    if address.scheme in ("http", "https"):
        from rpc.client.http import HttpTransport

        return HttpTransport(address.target, options)
    raise AddressError(f"unsupported RPC address {address}")


def connect(
    address: str | Address | None = None,
    options: ClientOptions | None = None,
    **overrides: Any,
) -> Client:
    """A client for ``address`` (default: the local kamproxy's default address)."""
    if address is None:
        parsed = default_address()
    elif isinstance(address, Address):
        parsed = address
    else:
        parsed = parse_address(address)
    opts = (options or ClientOptions())._replace(**overrides)
    return Client(make_transport(parsed, opts), opts)
