"""A kamproxy process that authenticates REGISTER, and a UA that registers through it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from proxy.sip import Request, Response
from rpc.client import connect
from tests.auth.client import authorization, challenge_params
from tests.support.proxy import KamproxyProcess
from tests.support.sipua import SipUA

DOMAIN = "example.com"


def proxy_config(*, auth: bool = True, cfg: dict[str, dict[str, Any]] | None = None,
                 extra: str = "") -> str:
    """A kamproxy.toml: example.com is ours, the default script with authentication
    (its default: no ``auth`` key, so these tests prove the default authenticates)."""
    text = f'[core]\naliases = ["{DOMAIN}"]\n'
    if not auth:
        text += "[routing]\nauth = false\n"
    for group, values in (cfg or {}).items():
        text += f"[cfg.{group}]\n"
        for name, value in values.items():
            text += f"{name} = {value!r}\n".replace("'", '"')
    return text + extra


def start_proxy(base: Path, db_url: str, **kw: Any) -> KamproxyProcess:
    base.mkdir(parents=True, exist_ok=True)
    return KamproxyProcess(base, config=proxy_config(**kw), args=["--db", db_url]).start()


def rpc(proc: KamproxyProcess, method: str, *params: Any) -> Any:
    with connect(f"unix:{proc.sock}", timeout=5) as client:
        return client.call(method, *params)


def ul_lookup(proc: KamproxyProcess, aor: str) -> list[dict[str, Any]]:
    result = rpc(proc, "ul.lookup", "location", aor)
    return [c["Contact"] for c in result["Contacts"]]


class Registration:
    """REGISTER from ``ua`` for ``user``: first without credentials, then answering."""

    def __init__(self, ua: SipUA, port: int, user: str, password: str) -> None:
        self.ua = ua
        self.dest = ("127.0.0.1", port)
        self.user = user
        self.password = password
        self.call_id = f"reg-{user}-{ua.port}@test"
        self.cseq = 0

    def request(self, headers: list[tuple[str, str]] | None = None, expires: int = 3600,
                contact: str | None = None, proto: str = "udp") -> Request:
        self.cseq += 1
        aor = f"sip:{self.user}@{DOMAIN}"
        fields = [("Expires", str(expires)), *(headers or [])]
        req = self.ua.request("REGISTER", f"sip:{DOMAIN}", from_uri=aor, to_uri=aor,
                              call_id=self.call_id, cseq=self.cseq, headers=fields, proto=proto)
        if contact is not None:
            req.set_header("Contact", contact)
        return req

    def challenge(self, **kw: Any) -> tuple[Request, Response]:
        req = self.request(**kw)
        return req, self.ua.transact(req, self.dest)

    def answer(self, challenge: Response, algorithm: str = "MD5", *, password: str | None = None,
               nc: int = 1, **kw: Any) -> tuple[Request, Response]:
        offered = [challenge_params(v) for v in challenge.get_headers("WWW-Authenticate")]
        chosen = next(c for c in offered if c.get("algorithm", "MD5") == algorithm)
        value = authorization(chosen, method="REGISTER", uri=f"sip:{DOMAIN}",
                              username=self.user, password=password or self.password, nc=nc)
        req = self.request(headers=[("Authorization", value)], **kw)
        return req, self.ua.transact(req, self.dest)

    def register(self, algorithm: str = "MD5", **kw: Any) -> Response:
        _req, first = self.challenge(**kw)
        assert first.status == 401, first
        return self.answer(first, algorithm, **kw)[1]
