"""Printing doctor's findings: lines for people, JSON for scripts."""

from __future__ import annotations

from typing import Any

from kamctl.doctor.model import FAIL, STATUSES, Result

LABELS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skip": "SKIP"}


def summary(results: list[Result]) -> dict[str, int]:
    return {s: sum(1 for r in results if r.status == s) for s in STATUSES}


def failed(results: list[Result]) -> bool:
    return any(r.status == FAIL for r in results)


def to_text(results: list[Result], heading: str) -> str:
    lines = [heading]
    for r in results:
        name = f"{r.check} {r.subject}" if r.subject and r.check == "rpc" else r.check
        lines.append(f"[{LABELS[r.status]}] {name}: {r.message}")
        if r.fix and r.status in ("warn", "fail"):
            lines.append(f"       fix: {r.fix}")
    counts = summary(results)
    warnings = "warning" if counts["warn"] == 1 else "warnings"
    lines.append(
        f"{counts['pass']} passed, {counts['warn']} {warnings}, {counts['fail']} failed, "
        f"{counts['skip']} skipped"
    )
    return "\n".join(lines) + "\n"


def to_data(results: list[Result], context: dict[str, Any]) -> dict[str, Any]:
    return {
        **context,
        "ok": not failed(results),
        "summary": summary(results),
        "checks": [r.as_dict() for r in results],
    }
