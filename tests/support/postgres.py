"""A private PostgreSQL server for tests: Debian's binaries, a temporary directory, a free
loopback port, password authentication. Nothing of the system's own cluster is used.

PostgreSQL refuses to run as root, so under root the server runs as the ``postgres``
system user (or ``nobody``) in a directory that user owns.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.support.proxy import free_port
from tests.support.tools import require, require_module, server_user

USER = "kamctl"
PASSWORD = "pg-secret"
_counter = itertools.count(1)


def binaries() -> Path:
    """The newest installed ``/usr/lib/postgresql/N/bin`` (skip, or fail under CI)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[4]) if Path(p).parts[4].isdigit() else 0,
    )
    if not found:
        require("initdb", "Debian package postgresql (apt-get install postgresql)")
        return Path(shutil.which("initdb") or "initdb").parent
    return Path(found[-1]).parent


def require_psycopg() -> None:
    require_module("psycopg", "pip install 'kamctl[postgres]'")



class PostgresServer:
    def __init__(self) -> None:
        self.bin = binaries()
        self.owner = server_user("postgres", "PostgreSQL")
        # Not under pytest's tmp dir: that is 0700 root, which the server user cannot enter.
        self.dir = Path(tempfile.mkdtemp(prefix="kamctl-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = free_port()
        self.started = False

    def _cmd(self, *args: str, check: bool = True, timeout: float = 60) -> Any:
        kwargs: dict[str, Any] = {}
        if self.owner is not None:
            kwargs.update(user=self.owner[0], group=self.owner[1], extra_groups=[])
        return subprocess.run(
            list(args),
            cwd=self.dir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
            **kwargs,
        )

    def start(self) -> PostgresServer:
        pwfile = self.dir / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        if self.owner is not None:
            os.chown(self.dir, *self.owner)
            os.chown(pwfile, *self.owner)
        self.dir.chmod(0o700)
        try:
            self._cmd(
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                USER,
                "--pwfile",
                str(pwfile),
                "--auth=scram-sha-256",
                "--no-locale",
                "-E",
                "UTF8",
                "--no-sync",
            )
            options = (
                f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=50"
            )
            self._cmd(
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
                timeout=90,
            )
        except subprocess.CalledProcessError as exc:
            log = self.log.read_text() if self.log.exists() else ""
            self.cleanup()
            pytest.fail(f"PostgreSQL did not start: {exc.stderr}\n{exc.stdout}\n{log}")
        self.started = True
        return self

    def url(self, database: str, password: str = PASSWORD) -> str:
        return f"postgres://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def fresh_name(self, prefix: str = "kt") -> str:
        """A database name not used before in this session (the database is not made)."""
        return f"{prefix}_{os.getpid()}_{next(_counter)}"

    def stop(self) -> None:
        if self.started:
            self._cmd(
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "immediate",
                "-w",
                "stop",
                check=False,
            )
            self.started = False
        self.cleanup()

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
