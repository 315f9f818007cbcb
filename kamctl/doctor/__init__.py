"""``kamctl doctor``: the FAQ's checks, one small function each (this package's modules).

:data:`CHECKS` runs in order; each takes the shared :class:`DoctorContext` and returns
its findings. docs/troubleshooting.md explains every check and its fix.
"""

from __future__ import annotations

from collections.abc import Callable

from kamctl.doctor.context import DoctorContext
from kamctl.doctor.database import check_database
from kamctl.doctor.model import Result
from kamctl.doctor.process import check_process
from kamctl.doctor.server import (
    check_aliases,
    check_debug,
    check_domains,
    check_memory,
    check_sockets,
)
from kamctl.doctor.transports import check_rpc

Check = Callable[[DoctorContext], list[Result]]

#: Every check, in the order they are printed.
CHECKS: tuple[Check, ...] = (
    check_process,
    check_rpc,
    check_database,
    check_sockets,
    check_aliases,
    check_domains,
    check_debug,
    check_memory,
)


def run(ctx: DoctorContext, checks: tuple[Check, ...] = CHECKS) -> list[Result]:
    results: list[Result] = []
    for check in checks:
        results.extend(check(ctx))
    return results
