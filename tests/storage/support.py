"""Running kamctl in-process with an isolated configuration, and looking at a database."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from kamctl.cli import cli
from kamctl.config.kamailio import ENVIRONMENT
from proxy.storage.database import Database
from proxy.storage.url import parse_url

#: An RPC address where nothing listens (kamctl rm's ul.rm then fails fast).
NO_PROXY = "unix:/nonexistent/kamproxy.sock"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def scrubbed_env(home: Path, **extra: str | None) -> dict[str, str | None]:
    """Unset every variable kamctl's configuration reads; HOME points at ``home``."""
    env: dict[str, str | None] = {name: None for name in ENVIRONMENT}
    env.update({name: None for name in os.environ if name.startswith("KAMCTL_")})
    env.update({"HOME": str(home), "XDG_CONFIG_HOME": None, "XDG_DATA_HOME": None})
    env.update(extra)
    return env


def kamctl(
    args: list[str],
    *,
    home: Path,
    db: str | None = None,
    input: str | None = None,
    server: str = NO_PROXY,
    **env: str | None,
) -> Result:
    """``kamctl [--db DB] -s SERVER ARGS...`` in-process (click's runner)."""
    argv = ["-s", server] + (["--db", db] if db else []) + args
    runner = CliRunner()
    result = runner.invoke(
        cli, argv, input=input, env=scrubbed_env(home, **env), prog_name="kamctl"
    )
    exc = result.exception
    if isinstance(exc, SystemExit):
        exc = None
    return Result(result.exit_code, result.stdout, result.stderr, exc)


def subscribers(url: str) -> list[dict[str, Any]]:
    """Every subscriber row, by id (a snapshot to compare before and after)."""
    with Database.open(parse_url(url)) as db:
        return db.select("subscriber", order_by=["id"])


def snapshot(url: str) -> dict[str, list[dict[str, Any]]]:
    """The rows of the tables a subscriber command may touch."""
    with Database.open(parse_url(url)) as db:
        present = db.tables()
        return {
            name: db.select(name, order_by=["id"])
            for name in ("subscriber", "grp", "dbaliases", "version")
            if name in present
        }
