"""The pieces of digest authentication: header syntax, the arithmetic, nonces."""

from __future__ import annotations

import base64
import hashlib

import pytest

from proxy.cfg.model import BadValue
from proxy.modules.auth.digest import expected_response
from proxy.modules.auth.nonce import NcState, NonceKeeper, NonceState
from proxy.modules.auth.params import check_algorithms
from proxy.sip import SipParseError
from proxy.sip.auth_headers import challenge_value, parse_credentials

# What sipsak sent to Kamailio 5.6.3 (transcripts/sip/01-sipsak-register-alice.txt); the
# password was "secret" and Kamailio accepted it.
SIPSAK = (
    'Digest username="alice", uri="sip:example.com", algorithm=MD5, realm="example.com", '
    'nonce="awtOFmsLTOpRv/1FoVrCU3LEd4u9uXi1", qop=auth, nc=00000001, cnonce="33049f4a", '
    'response="e684061ab6b79c2453ae5e76459b2922"'
)


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_parse_sipsak_credentials() -> None:
    creds = parse_credentials(SIPSAK)
    assert (creds.username, creds.realm, creds.uri) == ("alice", "example.com", "sip:example.com")
    assert creds.nonce == "awtOFmsLTOpRv/1FoVrCU3LEd4u9uXi1"
    assert (creds.qop, creds.nc, creds.nc_text, creds.cnonce) == ("auth", 1, "00000001", "33049f4a")
    assert creds.algorithm == "MD5"


def test_sipsak_response_is_what_kamailio_accepted() -> None:
    creds = parse_credentials(SIPSAK)
    ha1 = "b1726872c344b6dc8365b774f8fd6412"  # alice:example.com:secret (kamctl's ha1)
    assert expected_response("md5", ha1, creds, "REGISTER", b"") == creds.response


def test_rfc7616_example_sha256_and_md5() -> None:
    """RFC 7616 section 3.9.1 (HTTP, but the same arithmetic)."""
    base = (
        'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", '
        'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, qop=auth, '
        'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", '
    )
    sha = parse_credentials(
        base + 'algorithm=SHA-256, '
        'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"'
    )
    secret = b"Mufasa:http-auth@example.org:Circle of Life"
    ha1 = hashlib.sha256(secret).hexdigest()
    assert expected_response("sha256", ha1, sha, "GET", b"") == sha.response
    md5 = parse_credentials(base + 'algorithm=MD5, response="8ca523f5e9506fed4657c9700eebdbec"')
    ha1 = hashlib.md5(secret).hexdigest()
    assert expected_response("md5", ha1, md5, "GET", b"") == md5.response


@pytest.mark.parametrize(
    "value",
    [
        "Basic YWxpY2U6c2VjcmV0",
        'Digest username="alice"',  # no realm, nonce, uri, response
        'Digest username="alice", realm="r", nonce="n", uri="u", response="x", qop=auth',
        'Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth, nc=1, '
        'cnonce="c"',  # nc must be 8 hex digits
        'Digest username="a", username="b", realm="r", nonce="n", uri="u", response="x"',
        'Digest username="a realm="r"',
        'Digest username="a" realm="r", nonce="n", uri="u", response="x"',
        "Digest " + "x" * 5000,
    ],
)
def test_bad_credentials_are_refused(value: str) -> None:
    with pytest.raises(SipParseError):
        parse_credentials(value)


def test_challenge_layout_like_kamailio() -> None:
    assert challenge_value("example.com", "abc", qop="auth") == (
        'Digest realm="example.com", nonce="abc", qop="auth"'
    )
    assert challenge_value("example.com", "abc", qop="auth", stale=True,
                           algorithm="SHA-256") == (
        'Digest realm="example.com", nonce="abc", qop="auth", stale=true, algorithm=SHA-256'
    )


def test_algorithm_list_parameter() -> None:
    assert check_algorithms("sha-256, md5") == "SHA-256,MD5"
    with pytest.raises(BadValue, match="unknown algorithm"):
        check_algorithms("SHA-1")
    with pytest.raises(BadValue, match="at least one"):
        check_algorithms(" , ")


def test_nonce_valid_then_stale() -> None:
    clock = Clock()
    keeper = NonceKeeper(b"secret", clock=clock, order=10)
    nonce = keeper.issue()
    assert len(nonce) == 36
    assert keeper.check(nonce, 300, 3).state is NonceState.VALID
    clock.now += 301
    assert keeper.check(nonce, 300, 3).state is NonceState.STALE
    # a longer nonce_expire set at run time applies to nonces already handed out
    assert keeper.check(nonce, 600, 3).state is NonceState.VALID


def test_nonce_forged_or_from_the_future_is_invalid() -> None:
    clock = Clock()
    keeper = NonceKeeper(b"secret", clock=clock, order=10)
    nonce = keeper.issue()
    raw = bytearray(base64.urlsafe_b64decode(nonce))
    raw[0] ^= 1  # another time stamp, same MAC
    forged = base64.urlsafe_b64encode(bytes(raw)).decode()
    assert keeper.check(forged, 300, 3).state is NonceState.INVALID
    other = NonceKeeper(b"other secret", clock=clock, order=10)
    assert other.check(nonce, 300, 3).state is NonceState.INVALID
    for bad in ("", "x" * 36, "!" * 36, nonce[:-1]):
        assert keeper.check(bad, 300, 3).state is NonceState.INVALID
    clock.now -= 10  # issued 10 s "in the future"
    assert keeper.check(nonce, 300, 3).state is NonceState.INVALID
    assert keeper.check(nonce, 300, 30).state is NonceState.VALID


def test_nonce_count_replay() -> None:
    keeper = NonceKeeper(b"secret", clock=Clock(), order=10)
    info = keeper.check(keeper.issue(), 300, 3)
    assert keeper.nc_accept(info, 1) is NcState.FRESH
    assert keeper.nc_accept(info, 1) is NcState.REPLAY
    assert keeper.nc_accept(info, 3) is NcState.FRESH
    assert keeper.nc_accept(info, 2) is NcState.REPLAY
    assert keeper.nc_check(info, 4) is NcState.FRESH


def test_recycled_slot_is_stale_and_a_peer_nonce_takes_one() -> None:
    clock = Clock()
    keeper = NonceKeeper(b"shared", clock=clock, order=10)
    first = keeper.check(keeper.issue(), 300, 3)
    for _ in range(1024):  # the ring's size: the first nonce's slot is reused
        keeper.issue()
    assert keeper.nc_accept(first, 1) is NcState.RECYCLED
    # a cluster peer (same secret, another instance): accepted once per nc here
    peer = NonceKeeper(b"shared", clock=clock, order=10)
    info = keeper.check(peer.issue(), 300, 3)
    assert info.state is NonceState.VALID and not info.ours
    assert keeper.nc_accept(info, 1) is NcState.FRESH
    assert keeper.nc_accept(info, 1) is NcState.REPLAY
