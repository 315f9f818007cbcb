"""The ``registrar`` runtime-parameter group: expiry bounds, contact limits, Path.

Names and defaults are Kamailio 5.6's registrar module parameters where they exist
(``default_expires``, ``min_expires``, ``max_expires``, ``max_contacts``,
``min_expires_mode``, ``path_mode``, ``use_path``, ``append_branches``,
``method_filtering``); ``store_received`` is ours. All are read for each REGISTER or
lookup, so a change applies to the next one. Kept free of heavy imports.
"""

from __future__ import annotations

from proxy.cfg.model import Flag, Group, Int

_INT32 = 2**31 - 1

GROUP = Group(
    "registrar",
    "REGISTER processing: expiry bounds, contacts per AoR, Path, NAT, lookup.",
    (
        Int(
            "default_expires",
            3600,
            "Expiry of a contact when neither its expires parameter nor an Expires "
            "header gives one.",
            min=1,
            max=_INT32,
            unit="s",
        ),
        Int(
            "min_expires",
            60,
            "Shortest expiry accepted (0: no minimum); see min_expires_mode.",
            min=0,
            max=_INT32,
            unit="s",
        ),
        Flag(
            "min_expires_mode",
            1,
            "1: a shorter expiry is refused with 423 Interval Too Brief and Min-Expires "
            "(RFC 3261 10.3); 0: it is raised to min_expires (Kamailio's default).",
        ),
        Int(
            "max_expires",
            0,
            "Longest expiry granted; longer ones are cut to it (0: no maximum).",
            min=0,
            max=_INT32,
            unit="s",
        ),
        Int(
            "max_contacts",
            0,
            "Contacts one AoR may have; a REGISTER that would exceed it is refused with "
            "503 and changes nothing (0: no limit).",
            min=0,
            max=10000,
        ),
        Flag(
            "use_path",
            1,
            "1: store the Path headers of a REGISTER (RFC 3327) and route requests to "
            "the contact through them.",
        ),
        Int(
            "path_mode",
            2,
            "With use_path: 0 never echo Path in the 200; 1 echo it, and refuse with 420 "
            "a client that did not say Supported: path; 2 echo it when the client said "
            "Supported: path.",
            min=0,
            max=2,
        ),
        Flag(
            "store_received",
            1,
            "1: when a REGISTER comes from another address than its Contact (NAT), store "
            "the source as the contact's received address and send requests there.",
        ),
        Flag(
            "append_branches",
            1,
            "1: lookup returns every contact (parallel forking); 0: only the best one.",
        ),
        Flag(
            "method_filtering",
            0,
            "1: lookup skips contacts whose Allow (at registration) lacks the method.",
        ),
    ),
)
