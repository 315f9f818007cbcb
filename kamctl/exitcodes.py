"""Exit codes shared by kamctl and kamcmd, and the one place errors become them."""

from __future__ import annotations

import sys

from rpc.errors import AddressError, RemoteError, RpcError, TransportError

OK = 0
REMOTE_FAULT = 1  #: the server answered with an error (or a command found a problem)
USAGE = 2  #: bad command line or argument
UNREACHABLE = 3  #: cannot connect, timeout, permission
DATABASE = 4  #: the database cannot be reached or used


def code_for(exc: RpcError) -> int:
    if isinstance(exc, RemoteError):
        return REMOTE_FAULT
    if isinstance(exc, AddressError):
        return USAGE
    if isinstance(exc, TransportError):
        return UNREACHABLE
    return UNREACHABLE  # ProtocolError: the peer is not speaking JSON-RPC


def report(exc: RpcError, prog: str, tried: str = "") -> int:
    """Print one line for ``exc`` on stderr and return the exit code.

    ``tried`` says where the address came from (e.g. "-s flag", "default").
    """
    if isinstance(exc, RemoteError):
        print(f"error: {exc.code} - {exc.message}", file=sys.stderr)
    else:
        where = getattr(exc, "address", "")
        if where and tried:
            where = f"{where} ({tried})"
        suffix = f" [{where}]" if where else ""
        print(f"{prog}: {exc}{suffix}", file=sys.stderr)
    return code_for(exc)
