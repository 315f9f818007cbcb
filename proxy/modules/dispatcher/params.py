"""The ``dispatcher`` runtime-parameter group: keepalive probing (OPTIONS pings).

Names and meanings follow Kamailio's dispatcher module parameters (there they are
start-up settings; here each can change at run time with ``cfg.seti``/``cfg.sets`` and
takes effect at the next probing round). Kept free of imports so that the cfg catalog
can list it cheaply.
"""

from __future__ import annotations

import re

from proxy.cfg.model import BadValue, Group, Int, Str

_DAY = 86400
_CODES = re.compile(r"^\s*(?:(?:class=[1-6]|code=[1-6][0-9][0-9])\s*(?:;\s*|$))*$")


def check_reply_codes(text: str) -> str:
    """``class=2;code=403;...`` (stripped); BadValue naming the variable otherwise."""
    if not _CODES.match(text):
        raise BadValue(
            f"dispatcher.ds_ping_reply_codes must be a list like 'class=2;code=403' "
            f"(class=N a whole class, code=NNN one code), got {text!r}"
        )
    return text.strip()


def reply_codes(text: str) -> tuple[frozenset[int], frozenset[int]]:
    """(classes, codes) of a checked ``ds_ping_reply_codes`` value."""
    classes: set[int] = set()
    codes: set[int] = set()
    for item in text.split(";"):
        name, _, value = item.strip().partition("=")
        if name == "class":
            classes.add(int(value))
        elif name == "code":
            codes.add(int(value))
    return frozenset(classes), frozenset(codes)


GROUP = Group(
    "dispatcher",
    "Dispatcher keepalive probing: OPTIONS pings to destinations, and when their state changes.",
    (
        Int(
            "ds_ping_interval",
            10,
            "Seconds between two probing rounds (OPTIONS to each probed destination); "
            "0 turns probing off.",
            min=0,
            max=_DAY,
            unit="s",
        ),
        Int(
            "ds_probing_mode",
            0,
            "0: probe only destinations with the probing flag (P: set in the table's flags "
            "(8), by dispatcher.set_state, or by a failure); 1: probe every destination that "
            "is not disabled.",
            min=0,
            max=1,
        ),
        Int(
            "ds_probing_threshold",
            1,
            "Failed pings in a row after which an active destination becomes inactive "
            "(before that it is 'trying').",
            min=1,
            max=1000,
        ),
        Int(
            "ds_inactive_threshold",
            1,
            "Answered pings in a row after which an inactive destination is active again.",
            min=1,
            max=1000,
        ),
        Str(
            "ds_ping_from",
            "sip:dispatcher@localhost",
            "From URI of the OPTIONS pings (a destination's ping_from attribute wins).",
        ),
        Str(
            "ds_ping_reply_codes",
            "",
            "Replies besides 2xx that count as answered, e.g. 'class=4;code=503' "
            "(class=N a whole class, code=NNN one code).",
            normalize=check_reply_codes,
        ),
        Int(
            "ds_ping_timeout",
            5000,
            "How long a ping may wait for its final reply before it counts as failed.",
            min=100,
            max=60000,
            unit="ms",
        ),
    ),
)
