"""Drivers and rich are imported only when needed (a fresh interpreter shows what loads)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.proxy import ROOT

DRIVERS = ("psycopg", "pymysql", "rich")


def _modules(code: str) -> set[str]:
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in names)


def test_the_commands_import_no_driver_and_no_rich() -> None:
    modules = _modules(
        "import kamctl.commands.subscriber, kamctl.commands.db, proxy.storage.aio\n"
        "import proxy.storage.backup, proxy.storage.admin"
    )
    assert _loaded(modules, DRIVERS) == []
    assert "sqlite3" not in modules  # not even SQLite before a URL needs it


def test_an_sqlite_database_loads_no_server_driver(tmp_path: Path) -> None:
    modules = _modules(
        "from proxy.storage.database import Database\n"
        f"Database.open('sqlite:///{tmp_path}/k.sqlite', create=True).close()"
    )
    assert _loaded(modules, DRIVERS) == []
    assert "sqlite3" in modules


def test_kamctl_help_does_not_load_storage() -> None:
    modules = _modules(
        "from kamctl.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    assert not [m for m in modules if m.startswith("proxy.storage")]
