"""RPC addresses and the default places a local proxy serves on.

An address names one transport:

* ``fifo:PATH``: Kamailio's jsonrpcs FIFO (``reply_name`` framing),
* ``unix:PATH``: jsonrpcs UNIX datagram socket,
* ``http://HOST:PORT/RPC`` or ``https://...``: JSON-RPC over HTTP.

kamproxy and the clients resolve the default runtime directory the same way, so
``kamcmd core.version`` finds a default ``kamproxy`` with no configuration at all.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from rpc.errors import AddressError

FIFO_NAME = "kamailio_rpc.fifo"
SOCKET_NAME = "kamailio_rpc.sock"
PID_NAME = "kamproxy.pid"
DEFAULT_HTTP_HOST = "127.0.0.1"
DEFAULT_HTTP_PORT = 5071
DEFAULT_HTTP_URL = f"http://{DEFAULT_HTTP_HOST}:{DEFAULT_HTTP_PORT}/RPC"
#: Where clients create reply FIFOs and where servers look for them (Kamailio's default).
DEFAULT_REPLY_DIR = "/tmp/"

_BINRPC_HINT = (
    "this is a Kamailio binrpc (ctl module) address; kamctl speaks JSON-RPC only. "
    'Load Kamailio\'s jsonrpcs module (loadmodule "jsonrpcs.so") and use '
    "fifo:/run/kamailio/kamailio_rpc.fifo, unix:/run/kamailio/kamailio_rpc.sock "
    "or http://127.0.0.1:PORT/RPC (with xhttp)"
)


class Address(NamedTuple):
    """A parsed RPC address."""

    scheme: str  #: "fifo", "unix", "http" or "https"
    target: str  #: a path, or the full URL for http(s)

    def __str__(self) -> str:
        if self.scheme in ("http", "https"):
            return self.target
        return f"{self.scheme}:{self.target}"


def parse_address(text: str) -> Address:
    """Parse ``fifo:PATH``, ``unix:PATH``, ``http(s)://...`` or a bare path."""
    text = text.strip()
    if not text:
        raise AddressError("empty RPC address")
    lower = text.lower()
    if lower.startswith(("http://", "https://")):
        scheme = lower.split(":", 1)[0]
        rest = text.split("://", 1)[1]
        if not rest or rest.startswith("/"):
            raise AddressError(f"RPC address {text!r} has no host")
        return Address(scheme, text)
    if ":" in text and not text.startswith(("/", ".")):
        scheme, rest = text.split(":", 1)
        scheme = scheme.lower()
        if scheme in ("fifo", "unix"):
            if not rest:
                raise AddressError(f"RPC address {text!r} has no path")
            return Address(scheme, rest)
        if scheme in ("unixs", "unixd", "tcp", "udp"):
            raise AddressError(f"cannot use RPC address {text!r}", hint=_BINRPC_HINT)
        raise AddressError(
            f"unknown RPC address scheme {scheme!r} in {text!r}",
            hint="use fifo:PATH, unix:PATH, http://HOST:PORT/RPC or https://...",
        )
    return _bare_path(text)


def _bare_path(text: str) -> Address:
    """A path without scheme: a FIFO or a socket, told apart by the file itself."""
    try:
        mode = os.stat(text).st_mode
    except OSError:
        raise AddressError(
            f"RPC address {text!r} has no scheme and no such file exists",
            hint="write fifo:PATH or unix:PATH",
        ) from None
    if stat.S_ISFIFO(mode):
        return Address("fifo", text)
    if stat.S_ISSOCK(mode):
        return Address("unix", text)
    raise AddressError(
        f"{text!r} is neither a FIFO nor a socket", hint="write fifo:PATH or unix:PATH"
    )


def default_runtime_dir(uid: int | None = None, env: Mapping[str, str] | None = None) -> Path:
    """Where a kamproxy started without configuration keeps its FIFO, socket and pid file.

    root: ``/run/kamailio``; others: ``$XDG_RUNTIME_DIR/kamailio``, else
    ``/tmp/kamailio-<uid>``.
    """
    uid = os.getuid() if uid is None else uid
    env = os.environ if env is None else env
    if uid == 0:
        return Path("/run/kamailio")
    xdg = env.get("XDG_RUNTIME_DIR", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "kamailio"
    return Path(f"/tmp/kamailio-{uid}")


def default_addresses(runtime_dir: Path | None = None) -> list[Address]:
    """The addresses a default kamproxy serves, best first (datagram, FIFO, HTTP)."""
    base = default_runtime_dir() if runtime_dir is None else runtime_dir
    return [
        Address("unix", str(base / SOCKET_NAME)),
        Address("fifo", str(base / FIFO_NAME)),
        Address("http", DEFAULT_HTTP_URL),
    ]


def default_address(runtime_dir: Path | None = None) -> Address:
    """The first default address whose socket or FIFO exists; HTTP when none does."""
    candidates = default_addresses(runtime_dir)
    for address in candidates[:2]:
        if os.path.exists(address.target):
            return address
    return candidates[-1]
