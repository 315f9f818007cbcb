"""REGISTER through a real kamproxy: subscribers added with kamctl, sipsak and our UA,
refused credentials, restart, bad input, a call between registered users."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auth.client import authorization, challenge_params
from tests.registrar.e2e import DOMAIN, Registration, rpc, start_proxy, ul_lookup
from tests.storage.support import kamctl
from tests.support.proxy import KamproxyProcess
from tests.support.sipua import SipUA
from tests.support.tools import require

SIPSAK = "/usr/bin/sipsak"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A database made and filled by our kamctl: alice/secret and bob/pw-bob."""
    url = f"sqlite:///{tmp_path}/kamailio.sqlite"
    home = tmp_path / "home"
    home.mkdir()
    for user, password in (("alice", "secret"), ("bob", "pw-bob")):
        done = kamctl(["add", f"{user}@{DOMAIN}", password, "-q"], home=home, db=url)
        assert done.code == 0, done.output
    return url


@pytest.fixture
def proxy(tmp_path: Path, db_url: str) -> Iterator[KamproxyProcess]:
    proc = start_proxy(tmp_path / "kp", db_url)
    yield proc
    proc.stop()


def sipsak(port: int, password: str) -> subprocess.CompletedProcess[str]:
    require(SIPSAK, "Debian package sipsak")
    return subprocess.run(
        [SIPSAK, "-p", f"127.0.0.1:{port}", "-U", "-C", "sip:alice@127.0.0.1:5099",
         "-s", f"sip:alice@{DOMAIN}", "-u", "alice", "-a", password, "-x", "3600",
         "-H", "127.0.0.1", "-vv"],
        capture_output=True, text=True, timeout=20,
    )


def test_sipsak_registers_a_user_added_with_kamctl(tmp_path: Path, db_url: str) -> None:
    # sipsak 0.9.8 answers only MD5 and only the first challenge: offer MD5 alone
    proc = start_proxy(tmp_path / "kp", db_url, cfg={"auth": {"algorithms": "MD5"}})
    try:
        wrong = sipsak(proc.sip_port, "WRONG")
        assert wrong.returncode == 2, wrong.stdout + wrong.stderr
        assert "authorization failed" in wrong.stderr
        with pytest.raises(Exception, match="AOR not found"):
            rpc(proc, "ul.lookup", "location", f"alice@{DOMAIN}")
        done = sipsak(proc.sip_port, "secret")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "All usrloc tests completed successful" in done.stdout
        (contact,) = ul_lookup(proc, f"alice@{DOMAIN}")
        assert contact["Address"] == "sip:alice@127.0.0.1:5099"
        assert contact["User-Agent"].startswith("sipsak")
        home = tmp_path / "home"
        shown = kamctl(["ul", "show", "alice", "-F", "csv"], home=home,
                       server=f"unix:{proc.sock}", SIP_DOMAIN=DOMAIN)
        assert shown.code == 0, shown.output
        assert "sip:alice@127.0.0.1:5099" in shown.stdout
        online = kamctl(["online"], home=home, server=f"unix:{proc.sock}")
        assert online.stdout == f"alice@{DOMAIN}\n"
    finally:
        proc.stop()


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256", "SHA-512-256"])
def test_ua_registers_with_each_algorithm(proxy: KamproxyProcess, algorithm: str) -> None:
    with SipUA(name="alice") as ua:
        reg = Registration(ua, proxy.sip_port, "alice", "secret")
        _req, first = reg.challenge()
        algorithms = [challenge_params(v)["algorithm"]
                      for v in first.get_headers("WWW-Authenticate")]
        assert algorithms == ["SHA-512-256", "SHA-256", "MD5"]
        _req, final = reg.answer(first, algorithm)
        assert final.status == 200, final
        assert final.get_header("Contact") == f"<{ua.uri('alice')}>;expires=3600"
        (contact,) = ul_lookup(proxy, f"alice@{DOMAIN}")
        assert contact["Address"] == ua.uri("alice")


def test_wrong_password_and_unknown_user_are_refused_alike(proxy: KamproxyProcess) -> None:
    with SipUA(name="alice") as ua:
        wrong = Registration(ua, proxy.sip_port, "alice", "WRONG")
        unknown = Registration(ua, proxy.sip_port, "zed", "whatever")
        replies = []
        for reg in (wrong, unknown):
            _req, first = reg.challenge()
            _req, final = reg.answer(first, "SHA-256")
            replies.append(final)
        for final in replies:
            assert (final.status, final.reason) == (401, "Unauthorized")
            assert "stale" not in (final.get_header("WWW-Authenticate") or "")
        assert rpc(proxy, "ul.dump")["Domains"][0]["Domain"]["AoRs"] == []


def test_stale_nonce_and_replayed_nonce_count_are_refused(proxy: KamproxyProcess) -> None:
    with SipUA(name="alice") as ua:
        reg = Registration(ua, proxy.sip_port, "alice", "secret")
        _req, first = reg.challenge()
        accepted, final = reg.answer(first, "MD5")
        assert final.status == 200
        # the same credentials again (a captured request, sent with a new branch)
        replay = reg.request(headers=[("Authorization", accepted.get_header("Authorization")
                                       or "")])
        again = ua.transact(replay, reg.dest)
        assert again.status == 401
        assert challenge_params(again.get_header("WWW-Authenticate") or "")["stale"] == "true"
        # a nonce older than auth.nonce_expire
        rpc(proxy, "cfg.seti", "auth", "nonce_expire", 1)
        _req, first = reg.challenge()
        time.sleep(2.2)
        _req, stale = reg.answer(first, "MD5")
        assert stale.status == 401
        assert challenge_params(stale.get_header("WWW-Authenticate") or "")["stale"] == "true"


