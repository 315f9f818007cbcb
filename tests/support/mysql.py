"""A private MariaDB server for tests: Debian's mariadb-server binaries, a temporary data
directory, a free loopback port, a user with a password. The system's own server (if
any) is not used. Under root the server runs as the ``mysql`` system user.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.proxy import free_port
from tests.support.tools import require, require_module, server_user

USER = "kamctl"
PASSWORD = "my-secret"
MARIADBD = "/usr/sbin/mariadbd"
INSTALL_DB = "mariadb-install-db"
CLIENT = "mariadb"
_counter = itertools.count(1)


def require_pymysql() -> None:
    require_module("pymysql", "pip install 'kamctl[mysql]'")



class MariadbServer:
    def __init__(self) -> None:
        self.daemon = require(MARIADBD, "Debian package mariadb-server")
        self.install_db = require(INSTALL_DB, "Debian package mariadb-server")
        self.client = require(CLIENT, "Debian package mariadb-client")
        self.owner = server_user("mysql", "MariaDB")
        self.dir = Path(tempfile.mkdtemp(prefix="kamctl-my-"))
        self.data = self.dir / "data"
        self.sock = self.dir / "sock"
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def _user_kwargs(self) -> dict[str, Any]:
        if self.owner is None:
            return {}
        return {"user": self.owner[0], "group": self.owner[1], "extra_groups": []}

    def start(self, wait: float = 60.0) -> MariadbServer:
        if self.owner is not None:
            os.chown(self.dir, *self.owner)
        try:
            subprocess.run(
                [
                    self.install_db,
                    "--no-defaults",
                    f"--datadir={self.data}",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                    "--skip-name-resolve",
                ],
                cwd=self.dir,
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
                **self._user_kwargs(),
            )
        except subprocess.CalledProcessError as exc:
            self.cleanup()
            pytest.fail(f"mariadb-install-db failed: {exc.stderr}\n{exc.stdout}")
        self.proc = subprocess.Popen(
            [
                self.daemon,
                "--no-defaults",
                f"--datadir={self.data}",
                f"--socket={self.sock}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                f"--pid-file={self.dir / 'pid'}",
                f"--log-error={self.dir / 'error.log'}",
                "--innodb-flush-log-at-trx-commit=0",
                "--innodb-buffer-pool-size=32M",
                "--skip-log-bin",
            ],
            cwd=self.dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **self._user_kwargs(),
        )
        deadline = time.monotonic() + wait
        while True:
            if self._sql(
                f"CREATE USER IF NOT EXISTS '{USER}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}';"
                f"GRANT ALL ON *.* TO '{USER}'@'127.0.0.1';",
                check=False,
            ):
                return self
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = (
                    (self.dir / "error.log").read_text()
                    if (self.dir / "error.log").exists()
                    else ""
                )
                self.stop()
                pytest.fail(f"MariaDB did not start:\n{log[-3000:]}")
            time.sleep(0.2)

    def _sql(self, statements: str, check: bool = True) -> bool:
        """Run SQL as the server's root over its socket; True when it worked."""
        done = subprocess.run(
            [self.client, "--no-defaults", "-S", str(self.sock), "-u", "root", "-e", statements],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if check and done.returncode != 0:
            raise RuntimeError(done.stderr)
        return done.returncode == 0

    def url(self, database: str, password: str = PASSWORD) -> str:
        return f"mysql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def fresh_name(self, prefix: str = "kt") -> str:
        return f"{prefix}_{os.getpid()}_{next(_counter)}"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        self.cleanup()

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
