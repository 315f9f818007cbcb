"""A registrar over an in-process location store, with a settable clock."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from proxy.cfg.catalog import new_params
from proxy.cfg.params import Params
from proxy.core.stats import Statistics
from proxy.modules.registrar.module import RegistrarModule
from proxy.modules.usrloc.module import UsrlocModule
from proxy.modules.usrloc.rpc import UlMethods
from proxy.sip import Request
from proxy.transport import ReceiveInfo
from proxy.transport.address import SocketInfo
from tests.auth.support import Replies

SOCKET = SocketInfo("udp", "127.0.0.1", 5060, socket.AF_INET, "127.0.0.1")


def received_from(host: str = "127.0.0.1", port: int = 5099, proto: str = "udp",
                  conn_id: int | None = None) -> ReceiveInfo:
    sock = SOCKET if proto == "udp" else SocketInfo(proto, "127.0.0.1", 5060, socket.AF_INET,
                                                    "127.0.0.1")
    return ReceiveInfo(proto, host, port, sock, conn_id)


class Clock:
    def __init__(self, now: float = 2_000_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def _no_sleep(_seconds: float) -> None:
    await asyncio.sleep(3600)  # the timer never fires by itself: tests call tick()


class Registrar:
    """usrloc + registrar + ul.* methods, as one kamproxy would have them."""

    def __init__(self, db_url: str | None = None, *, clock: Clock | None = None,
                 params: Params | None = None, **cfg: Any) -> None:
        self.params = params or new_params()
        for name, value in cfg.items():  # registrar__max_contacts=2: [cfg.registrar]
            group, _, var = name.partition("__")
            self.params.load({group: {var: value}})
        self.clock = clock or Clock()
        self.stats = Statistics()
        self.usrloc = UsrlocModule(db_url, self.params, self.stats, clock=self.clock,
                                   sleep=_no_sleep)
        self.replies = Replies()
        self.registrar = RegistrarModule(self.usrloc, self.params, self.stats,
                                         reply=self.replies)
        self.rpc = UlMethods(self.usrloc)

    async def start(self) -> Registrar:
        await self.usrloc.start()
        return self

    async def close(self) -> None:
        await self.usrloc.close()

    async def register(self, request: Request, info: ReceiveInfo | None = None) -> Any:
        return await self.registrar.save(request, info or received_from())

    def stat(self, group: str, name: str) -> int | None:
        return self.stats.value(group, name)


def run(fn: Callable[[], Awaitable[None]], timeout: float = 30.0) -> None:
    asyncio.run(asyncio.wait_for(fn(), timeout))


def register_request(
    contacts: list[str] | None = None,
    *,
    user: str = "alice",
    domain: str = "example.com",
    expires: int | None = None,
    call_id: str = "reg-1@test",
    cseq: int = 1,
    extra: list[tuple[str, str]] | None = None,
) -> Request:
    fields = [
        ("Via", "SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-reg;rport"),
        ("From", f"<sip:{user}@{domain}>;tag=r1"),
        ("To", f"<sip:{user}@{domain}>"),
        ("Call-ID", call_id),
        ("CSeq", f"{cseq} REGISTER"),
        ("Max-Forwards", "70"),
        ("User-Agent", "test-ua 1.0"),
    ]
    fields += [("Contact", c) for c in (contacts or [])]
    if expires is not None:
        fields.append(("Expires", str(expires)))
    fields += extra or []
    return Request("REGISTER", f"sip:{domain}", headers=fields)


def invite_to(user: str, domain: str = "example.com", method: str = "INVITE") -> Request:
    return Request(method, f"sip:{user}@{domain}", headers=[
        ("Via", "SIP/2.0/UDP 127.0.0.1:5098;branch=z9hG4bK-inv;rport"),
        ("From", f"<sip:caller@{domain}>;tag=c1"),
        ("To", f"<sip:{user}@{domain}>"),
        ("Call-ID", "inv-1@test"),
        ("CSeq", f"1 {method}"),
        ("Max-Forwards", "70"),
    ])