def test_registrations_survive_a_restart(tmp_path: Path, db_url: str) -> None:
    proc = start_proxy(tmp_path / "kp", db_url)
    try:
        with SipUA(name="alice") as ua:
            assert Registration(ua, proc.sip_port, "alice", "secret").register().status == 200
            address = ua.uri("alice")
        proc.stop()
        proc.start()
        (contact,) = ul_lookup(proc, f"alice@{DOMAIN}")
        assert contact["Address"] == address
        assert contact["State"] == "CS_SYNC"
    finally:
        proc.stop()


@pytest.mark.parametrize(
    ("contact", "expires", "code"),
    [
        ("<sip:alice@127.0.0.1", 3600, 400),
        ("<tel:+4930123>", 3600, 400),
        ("<sip:alice@127.0.0.1:5099>;expires=later", 3600, 400),
        ("<sip:alice@127.0.0.1:5099>", 10, 423),
    ],
    ids=["bad-contact", "tel-contact", "bad-expires", "too-brief"],
)
def test_bad_register_is_refused(proxy: KamproxyProcess, contact: str, expires: int,
                                 code: int) -> None:
    with SipUA(name="alice") as ua:
        reg = Registration(ua, proxy.sip_port, "alice", "secret")
        final = reg.register(contact=contact, expires=expires)
        assert final.status == code, final
        if code == 423:
            assert final.get_header("Min-Expires") == "60"
        assert rpc(proxy, "ul.dump")["Domains"][0]["Domain"]["AoRs"] == []


def test_bad_expires_header_and_too_many_contacts(tmp_path: Path, db_url: str) -> None:
    proc = start_proxy(tmp_path / "kp", db_url, cfg={"registrar": {"max_contacts": 1}})
    try:
        with SipUA(name="alice") as ua:
            reg = Registration(ua, proc.sip_port, "alice", "secret")
            _req, first = reg.challenge()
            offered = challenge_params(first.get_headers("WWW-Authenticate")[-1])
            value = authorization(offered, method="REGISTER", uri=f"sip:{DOMAIN}",
                                  username="alice", password="secret")
            bad = reg.request(headers=[("Authorization", value)])
            bad.set_header("Expires", "soon")
            final = ua.transact(bad, reg.dest)
            assert final.status == 400 and "Expires" in final.reason
            final = reg.register(contact="<sip:alice@127.0.0.1:5001>, <sip:alice@127.0.0.1:5002>")
            assert (final.status, final.reason) == (503, "Too Many Registered Contacts")
            assert reg.register(contact="<sip:alice@127.0.0.1:5001>").status == 200
    finally:
        proc.stop()


def test_call_between_two_registered_users(proxy: KamproxyProcess) -> None:
    dest = ("127.0.0.1", proxy.sip_port)
    with SipUA(name="alice") as alice, SipUA(name="bob") as bob:
        alice.answer("INVITE", 180, 200)
        alice.answer("ACK")
        alice.answer("BYE", 200)
        assert Registration(alice, proxy.sip_port, "alice", "secret").register().status == 200
        assert Registration(bob, proxy.sip_port, "bob", "pw-bob").register().status == 200
        target = f"sip:alice@{DOMAIN}"
        from_uri = f"sip:bob@{DOMAIN}"
        invite = bob.request("INVITE", target, from_uri=from_uri)
        first = bob.transact(invite, dest)
        assert first.status == 407, first
        bob.ack(invite, first, dest)
        challenge = challenge_params(first.get_headers("Proxy-Authenticate")[-1])
        value = authorization(challenge, method="INVITE", uri=target, username="bob",
                              password="pw-bob")
        invite = bob.request("INVITE", target, from_uri=from_uri, call_id=invite.call_id,
                             headers=[("Proxy-Authorization", value)])
        final = bob.transact(invite, dest)
        assert final.status == 200, final
        got = alice.wait_request("INVITE")
        assert got.msg.ruri_text == alice.uri("alice")
        assert not got.msg.has_header("Proxy-Authorization")  # consumed by the proxy
        bob.ack(invite, final, dest)
        assert bob.bye(invite, final, dest).status == 200


def test_call_to_user_not_registered_is_404(proxy: KamproxyProcess) -> None:
    dest = ("127.0.0.1", proxy.sip_port)
    with SipUA(name="bob") as bob:
        assert Registration(bob, proxy.sip_port, "bob", "pw-bob").register().status == 200
        message = bob.request("MESSAGE", f"sip:alice@{DOMAIN}", from_uri=f"sip:bob@{DOMAIN}")
        first = bob.transact(message, dest)
        assert first.status == 407
        challenge = challenge_params(first.get_headers("Proxy-Authenticate")[-1])
        value = authorization(challenge, method="MESSAGE", uri=f"sip:alice@{DOMAIN}",
                              username="bob", password="pw-bob")
        message = bob.request("MESSAGE", f"sip:alice@{DOMAIN}", from_uri=f"sip:bob@{DOMAIN}",
                              headers=[("Proxy-Authorization", value)])
        assert bob.transact(message, dest).status == 404
