"""End a kamctl command with an exit status after it printed its own messages.

kamctl's main() runs click with ``standalone_mode=False`` and reports a
ClickException by calling its ``show()``; this one shows nothing, so a command can
print what it has to say and still end with, say, status 3 ("not running").
"""

from __future__ import annotations

from typing import IO, Any

import click


class ExitStatus(click.ClickException):
    """Ends the command with ``exit_code``; the command has printed its messages."""

    def __init__(self, exit_code: int) -> None:
        super().__init__("")
        self.exit_code = exit_code

    def show(self, file: IO[Any] | None = None) -> None:
        pass
