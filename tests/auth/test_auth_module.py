"""AuthModule against a real SQLite subscriber table made by kamctl's code."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from proxy.cfg.catalog import new_params
from proxy.modules.auth.module import AuthModule, AuthResult
from tests.auth.client import authorization, challenge_params
from tests.auth.support import (
    Replies,
    kamailio_passwd,
    request,
    set_password,
    subscriber_db,
)


class Clock:
    def __init__(self) -> None:
        self.now = 2_000_000_000.0

    def __call__(self) -> float:
        return self.now


class Env:
    def __init__(self, auth: AuthModule, clock: Clock, replies: Replies, url: str) -> None:
        self.auth = auth
        self.clock = clock
        self.replies = replies
        self.url = url

    def challenge(self, method: str = "REGISTER", proxy: bool = False, **kw: Any
                  ) -> list[dict[str, str]]:
        req = request(method, **kw)
        return [challenge_params(v) for _, v in self.auth.challenge_headers(req, proxy=proxy)]

    def answer(self, challenge: dict[str, str], *, method: str = "REGISTER",
               username: str = "alice", password: str = "secret", proxy: bool = False,
               nc: int = 1, **kw: Any) -> Any:
        uri = "sip:example.com" if method == "REGISTER" else "sip:bob@example.com"
        value = authorization(challenge, method=method, uri=uri, username=username,
                              password=password, nc=nc)
        name = "Proxy-Authorization" if proxy else "Authorization"
        return request(method, headers=[(name, value)], **kw)


def scenario(tmp_path: Path, fn: Callable[[Env], Awaitable[None]], *,
             users: dict[str, str] | None = None, plaintext: bool = False,
             url: str | None = None, **cfg: Any) -> None:
    url = url or subscriber_db(tmp_path, users or {"alice@example.com": "secret",
                                                   "bob@example.com": "pw-bob"},
                               plaintext=plaintext)

    async def main() -> None:
        params = new_params()
        for name, value in cfg.items():
            params.set("auth", name, value)
        clock, replies = Clock(), Replies()
        auth = AuthModule(url, params, reply=replies, clock=clock)
        await auth.start()
        try:
            await fn(Env(auth, clock, replies, url))
        finally:
            await auth.close()

    asyncio.run(asyncio.wait_for(main(), 20))


def test_challenges_strongest_first_with_one_nonce(tmp_path: Path) -> None:
    async def check(env: Env) -> None:
        found = env.challenge()
        assert [c["algorithm"] for c in found] == ["SHA-512-256", "SHA-256", "MD5"]
        assert {c["realm"] for c in found} == {"example.com"}
        assert {c["qop"] for c in found} == {"auth"}
        assert len({c["nonce"] for c in found}) == 1
        assert not any("stale" in c for c in found)

    scenario(tmp_path, check)


@pytest.mark.parametrize("index", [0, 1, 2], ids=["SHA-512-256", "SHA-256", "MD5"])
def test_each_algorithm_authenticates(tmp_path: Path, index: int) -> None:
    async def check(env: Env) -> None:
        challenge = env.challenge()[index]
        assert await env.auth.www_authorize(env.answer(challenge)) is AuthResult.OK

    scenario(tmp_path, check)


def test_username_with_domain_uses_ha1b(tmp_path: Path) -> None:
    async def check(env: Env) -> None:
        # one nonce serves all three challenges: each answer needs its own nc
        for nc, challenge in enumerate(env.challenge(), 1):
            req = env.answer(challenge, username="alice@example.com", nc=nc)
            assert await env.auth.www_authorize(req) is AuthResult.OK

    scenario(tmp_path, check)


def test_wrong_password_and_unknown_user_get_the_same_challenge(tmp_path: Path) -> None:
    async def check(env: Env) -> None:
        md5 = env.challenge()[2]
        wrong = env.answer(md5, password="WRONG")
        unknown = env.answer(md5, username="zed", password="x", user="zed")
        assert await env.auth.www_authorize(wrong) is AuthResult.INVALID_PASSWORD
        assert await env.auth.www_authorize(unknown) is AuthResult.USER_UNKNOWN
        assert not AuthResult.INVALID_PASSWORD and not AuthResult.USER_UNKNOWN
        env.auth.www_challenge(wrong, None)
        env.auth.www_challenge(unknown, None)
        first, second = env.replies.sent
        assert (first.code, first.reason) == (second.code, second.reason) == (401, "Unauthorized")

        def shape(sent: Any) -> list[dict[str, str]]:
            return [{k: v for k, v in challenge_params(h).items() if k != "nonce"}
                    for h in sent.header("WWW-Authenticate")]

        assert shape(first) == shape(second)
        assert not any("stale" in c for c in shape(first))

    scenario(tmp_path, check)


def test_stale_nonce_is_refused_with_stale_true(tmp_path: Path) -> None:
    async def check(env: Env) -> None:
        challenge = env.challenge()[1]
        env.clock.now += 301
        req = env.answer(challenge)
        assert await env.auth.www_authorize(req) is AuthResult.STALE_NONCE
        headers = env.auth.challenge_headers(req)
        assert all(challenge_params(v).get("stale") == "true" for _, v in headers)
        # the runtime parameter applies at once, to nonces already handed out
        env.auth.params.set("auth", "nonce_expire", 600)
        assert await env.auth.www_authorize(env.answer(challenge)) is AuthResult.OK

    scenario(tmp_path, check)


def test_replayed_nonce_count_is_refused(tmp_path: Path) -> None:
    async def check(env: Env) -> None:
        challenge = env.challenge()[2]
        first = env.answer(challenge, nc=1)
        assert await env.auth.www_authorize(first) is AuthResult.OK
        replay = env.answer(challenge, nc=1)
        assert await env.auth.www_authorize(replay) is AuthResult.NONCE_REUSED
        assert all(challenge_params(v).get("stale") == "true"
                   for _, v in env.auth.challenge_headers(replay))
        assert await env.auth.www_authorize(env.answer(challenge, nc=2)) is AuthResult.OK
        # the same request byte for byte (a captured one) is refused too
        assert await env.auth.www_authorize(first) is AuthResult.NONCE_REUSED

    scenario(tmp_path, check)


def test_replay_protection_can_be_switched_off(tmp_path: Path) -> None:
    async def check(env: Env) -> None:
        challenge = env.challenge()[2]
        for _ in range(2):
            assert await env.auth.www_authorize(env.answer(challenge)) is AuthResult.OK

    scenario(tmp_path, check, nonce_count=0)


def test_forged_nonce_is_stale(tmp_path: Path) -> None:
    async def check(env: Env) -> None:
        challenge = dict(env.challenge()[2], nonce="A" * 36)
        assert await env.auth.www_authorize(env.answer(challenge)) is AuthResult.STALE_NONCE

    scenario(tmp_path, check)


def test_auth_user_must_be_the_from_user(tmp_path: Path) -> None:
    async def check(env: Env) -> None:
        challenge = env.challenge()[2]
        # alice's own password, but registering bob's AoR
        req = env.answer(challenge, user="bob")
        assert await env.auth.www_authorize(req) is AuthResult.USER_MISMATCH
        # alice's password for a call that claims to come from bob
        invite = env.answer(challenge, method="INVITE", proxy=True, from_user="bob",
                            nc=2)
        assert await env.auth.proxy_authorize(invite) is AuthResult.USER_MISMATCH
        env.auth.params.set("auth", "check_user", 0)
        assert await env.auth.www_authorize(env.answer(challenge, user="bob", nc=3)) \
            is AuthResult.OK

    scenario(tmp_path, check)


def test_password_change_is_seen_by_the_next_request(tmp_path: Path) -> None:
    async def check(env: Env) -> None:
        assert await env.auth.www_authorize(env.answer(env.challenge()[1])) is AuthResult.OK
        set_password(env.url, "alice@example.com", "new-secret")
        old = env.answer(env.challenge()[1])
        assert await env.auth.www_authorize(old) is AuthResult.INVALID_PASSWORD
        new = env.answer(env.challenge()[1], password="new-secret")
        assert await env.auth.www_authorize(new) is AuthResult.OK

    scenario(tmp_path, check)


def test_kamailio_passwd_leaves_only_md5_valid(tmp_path: Path) -> None:
    async def check(env: Env) -> None:
        kamailio_passwd(env.url, "alice", "example.com", "changed")
        sha512, sha256, md5 = env.challenge()
        for challenge in (sha512, sha256):
            for password in ("secret", "changed"):
                req = env.answer(challenge, password=password)  # refused: nc stays free
                assert await env.auth.www_authorize(req) is AuthResult.INVALID_PASSWORD
        assert await env.auth.www_authorize(env.answer(md5, password="changed")) \
            is AuthResult.OK

    scenario(tmp_path, check)


def test_calculate_ha1_from_the_cleartext_column(tmp_path: Path) -> None:
    async def check(env: Env) -> None:
        for nc, challenge in enumerate(env.challenge(), 1):
            assert await env.auth.www_authorize(env.answer(challenge, nc=nc)) is AuthResult.OK

    scenario(tmp_path, check, plaintext=True, calculate_ha1=1)


def test_calculate_ha1_without_cleartext_fails(tmp_path: Path) -> None:
    async def check(env: Env) -> None:
        md5 = env.challenge()[2]
        assert await env.auth.www_authorize(env.answer(md5)) is AuthResult.INVALID_PASSWORD

    scenario(tmp_path, check, calculate_ha1=1)


def test_table_without_sha_columns_offers_md5_only(tmp_path: Path) -> None:
    url = subscriber_db(tmp_path, {"alice@example.com": "secret"})
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        for column in ("ha1_sha256", "ha1b_sha256", "ha1_sha512t256", "ha1b_sha512t256",
                       "ha1_ref"):
            conn.execute(f"ALTER TABLE subscriber DROP COLUMN {column}")

    async def check(env: Env) -> None:
        (only,) = env.challenge()
        assert only["algorithm"] == "MD5"
        assert await env.auth.www_authorize(env.answer(only)) is AuthResult.OK

    scenario(tmp_path, check, url=url)


def test_algorithm_that_was_not_offered_is_refused(tmp_path: Path) -> None:
    async def check(env: Env) -> None:
        (md5,) = env.challenge()
        sha = dict(md5, algorithm="SHA-256")
        assert await env.auth.www_authorize(env.answer(sha)) is AuthResult.INVALID_PASSWORD

    scenario(tmp_path, check, algorithms="MD5")


def test_proxy_challenge_and_consume_credentials(tmp_path: Path) -> None:
    async def check(env: Env) -> None:
        invite = request("INVITE")
        assert await env.auth.proxy_authorize(invite) is AuthResult.NO_CREDENTIALS
        assert env.auth.proxy_challenge(invite, None)
        sent = env.replies.last
        assert (sent.code, sent.reason) == (407, "Proxy Authentication Required")
        assert len(sent.header("Proxy-Authenticate")) == 3
        challenge = challenge_params(sent.header("Proxy-Authenticate")[2])
        other = ("Proxy-Authorization", 'Digest username="x", realm="elsewhere", nonce="n", '
                 'uri="sip:bob@example.com", response="00"')
        req = env.answer(challenge, method="INVITE", proxy=True)
        req.add_header(*other)
        # www_authorize reads Authorization only
        assert await env.auth.www_authorize(req) is AuthResult.NO_CREDENTIALS
        assert await env.auth.auth_check(req) is AuthResult.OK
        assert env.auth.consume_credentials(req)
        assert req.get_headers("Proxy-Authorization") == [other[1]]
        assert not env.auth.consume_credentials(req)

    scenario(tmp_path, check)


def test_unreachable_database_is_an_error_not_a_crash(tmp_path: Path) -> None:
    async def check(env: Env) -> None:
        md5 = env.challenge()[2]
        assert await env.auth.www_authorize(env.answer(md5)) is AuthResult.ERROR

    scenario(tmp_path, check, url=f"sqlite:///{tmp_path}/missing/none.sqlite")


def test_garbage_credentials_count_as_none(tmp_path: Path) -> None:
    async def check(env: Env) -> None:
        req = request(headers=[("Authorization", 'Digest username="alice", realm=')])
        assert await env.auth.www_authorize(req) is AuthResult.NO_CREDENTIALS

    scenario(tmp_path, check)
