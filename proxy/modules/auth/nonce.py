"""Nonces: made from a server secret and a time stamp, checked without a lookup table,
plus the nonce-count (nc) memory that refuses replays.

A nonce is URL-safe base64 of 27 bytes::

    issued (4, seconds) | instance (3) | nid (4) | HMAC-SHA256(secret, the 11 bytes)[:16]

* The MAC proves we (or a node sharing the secret) made it; nothing is stored per
  challenge. Its age is checked against ``auth.nonce_expire`` *when it is used*, so a
  runtime change applies to nonces already handed out.
* ``instance`` is random per start; ``nid`` counts the nonces this process made. With
  replay protection on, slot ``nid mod 2**order`` of a ring remembers the highest nc
  accepted with that nonce. A nonce of ours whose slot was taken over by a newer one
  is treated as stale (the client simply authenticates again). A nonce of another
  instance (an earlier run with the same secret, or another node of a cluster) takes a
  slot on first use: replay protection is per process.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import os
import struct
from array import array
from collections.abc import Callable
from dataclasses import dataclass

_LAYOUT = struct.Struct(">I3sI")
_MAC_SIZE = 16
_SIZE = _LAYOUT.size + _MAC_SIZE  # 27 bytes -> 36 base64 characters, no padding
TEXT_LENGTH = 36


class NonceState(enum.Enum):
    VALID = "valid"
    STALE = "stale"  #: ours and authentic, but too old (or its slot was recycled)
    INVALID = "invalid"  #: not made with our secret, malformed, or from the future


class NcState(enum.Enum):
    FRESH = "fresh"  #: higher than every nc accepted with this nonce
    REPLAY = "replay"  #: not higher: a replayed (or retransmitted) request
    RECYCLED = "recycled"  #: ours, but too many newer nonces came since: stale


@dataclass(frozen=True, slots=True)
class NonceInfo:
    state: NonceState
    issued: int = 0
    nid: int = 0
    ours: bool = False  #: made by this process (this instance)


class NonceKeeper:
    """Makes and checks nonces; remembers accepted nonce-counts in a fixed ring."""

    def __init__(
        self,
        secret: bytes,
        *,
        clock: Callable[[], float],
        order: int = 18,
        instance: bytes | None = None,
    ) -> None:
        if not secret:
            raise ValueError("the nonce secret must not be empty")
        self._secret = secret
        self._clock = clock
        self.instance = instance if instance is not None else os.urandom(3)
        self._next = int.from_bytes(os.urandom(4), "big")
        self._mask = (1 << order) - 1
        size = self._mask + 1
        #: ring of (nid, highest accepted nc)
        self._nids = array("I", bytes(4 * size))
        self._ncs = array("I", bytes(4 * size))

    def _mac(self, head: bytes) -> bytes:
        return hmac.new(self._secret, head, hashlib.sha256).digest()[:_MAC_SIZE]

    def issue(self) -> str:
        """A new nonce (its slot is reset, so its first nc is accepted)."""
        nid = self._next
        self._next = (nid + 1) & 0xFFFFFFFF
        head = _LAYOUT.pack(int(self._clock()) & 0xFFFFFFFF, self.instance, nid)
        slot = nid & self._mask
        self._nids[slot] = nid
        self._ncs[slot] = 0
        return base64.urlsafe_b64encode(head + self._mac(head)).decode("ascii")

    def check(self, nonce: str, expire: int, max_drift: int) -> NonceInfo:
        """Is ``nonce`` ours (or a cluster peer's), and still young enough?"""
        if len(nonce) != TEXT_LENGTH:
            return NonceInfo(NonceState.INVALID)
        try:
            raw = base64.urlsafe_b64decode(nonce.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            return NonceInfo(NonceState.INVALID)
        if len(raw) != _SIZE:
            return NonceInfo(NonceState.INVALID)
        head, mac = raw[: _LAYOUT.size], raw[_LAYOUT.size :]
        if not hmac.compare_digest(mac, self._mac(head)):
            return NonceInfo(NonceState.INVALID)
        issued, instance, nid = _LAYOUT.unpack(head)
        now = int(self._clock())
        ours = instance == self.instance
        if issued > now + max_drift:
            return NonceInfo(NonceState.INVALID, issued, nid, ours)
        if now - issued > expire:
            return NonceInfo(NonceState.STALE, issued, nid, ours)
        return NonceInfo(NonceState.VALID, issued, nid, ours)

    def nc_check(self, info: NonceInfo, nc: int) -> NcState:
        """Would ``nc`` be accepted for this (valid) nonce? Nothing is recorded."""
        slot = info.nid & self._mask
        if self._nids[slot] != info.nid:
            # ours: a newer nonce took the slot; foreign: not seen here yet
            return NcState.RECYCLED if info.ours else NcState.FRESH
        return NcState.FRESH if nc > self._ncs[slot] else NcState.REPLAY

    def nc_accept(self, info: NonceInfo, nc: int) -> NcState:
        """Record ``nc`` for the nonce when :meth:`nc_check` calls it fresh."""
        state = self.nc_check(info, nc)
        if state is NcState.FRESH:
            slot = info.nid & self._mask
            self._nids[slot] = info.nid  # a foreign nonce takes the slot on first use
            self._ncs[slot] = nc
        return state
