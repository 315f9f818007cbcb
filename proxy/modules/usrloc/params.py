"""The ``usrloc`` runtime-parameter group: where registrations live, how AoRs are named.

Names and values follow Kamailio's usrloc module parameters. ``db_mode`` and
``use_domain`` shape the store and are read at start (set them in ``[cfg.usrloc]``);
``timer_interval`` is read live. Kept free of heavy imports for the cfg catalog.
"""

from __future__ import annotations

from proxy.cfg.model import Flag, Group, Int

NO_DB = 0
WRITE_THROUGH = 1
WRITE_BACK = 2
DB_ONLY = 3

GROUP = Group(
    "usrloc",
    "The location service: registrations in memory and in the location table.",
    (
        Int(
            "db_mode",
            WRITE_THROUGH,
            "0: memory only (lost at restart); 1: memory, every change written to the "
            "location table before the reply (write-through, loaded again at start); "
            "2: memory, changes written every timer_interval (write-back); 3: the "
            "location table only (several proxies can share it). Read at start.",
            min=NO_DB,
            max=DB_ONLY,
            read_only=True,
        ),
        Flag(
            "use_domain",
            1,
            "1: an AoR is user@domain (each domain has its own users); 0: the user alone "
            "(Kamailio's default; the domain is stripped). Read at start.",
            read_only=True,
        ),
        Int(
            "timer_interval",
            60,
            "Seconds between two sweeps that drop expired contacts (and, db_mode 2, "
            "write changes; every mode retries writes that failed).",
            min=1,
            max=3600,
            unit="s",
        ),
        Int(
            "server_id",
            0,
            "Written into the server_id column of new contacts (tells cluster nodes apart).",
            min=0,
            max=2**31 - 1,
        ),
    ),
)
