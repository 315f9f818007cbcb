"""Two kamproxy processes sharing one PostgreSQL location table (usrloc.db_mode = 3):
a user registered through one is found, and called, through the other. Subscribers
and their authentication come from the same PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

from tests.auth.client import authorization, challenge_params
from tests.registrar.e2e import DOMAIN, Registration, start_proxy, ul_lookup
from tests.storage.support import kamctl
from tests.support.sipua import SipUA


def test_two_proxies_share_one_postgres_location_table(tmp_path: Path, pg_url: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    for user, password in (("alice", "secret"), ("bob", "pw-bob")):
        done = kamctl(["add", f"{user}@{DOMAIN}", password, "-q"], home=home, db=pg_url)
        assert done.code == 0, done.output
    shared = {"usrloc": {"db_mode": 3}}
    one = start_proxy(tmp_path / "one", pg_url, cfg=shared)
    two = start_proxy(tmp_path / "two", pg_url, cfg=shared)
    try:
        with SipUA(name="alice") as alice, SipUA(name="bob") as bob:
            alice.answer("INVITE", 200)
            alice.answer("ACK")
            alice.answer("BYE", 200)
            assert Registration(alice, one.sip_port, "alice", "secret").register(
                "SHA-256").status == 200
            (contact,) = ul_lookup(two, f"alice@{DOMAIN}")
            assert contact["Address"] == alice.uri("alice")
            assert Registration(bob, two.sip_port, "bob", "pw-bob").register().status == 200
            # bob calls alice through the proxy alice did not register with
            dest = ("127.0.0.1", two.sip_port)
            target = f"sip:alice@{DOMAIN}"
            invite = bob.request("INVITE", target, from_uri=f"sip:bob@{DOMAIN}")
            first = bob.transact(invite, dest)
            assert first.status == 407
            bob.ack(invite, first, dest)
            challenge = challenge_params(first.get_headers("Proxy-Authenticate")[0])
            value = authorization(challenge, method="INVITE", uri=target, username="bob",
                                  password="pw-bob")
            invite = bob.request("INVITE", target, from_uri=f"sip:bob@{DOMAIN}",
                                 call_id=invite.call_id,
                                 headers=[("Proxy-Authorization", value)])
            final = bob.transact(invite, dest)
            assert final.status == 200, final
            assert alice.wait_request("INVITE").msg.call_id == invite.call_id
            bob.ack(invite, final, dest)
            assert bob.bye(invite, final, dest).status == 200
            # kamctl ul rm through one proxy ends the registration for both
            rm = kamctl(["ul", "rm", f"alice@{DOMAIN}"], home=home, server=f"unix:{one.sock}")
            assert rm.code == 0, rm.output
            shown = kamctl(["ul", "show", f"alice@{DOMAIN}"], home=home,
                           server=f"unix:{two.sock}")
            assert shown.code == 1 and "not registered" in shown.stderr
    finally:
        one.stop()
        two.stop()
