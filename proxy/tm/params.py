"""The ``tm`` runtime-parameter group (Kamailio's tm names and defaults) and the timer
values one transaction runs with.

A transaction reads :class:`TmSettings` once, when it is created: changing a timer
with ``cfg.seti tm fr_timer 5000`` affects new transactions only, as in Kamailio.
Kept free of heavy imports so that the cfg catalog can list it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass

from proxy.cfg.model import Flag, Group, Int, Str
from proxy.cfg.params import Snapshot

_HOUR_MS = 3_600_000
_DAY_MS = 86_400_000

GROUP = Group(
    "tm",
    "Transactions: timers (read when a transaction starts) and behaviour.",
    (
        Int(
            "fr_timer",
            30000,
            "How long a branch waits for a final reply (for INVITE: for the first reply) "
            "before it times out with 408 (RFC 3261 timers B and F).",
            min=1,
            max=_DAY_MS,
            unit="ms",
        ),
        Int(
            "fr_inv_timer",
            120000,
            "How long an INVITE branch that got a provisional reply waits for the final one.",
            min=1,
            max=_DAY_MS,
            unit="ms",
        ),
        Int(
            "wt_timer",
            5000,
            "How long a completed transaction stays to absorb retransmissions before it "
            "is freed.",
            min=1,
            max=_HOUR_MS,
            unit="ms",
        ),
        Int(
            "retr_timer1",
            500,
            "First retransmission interval over UDP (RFC 3261 T1); doubles each time.",
            min=1,
            max=_HOUR_MS,
            unit="ms",
        ),
        Int(
            "retr_timer2",
            4000,
            "Largest retransmission interval over UDP (RFC 3261 T2).",
            min=1,
            max=_HOUR_MS,
            unit="ms",
        ),
        Int(
            "max_inv_lifetime",
            180000,
            "Longest time an INVITE transaction may wait for its final reply, whatever "
            "the branches do.",
            min=1,
            max=_DAY_MS,
            unit="ms",
        ),
        Int(
            "max_noninv_lifetime",
            32000,
            "Longest time a non-INVITE transaction may wait for its final reply.",
            min=1,
            max=_DAY_MS,
            unit="ms",
        ),
        Flag(
            "restart_fr_on_each_reply",
            1,
            "1: every provisional reply on an INVITE branch restarts its fr_inv_timer.",
        ),
        Flag("auto_inv_100", 1, "1: answer every INVITE at once with 100 Trying."),
        Str(
            "auto_inv_100_reason",
            "trying -- your call is important to us",
            "Reason phrase of the automatic 100 Trying.",
        ),
        Int(
            "default_code",
            500,
            "Reply code sent when the routing script fails on a request it must answer.",
            min=400,
            max=699,
        ),
        Str(
            "default_reason",
            "Server Internal Error",
            "Reason phrase sent with default_code.",
        ),
        Int(
            "unmatched_cancel",
            0,
            "A CANCEL that matches no INVITE: 0 goes to the routing script, 1 is relayed "
            "statelessly to its Request-URI, 2 is dropped.",
            min=0,
            max=2,
        ),
        Flag(
            "disable_6xx_block",
            0,
            "1: a 6xx reply on one branch does not cancel the other branches.",
        ),
        Flag(
            "aggregate_challenges",
            1,
            "1: when the chosen reply is 401 or 407, it carries the challenges of every "
            "branch that answered 401 or 407.",
        ),
        Flag(
            "e2e_cancel_reason",
            1,
            "1: Reason headers of a received CANCEL are copied into the CANCELs sent on.",
        ),
        Flag(
            "local_cancel_reason",
            1,
            "1: CANCELs tm sends by itself (another branch answered 2xx or 6xx) carry a "
            "Reason header.",
        ),
        Flag("relay_100", 0, "1: relay 100 replies upstream instead of absorbing them."),
    ),
)


@dataclass(frozen=True, slots=True)
class TmSettings:
    """The tm values one transaction runs with (seconds for timers)."""

    fr: float
    fr_inv: float
    wait: float
    t1: float
    t2: float
    max_inv_lifetime: float
    max_noninv_lifetime: float
    restart_fr: bool
    auto_100: bool
    auto_100_reason: str
    disable_6xx_block: bool
    aggregate_challenges: bool
    e2e_cancel_reason: bool
    local_cancel_reason: bool
    relay_100: bool

    @classmethod
    def read(cls, values: Snapshot) -> TmSettings:
        def ms(name: str) -> float:
            return values.get_int("tm", name) / 1000.0

        def flag(name: str) -> bool:
            return bool(values.get_int("tm", name))

        t1 = ms("retr_timer1")
        return cls(
            fr=ms("fr_timer"),
            fr_inv=ms("fr_inv_timer"),
            wait=ms("wt_timer"),
            t1=t1,
            t2=max(ms("retr_timer2"), t1),
            max_inv_lifetime=ms("max_inv_lifetime"),
            max_noninv_lifetime=ms("max_noninv_lifetime"),
            restart_fr=flag("restart_fr_on_each_reply"),
            auto_100=flag("auto_inv_100"),
            auto_100_reason=values.get_str("tm", "auto_inv_100_reason"),
            disable_6xx_block=flag("disable_6xx_block"),
            aggregate_challenges=flag("aggregate_challenges"),
            e2e_cancel_reason=flag("e2e_cancel_reason"),
            local_cancel_reason=flag("local_cancel_reason"),
            relay_100=flag("relay_100"),
        )

    def lifetime(self, invite: bool) -> float:
        return self.max_inv_lifetime if invite else self.max_noninv_lifetime


class SettingsCache:
    """:meth:`TmSettings.read` once per change of the ``tm`` group, not per transaction."""

    def __init__(self, values: Snapshot) -> None:
        self.values = values
        self._settings: TmSettings | None = None
        watch = getattr(values, "watch", None)
        self._cached = callable(watch)
        if watch is not None and self._cached:
            for var in GROUP:
                watch("tm", var.name, self._invalidate)

    def _invalidate(self, _value: object) -> None:
        self._settings = None

    def get(self) -> TmSettings:
        settings = self._settings
        if settings is None:
            settings = TmSettings.read(self.values)
            if self._cached:
                self._settings = settings
        return settings
