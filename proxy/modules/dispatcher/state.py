"""A destination's state: Active, Inactive, Trying or Disabled, plus the Probing flag.

The table's ``flags`` column holds the initial state as Kamailio's bits: 1 inactive,
2 trying, 4 disabled, 8 probing (16, "no DNS resolving", is accepted and ignored).
``dispatcher.list`` shows the state as two letters: ``A``/``I``/``T``/``D`` and ``P``
(probing) or ``X``. ``dispatcher.set_state`` takes Kamailio's state words: first
character ``0|i|I`` inactive, ``1|a|A`` active, ``2|d|D`` disabled, ``3|t|T`` trying,
then optionally ``p|P`` for probing.

Usable for routing: Active and Trying. Probe results move a destination (see
:meth:`DestState.probe_failed` and :meth:`DestState.probe_answered`); a Disabled
destination is changed only by an operator (``set_state``) or a reload.
"""

from __future__ import annotations

from dataclasses import dataclass

INACTIVE_BIT, TRYING_BIT, DISABLED_BIT, PROBING_BIT, NODNS_BIT = 1, 2, 4, 8, 16
ALL_BITS = 31

ACTIVE, INACTIVE, TRYING, DISABLED = "A", "I", "T", "D"

_STATE_CHARS = {
    "0": INACTIVE, "i": INACTIVE, "I": INACTIVE,
    "1": ACTIVE, "a": ACTIVE, "A": ACTIVE,
    "2": DISABLED, "d": DISABLED, "D": DISABLED,
    "3": TRYING, "t": TRYING, "T": TRYING,
}  # fmt: skip


class StateError(ValueError):
    """A state word that cannot be read; ``empty`` tells "" from an unknown letter."""

    def __init__(self, message: str, *, empty: bool = False) -> None:
        super().__init__(message)
        self.empty = empty


def parse_state(word: str) -> tuple[str, bool]:
    """(state letter, probing) of a ``set_state`` word such as ``ip`` or ``1``."""
    if not word:
        raise StateError("empty state", empty=True)
    state = _STATE_CHARS.get(word[0])
    if state is None or len(word) > 2 or (len(word) == 2 and word[1] not in "pP"):
        raise StateError(
            f"unknown state {word!r}: use a (active), i (inactive), t (trying) or "
            "d (disabled), optionally followed by p (probing)"
        )
    return state, len(word) == 2


def state_of_flags(flags: int) -> tuple[str, bool]:
    """(state letter, probing) of the table's ``flags`` bits."""
    if flags & DISABLED_BIT:
        state = DISABLED
    elif flags & INACTIVE_BIT:
        state = INACTIVE
    elif flags & TRYING_BIT:
        state = TRYING
    else:
        state = ACTIVE
    return state, bool(flags & PROBING_BIT) and state != DISABLED


@dataclass
class DestState:
    """The live state of one destination (changed in place by the event loop only)."""

    state: str = ACTIVE
    probing: bool = False
    #: failed pings in a row (towards ds_probing_threshold)
    failures: int = 0
    #: answered pings in a row while inactive (towards ds_inactive_threshold)
    successes: int = 0

    @classmethod
    def from_flags(cls, flags: int) -> DestState:
        state, probing = state_of_flags(flags)
        return cls(state, probing)

    @property
    def usable(self) -> bool:
        """May routing send to it? (Active or Trying.)"""
        return self.state in (ACTIVE, TRYING)

    def letters(self, probe_all: bool = False) -> str:
        """Kamailio's two FLAGS letters; with ``probe_all`` every non-disabled one shows P."""
        probing = self.probing or (probe_all and self.state != DISABLED)
        return self.state + ("P" if probing else "X")

    def set(self, state: str, probing: bool) -> None:
        """An operator's (or the routing script's) decision; counters start over."""
        self.state = state
        self.probing = probing and state != DISABLED
        self.failures = 0
        self.successes = 0

    def probe_failed(self, threshold: int) -> None:
        """A ping went unanswered (timeout, or a reply that does not count)."""
        if self.state == DISABLED:
            return
        self.successes = 0
        self.failures += 1
        self.probing = True  # keep probing it, so it can come back
        if self.state in (ACTIVE, TRYING):
            self.state = INACTIVE if self.failures >= threshold else TRYING

    def probe_answered(self, threshold: int) -> None:
        """A ping was answered with a code that counts."""
        if self.state == DISABLED:
            return
        self.failures = 0
        if self.state == INACTIVE:
            self.successes += 1
            if self.successes >= threshold:
                self.state = ACTIVE
                self.successes = 0
        elif self.state == TRYING:
            self.state = ACTIVE
