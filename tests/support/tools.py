"""Finding the external tools tests need; under CI a missing tool is a failure."""

from __future__ import annotations

import os
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
