"""Is the proxy process running? (kamproxy's locked pid file)"""

from __future__ import annotations

from kamctl.doctor.context import DoctorContext
from kamctl.doctor.model import FAIL, PASS, SKIP, Result

CHECK = "process"


def check_process(ctx: DoctorContext) -> list[Result]:
    managed = ctx.managed
    pid = managed.pid()
    subject = str(managed.pid_file)
    if pid is not None:
        return [Result(CHECK, PASS, f"kamproxy is running: pid {pid}", subject=subject)]
    stale = managed.stale_pid()
    log = managed.log_file()
    if stale is not None:
        see = f" (see its log {log})" if log else ""
        return [
            Result(
                CHECK,
                FAIL,
                f"kamproxy is not running: its pid file was left by pid {stale}, which "
                f"ended without cleaning up{see}",
                "look at the log for the cause, then `kamctl start`",
                subject,
            )
        ]
    if ctx.answering() is not None:
        return [
            Result(
                CHECK,
                SKIP,
                f"no kamproxy pid file in {managed.runtime_dir}, but the RPC address answers: "
                "a Kamailio, or a kamproxy with another runtime dir (-Y DIR)",
                subject=subject,
            )
        ]
    return [
        Result(
            CHECK,
            FAIL,
            f"the proxy is not running: no pid file in {managed.runtime_dir} "
            f"(from {managed.source}) and no RPC address answers",
            "start it: `kamctl start` (or start Kamailio); if it runs elsewhere, give its "
            "runtime dir (-Y DIR) or RPC address (-s ADDRESS)",
            subject,
        )
    ]
