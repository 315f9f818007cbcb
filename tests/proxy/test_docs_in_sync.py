"""Generated docs match their generators."""

from __future__ import annotations

from pathlib import Path

from proxy import rpcdoc

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_rpc_methods_doc_is_generated_from_the_registry() -> None:
    expected = rpcdoc.render(rpcdoc.full_registry())
    assert (DOCS / "rpc-methods.md").read_text() == expected, (
        "docs/rpc-methods.md is stale: run python -m proxy.rpcdoc > docs/rpc-methods.md"
    )


def test_every_method_has_help() -> None:
    assert all(method.help for method in rpcdoc.full_registry())
