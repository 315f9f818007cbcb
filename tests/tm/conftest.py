"""A kamproxy running tests/tm/scripts/relay.py on 127.0.0.1 and ::1, UDP and TCP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rpc.client import connect
from tests.support.proxy import KamproxyProcess, free_sip_port
from tests.support.sipua import ipv6_loopback

SCRIPTS = Path(__file__).resolve().parent / "scripts"


@dataclass
class TmProxy:
    proc: KamproxyProcess
    port: int
    port6: int | None

    @property
    def v4(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def addr(self, host: str) -> tuple[str, int]:
        if ":" in host:
            assert self.port6 is not None
            return ("::1", self.port6)
        return self.v4

    def rpc(self, method: str, *params: Any) -> Any:
        with connect(self.proc.http_url, timeout=5) as client:
            return client.call(method, *params)


def start_proxy(base: Path, script: Path | str, *extra: str, config: str = "") -> TmProxy:
    port = free_sip_port()
    port6 = free_sip_port("::1") if ipv6_loopback() else None
    args = ["-l", f"udp:127.0.0.1:{port}", "-l", f"tcp:127.0.0.1:{port}"]
    if port6 is not None:
        args += ["-l", f"udp:[::1]:{port6}", "-l", f"tcp:[::1]:{port6}"]
    args += ["--script", str(script), *extra]
    return TmProxy(KamproxyProcess(base, args=args, config=config).start(), port, port6)


@pytest.fixture(scope="module")
def tm_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TmProxy]:
    proxy = start_proxy(tmp_path_factory.mktemp("tm"), SCRIPTS / "relay.py")
    try:
        yield proxy
    finally:
        proxy.proc.stop()
