"""What one doctor check found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PASS, WARN, FAIL, SKIP = "pass", "warn", "fail", "skip"
STATUSES = (PASS, WARN, FAIL, SKIP)


@dataclass
class Result:
    """One finding: ``status`` is pass, warn, fail or skip (could not be checked)."""

    check: str  #: the check's id ("process", "rpc", "database", ...)
    status: str
    message: str
    fix: str | None = None
    #: what the finding is about (an RPC address, a database URL), if not the whole setup
    subject: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "subject": self.subject,
            "status": self.status,
            "message": self.message,
            "fix": self.fix,
            "details": self.details,
        }
