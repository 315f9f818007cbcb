"""Digest authentication reading the subscriber table on every engine we claim
(SQLite, PostgreSQL, MariaDB): each algorithm, a wrong password, a change by kamctl
seen at once. (The database fixtures live in this directory's conftest.)"""

from __future__ import annotations

import asyncio

from proxy.cfg.catalog import new_params
from proxy.modules.auth.module import AuthModule, AuthResult
from proxy.storage.accounts import parse
from proxy.storage.database import Database
from proxy.storage.subscribers import Subscribers
from tests.auth.client import authorization, challenge_params
from tests.auth.support import Replies, request


def test_auth_on_each_engine(location_url: str) -> None:
    with Database.open(location_url) as db:
        Subscribers(db).add(parse("alice@example.com"), "secret")

    def answer(auth: AuthModule, index: int, password: str, nc: int = 1) -> object:
        challenge = [challenge_params(v) for _, v in auth.challenge_headers(request())][index]
        value = authorization(challenge, method="REGISTER", uri="sip:example.com",
                              username="alice", password=password, nc=nc)
        return request(headers=[("Authorization", value)])

    async def main() -> None:
        auth = AuthModule(location_url, new_params(), reply=Replies())
        await auth.start()
        try:
            for index in range(3):  # SHA-512-256, SHA-256, MD5
                assert await auth.www_authorize(answer(auth, index, "secret")) is AuthResult.OK
            assert await auth.www_authorize(answer(auth, 1, "wrong")) \
                is AuthResult.INVALID_PASSWORD
            with Database.open(location_url) as db:
                Subscribers(db).set_password(parse("alice@example.com"), "changed")
            assert await auth.www_authorize(answer(auth, 1, "changed")) is AuthResult.OK
            with Database.open(location_url) as db:
                Subscribers(db).remove(parse("alice@example.com"))
            assert await auth.www_authorize(answer(auth, 2, "changed")) \
                is AuthResult.USER_UNKNOWN
        finally:
            await auth.close()

    asyncio.run(asyncio.wait_for(main(), 30))
