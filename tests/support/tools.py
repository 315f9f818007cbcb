"""Finding the external tools tests need; under CI a missing tool is a failure."""

from __future__ import annotations

import importlib
import os
import pwd
import shutil

import pytest


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(path_or_name: str, why: str = "") -> str:
    """The tool's path; skip the test when missing (fail under CI=true)."""
    found = (
        shutil.which(path_or_name)
        if "/" not in path_or_name
        else (path_or_name if os.access(path_or_name, os.X_OK) else None)
    )
    if found is None:
        message = f"{path_or_name} is not installed{': ' + why if why else ''}"
        if under_ci():
            pytest.fail(message + " (CI must install it: see .ci/run)")
        pytest.skip(message)
    return found


def require_module(name: str, install: str) -> None:
    """Skip the test when Python module ``name`` is missing (fail under CI=true)."""
    try:
        importlib.import_module(name)
    except ImportError:
        message = f"{name} is not installed ({install})"
        if under_ci():
            pytest.fail(message + " (CI must install it: see .ci/run)")
        pytest.skip(message)


def server_user(preferred: str, what: str) -> tuple[int, int] | None:
    """(uid, gid) to run a database server as when we are root (it refuses root), else None."""
    if os.geteuid() != 0:
        return None
    for name in (preferred, "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    pytest.fail(f"running as root and there is no {preferred} or nobody user to run {what} as")
