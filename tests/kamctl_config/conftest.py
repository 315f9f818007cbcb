"""Fixtures: a fake filesystem with a home directory, and a loader bound to it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

# Imported before the fake filesystem starts (it hides the real module files).
import kamctl.commands.config  # noqa: F401
import kamctl.config.kamailio  # noqa: F401
import kamctl.config.kamctlrc  # noqa: F401
import kamctl.config.tomlfile  # noqa: F401
import kamctl.output.jsonout  # noqa: F401
import kamctl.output.table  # noqa: F401
import proxy.storage.url  # noqa: F401
from kamctl.config import Config, load

HOME = "/home/op"
CWD = "/work/site"


class Fake:
    """Write files into the fake filesystem and load the configuration from it."""

    def __init__(self, fs: FakeFilesystem) -> None:
        self.fs = fs
        self.env: dict[str, str] = {"HOME": HOME}

    def write(self, path: str, text: str) -> str:
        self.fs.create_file(path, contents=text)
        return path

    def load(self, **kwargs: object) -> Config:
        return load(env=self.env, cwd=CWD, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def fake(fs: FakeFilesystem) -> Iterator[Fake]:
    fs.create_dir(HOME)
    fs.create_dir(CWD)
    os.chdir(CWD)  # the fake filesystem's current directory
    yield Fake(fs)
