"""A kamproxy subprocess on its own SQLite database, and kamctl talking to both."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from kamctl.cli import main
from tests.modules.support import make_db
from tests.storage.support import Result, scrubbed_env
from tests.support.proxy import KamproxyProcess


def kamctl(
    args: list[str], *, home: Path, db: str | None = None, server: str = "unix:/nonexistent"
) -> Result:
    """kamctl in-process through its real entry point (RPC errors become exit codes),
    with an isolated configuration."""
    argv = ["-s", server] + (["--db", db] if db else []) + args
    with CliRunner().isolation(env=scrubbed_env(home)) as streams:
        code = main(argv)
        sys.stdout.flush()
        sys.stderr.flush()
        out, err = streams[0].getvalue().decode(), streams[1].getvalue().decode()
    return Result(code, out, err, None)


@dataclass
class Lab:
    """kamproxy with ``--db url``; :meth:`run` is kamctl with the same database and proxy."""

    proxy: KamproxyProcess
    url: str
    home: Path

    @property
    def server(self) -> str:
        return f"unix:{self.proxy.sock}"

    def run(self, *args: str, server: str | None = None) -> Result:
        result = kamctl(list(args), home=self.home, db=self.url, server=server or self.server)
        assert result.exception is None, result.exception
        assert "Traceback" not in result.output
        return result


@pytest.fixture
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("kp")
    url = make_db(base)
    home = base / "home"
    home.mkdir()
    proxy = KamproxyProcess(base, args=["--db", url], http=False).start()
    try:
        yield Lab(proxy, url, home)
    finally:
        proxy.stop()
