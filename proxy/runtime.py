"""The runtime directory and the pid file that proves who owns it.

The pid file is held with an exclusive ``flock`` for the life of the process, so a
second kamproxy on the same directory is refused with the first one's pid, and a pid
file left by a crashed instance (no lock held) is simply taken over.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from pathlib import Path


class RuntimeDirError(OSError):
    """The runtime directory cannot be used; the message says why."""


class AlreadyRunning(RuntimeDirError):
    """Another instance holds the pid file lock."""


def ensure_runtime_dir(path: Path) -> None:
    """Create ``path`` if needed; a per-user dir under /tmp must be ours and private."""
    shared_tmp = str(path).startswith("/tmp/")
    try:
        path.mkdir(mode=0o700 if shared_tmp else 0o755, parents=True, exist_ok=True)
    except PermissionError:
        raise RuntimeDirError(
            errno.EACCES,
            f"cannot create runtime dir {path}: permission denied (choose another with -Y DIR)",
        ) from None
    except OSError as exc:
        raise RuntimeDirError(
            exc.errno or 0, f"cannot create runtime dir {path}: {exc.strerror}"
        ) from None
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise RuntimeDirError(errno.ENOTDIR, f"runtime dir {path} is not a directory")
    if shared_tmp and (st.st_uid != os.getuid() or st.st_mode & 0o022):
        raise RuntimeDirError(
            errno.EPERM,
            f"runtime dir {path} is not owned by this user or is writable by others; "
            "remove it or choose another with -Y DIR",
        )
    if not os.access(path, os.W_OK | os.X_OK):
        raise RuntimeDirError(errno.EACCES, f"runtime dir {path} is not writable by this user")


class PidFile:
    """An exclusively locked pid file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        """Lock and write our pid, or raise AlreadyRunning with the owner's pid."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise AlreadyRunning(
                errno.EADDRINUSE,
                f"another kamproxy (pid {owner}) owns runtime dir {self.path.parent}; "
                "stop it first or choose another directory with -Y DIR",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        """Remove the file and drop the lock."""
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        os.close(self._fd)
        self._fd = None


def read_pid(path: Path) -> int | None:
    """The pid in ``path`` if a live process holds its lock, else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.read(fd, 32).decode(errors="replace").strip()
            return int(text) if text.isdigit() else None
        return None  # we got the lock: nobody holds it, the file is stale
    finally:
        os.close(fd)
