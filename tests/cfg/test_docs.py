"""docs/runtime-parameters.md is what the registry generates."""

from __future__ import annotations

import subprocess
import sys

from proxy.cfg.catalog import all_groups
from proxy.cfg.docs import render
from tests.support.proxy import ROOT

DOC = ROOT / "docs" / "runtime-parameters.md"


def test_committed_doc_matches_the_generator() -> None:
    assert DOC.read_text() == render(), (
        "docs/runtime-parameters.md is stale: run "
        "`python -m proxy.cfg.docs > docs/runtime-parameters.md`"
    )


def test_every_parameter_is_listed() -> None:
    text = render()
    for group in all_groups():
        for var in group:
            assert f"| `{group.name}.{var.name}` | {var.type_word} |" in text


def test_generator_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "proxy.cfg.docs"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=str(ROOT),
    )
    assert done.returncode == 0 and done.stdout == render()
