"""Drive a program through a pseudo-terminal (a small pexpect of our own)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import subprocess
import termios
import time


def _take_terminal() -> None:
    """In the child, after setsid(): make the pty on stdin the controlling terminal,
    so that Ctrl-C becomes SIGINT as in a real session."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyProcess:
    """A child whose stdin, stdout and stderr are one terminal; everything it writes is kept."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: str) -> None:
        master, slave = pty.openpty()
        self.master = master
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
            preexec_fn=_take_terminal,
        )
        os.close(slave)
        self.output = b""

    def _read(self, wait: float) -> bool:
        ready, _w, _x = select.select([self.master], [], [], wait)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.output += data
        return bool(data)

    def expect(self, text: str, timeout: float = 10.0) -> str:
        """Wait until ``text`` appears after what earlier expects consumed; return the part read."""
        needle = text.encode()
        deadline = time.monotonic() + timeout
        while needle not in self.output:
            left = deadline - time.monotonic()
            if left <= 0 or (not self._read(min(left, 0.2)) and self.proc.poll() is not None):
                if needle in self.output:
                    break
                raise AssertionError(f"{text!r} not seen; output so far: {self.output!r}")
        head, _sep, tail = self.output.partition(needle)
        self.output = tail
        return head.decode("utf-8", "replace")

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def wait(self, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        if self.proc.poll() is None:
            self.close()
            raise AssertionError("the program did not end")
        while self._read(0.05):
            pass
        return self.proc.returncode

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        os.close(self.master)
