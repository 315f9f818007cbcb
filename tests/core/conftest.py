"""A kamproxy with SIP listeners on 127.0.0.1 and ::1 (UDP and TCP), for the SIP tests."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from rpc.client import connect
from tests.support.proxy import KamproxyProcess, free_sip_port
from tests.support.sipua import ipv6_loopback

ALIAS = "proxy.test"


@dataclass
class SipProxy:
    proc: KamproxyProcess
    port: int  #: UDP and TCP on 127.0.0.1
    port6: int | None  #: UDP and TCP on ::1 (None when ::1 is missing)

    @property
    def v4(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    @property
    def v6(self) -> tuple[str, int]:
        assert self.port6 is not None
        return ("::1", self.port6)

    def addr(self, host: str) -> tuple[str, int]:
        return self.v6 if ":" in host else self.v4

    def rpc(self, method: str, *params: Any) -> Any:
        with connect(self.proc.http_url, timeout=5) as client:
            return client.call(method, *params)

    def stat(self, name: str) -> int:
        return int(self.rpc("stats.fetchn", name)[name.replace(":", ".")])


def sip_args(port: int, port6: int | None) -> list[str]:
    args = ["-l", f"udp:127.0.0.1:{port}", "-l", f"tcp:127.0.0.1:{port}"]
    if port6 is not None:
        args += ["-l", f"udp:[::1]:{port6}", "-l", f"tcp:[::1]:{port6}"]
    # --script none: the stateless core alone (no transactions, no routing script)
    return args + ["--alias", ALIAS, "-d", "3", "--script", "none"]


@pytest.fixture(scope="module")
def sip_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SipProxy]:
    """One kamproxy for a test module: debug 3, alias proxy.test."""
    port = free_sip_port()
    port6 = free_sip_port("::1") if ipv6_loopback() else None
    proc = KamproxyProcess(tmp_path_factory.mktemp("kp"), args=sip_args(port, port6)).start()
    try:
        yield SipProxy(proc, port, port6)
    finally:
        proc.stop()


def low_sip_port() -> int:
    """A free UDP+TCP port below 10000 (sipsak 0.9.8 cuts 5-digit ports to 4 digits in the
    Request-URI: sip:127.0.0.1:15999 goes out as sip:127.0.0.1:1599)."""
    for port in random.sample(range(5100, 9999), 200):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, \
                    socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                u.bind(("127.0.0.1", port))
                t.bind(("127.0.0.1", port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port below 10000")
