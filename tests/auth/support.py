"""Databases with subscribers, requests and a reply recorder for the in-process tests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from proxy.sip import Request
from proxy.storage import admin
from proxy.storage.accounts import parse
from proxy.storage.database import Database
from proxy.storage.subscribers import Subscribers
from proxy.storage.url import parse_url
from proxy.transport import ReceiveInfo


def subscriber_db(tmp_path: Path, users: dict[str, str], *, plaintext: bool = False) -> str:
    """A new SQLite database made by kamctl's code, with ``user@domain: password`` added
    as ``kamctl add`` does; its URL."""
    url = f"sqlite:///{tmp_path / 'kamailio.sqlite'}"
    admin.create(parse_url(url))
    with Database.open(url) as db:
        subs = Subscribers(db)
        for user, password in users.items():
            subs.add(parse(user), password, store_plaintext=plaintext)
    return url


def add_user(url: str, user: str, password: str) -> None:
    with Database.open(url) as db:
        Subscribers(db).add(parse(user), password)


def set_password(url: str, user: str, password: str) -> None:
    with Database.open(url) as db:
        Subscribers(db).set_password(parse(user), password)


def kamailio_passwd(url: str, user: str, domain: str, password: str) -> None:
    """What Kamailio's ``kamctl passwd`` does: new ha1/ha1b only (our SHA columns stay)."""
    import hashlib

    ha1 = hashlib.md5(f"{user}:{domain}:{password}".encode()).hexdigest()
    ha1b = hashlib.md5(f"{user}@{domain}:{domain}:{password}".encode()).hexdigest()
    with Database.open(url) as db:
        db.update("subscriber", {"ha1": ha1, "ha1b": ha1b, "password": password},
                  {"username": user, "domain": domain})


def request(
    method: str = "REGISTER",
    *,
    user: str = "alice",
    domain: str = "example.com",
    from_user: str | None = None,
    to_user: str | None = None,
    ruri: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    call_id: str = "call-1@test",
    cseq: int = 1,
    contact: str | None = "<sip:alice@127.0.0.1:5099>",
) -> Request:
    """A request from ``from_user`` (default ``user``) to ``to_user`` (REGISTER: the same)."""
    from_user = from_user or user
    to_user = to_user or (user if method == "REGISTER" else "bob")
    fields = [
        ("Via", "SIP/2.0/UDP 127.0.0.1:5098;branch=z9hG4bK-test;rport"),
        ("From", f"<sip:{from_user}@{domain}>;tag=f1"),
        ("To", f"<sip:{to_user}@{domain}>"),
        ("Call-ID", call_id),
        ("CSeq", f"{cseq} {method}"),
        ("Max-Forwards", "70"),
    ]
    if contact is not None:
        fields.append(("Contact", contact))
    fields += list(headers)
    target = ruri or (f"sip:{domain}" if method == "REGISTER" else f"sip:{to_user}@{domain}")
    return Request(method, target, headers=fields)


@dataclass
class Sent:
    code: int
    reason: str | None
    headers: list[tuple[str, str]]

    def header(self, name: str) -> list[str]:
        return [v for n, v in self.headers if n.lower() == name.lower()]


@dataclass
class Replies:
    """A replier (SipCore.reply's shape) that records what would have been sent."""

    sent: list[Sent] = field(default_factory=list)

    def __call__(self, request: Request, info: ReceiveInfo | None, code: int,
                 reason: str | None = None, *, headers: Iterable[tuple[str, str]] = ()
                 ) -> bool:
        self.sent.append(Sent(code, reason, list(headers)))
        return True

    @property
    def last(self) -> Sent:
        return self.sent[-1]
