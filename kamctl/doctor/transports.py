"""Can this user reach the proxy over each RPC transport?

For a FIFO: it exists, is a FIFO, this user may write it, and may create a reply FIFO
in the reply directory (the proxy's ``fifo_reply_dir``); for a datagram socket: it
exists, is a socket and is writable; then, for every transport, a real ``core.version``
call. With kamproxy's default addresses one answering transport is enough, so the
others only warn; an address that was configured must work.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import stat
import uuid

from kamctl.doctor.context import DoctorContext
from kamctl.doctor.model import FAIL, PASS, WARN, Result
from kamctl.managed import Endpoint

CHECK = "rpc"
START_HINT = (
    "start the proxy (`kamctl start`); for Kamailio load jsonrpcs with this transport "
    "(modparam jsonrpcs transport, fifo_name, dgram_socket); or point kamctl at the right "
    "address (-s ADDRESS, KAMCTL_RPC, kamctlrc RPCFIFOPATH)"
)


class Problem(Exception):
    """What stops this user from using the address, and the fix."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


def _owner(st: os.stat_result) -> str:
    try:
        user = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        user = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    return f"owner {user}, group {group}, mode {stat.S_IMODE(st.st_mode):04o}"


def _me() -> str:
    try:
        return f"{pwd.getpwuid(os.getuid()).pw_name} (uid {os.getuid()})"
    except KeyError:
        return f"uid {os.getuid()}"


def _file(path: str, kind: str, is_kind: int) -> None:
    """The endpoint file exists, is a ``kind``, and is writable by us."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise Problem(
            f"{kind} {path} does not exist: the proxy is not serving it", START_HINT
        ) from None
    except PermissionError:
        raise Problem(
            f"cannot look at {path}: a directory on the way is closed to {_me()}",
            "give this user access to the directory (e.g. the proxy's group), or run as the "
            "proxy's user",
        ) from None
    if stat.S_IFMT(st.st_mode) != is_kind:
        raise Problem(
            f"{path} exists but is not a {kind}",
            "remove it and restart the proxy, which creates the " + kind,
        )
    if not os.access(path, os.W_OK):
        raise Problem(
            f"{_me()} may not write {kind} {path} ({_owner(st)})",
            "add this user to the proxy's group (kamproxy: [rpc] fifo_group/dgram_group and "
            "fifo_mode/dgram_mode 0660; Kamailio: modparam jsonrpcs fifo_group/fifo_mode, "
            "dgram_group/dgram_mode), or run kamctl as the proxy's user",
        )


def _reply_dir(directory: str) -> None:
    """This user can create (and remove) a reply FIFO in ``directory``."""
    fix = (
        "make kamctl's reply_dir (kamctl.toml reply_dir, KAMCTL_REPLY_DIR) the proxy's "
        "fifo_reply_dir, a directory this user may write (kamproxy: [rpc] fifo_reply_dir; "
        "Kamailio: modparam jsonrpcs fifo_reply_dir)"
    )
    if not os.path.isdir(directory):
        raise Problem(f"reply directory {directory} does not exist", fix)
    probe = os.path.join(directory, f"kamctl_doctor_{uuid.uuid4().hex[:12]}")
    try:
        os.mkfifo(probe, 0o600)
    except OSError as exc:
        raise Problem(
            f"{_me()} cannot create a reply FIFO in {directory}: {exc.strerror}", fix
        ) from None
    with contextlib.suppress(OSError):
        os.unlink(probe)


def _prerequisites(endpoint: Endpoint) -> None:
    address = endpoint.address
    if address.scheme == "fifo":
        _file(address.target, "FIFO", stat.S_IFIFO)
        _reply_dir(endpoint.reply_dir)
    elif address.scheme == "unix":
        _file(address.target, "socket", stat.S_IFSOCK)


def check_endpoint(ctx: DoctorContext, endpoint: Endpoint) -> Result:
    subject = str(endpoint)
    try:
        _prerequisites(endpoint)
    except Problem as problem:
        return Result(CHECK, FAIL, problem.message, problem.fix, subject)
    answer = ctx.probe(endpoint)
    if not answer.ok:
        return Result(CHECK, FAIL, f"no answer: {answer.error}", START_HINT, subject)
    return Result(CHECK, PASS, f"answers ({str(answer.result).strip()})", subject=subject)


def check_rpc(ctx: DoctorContext) -> list[Result]:
    """One result per address; with the default addresses a failure is only a warning
    when another transport answers."""
    results = [check_endpoint(ctx, e) for e in ctx.targets]
    if not ctx.explicit and any(r.status == PASS for r in results):
        for r in results:
            if r.status == FAIL:
                r.status = WARN
                r.message += " (another transport answers)"
    if not results:
        results.append(
            Result(CHECK, FAIL, "no RPC transport is configured", "enable FIFO, socket or HTTP")
        )
    return results
