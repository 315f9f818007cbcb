"""The files a server listens on: creation with mode and owner, stale-file handling.

A FIFO or socket left behind by a crashed instance is replaced; one that a live
server still serves is not (:class:`EndpointInUse`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import stat
from dataclasses import dataclass

from rpc.owners import resolve_gid, resolve_uid


class EndpointInUse(OSError):
    """Another live server owns the FIFO or socket."""


@dataclass(frozen=True)
class FileAccess:
    """Mode and ownership of a FIFO or socket file."""

    mode: int = 0o660
    user: str | int | None = None
    group: str | int | None = None


def apply_access(path: str, access: FileAccess) -> None:
    """chmod (umask-proof) and chown ``path`` as ``access`` says."""
    os.chmod(path, access.mode)
    uid, gid = resolve_uid(access.user), resolve_gid(access.group)
    if uid != -1 or gid != -1:
        os.chown(path, uid, gid)


def fifo_is_live(path: str) -> bool:
    """True when some process has ``path`` (a FIFO) open for reading."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # no reader: stale
            return False
        raise
    os.close(fd)
    return True


def socket_is_live(path: str) -> bool:
    """True when a datagram socket is bound at ``path`` by a live process."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        probe.connect(path)
    except OSError as exc:
        if exc.errno in (errno.ECONNREFUSED, errno.ENOENT):
            return False
        if exc.errno == errno.EPROTOTYPE:  # a stream socket: someone's, keep it
            return True
        raise
    finally:
        probe.close()
    return True


def clear_stale(path: str, kind: str) -> None:
    """Remove a stale FIFO or socket at ``path``; refuse a live one or another file."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if kind == "fifo" and stat.S_ISFIFO(st.st_mode):
        live = fifo_is_live(path)
    elif kind == "socket" and stat.S_ISSOCK(st.st_mode):
        live = socket_is_live(path)
    else:
        raise EndpointInUse(
            errno.EEXIST, f"{path} exists and is not a {kind}; remove it or choose another path"
        )
    if live:
        raise EndpointInUse(errno.EADDRINUSE, f"{path} is served by another running instance")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def remove_if_ours(path: str, inode: tuple[int, int] | None) -> None:
    """Unlink ``path`` if it is still the file we created (same device and inode)."""
    if inode is None:
        return
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if (st.st_dev, st.st_ino) == inode:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def inode_of(path: str) -> tuple[int, int]:
    st = os.lstat(path)
    return st.st_dev, st.st_ino
