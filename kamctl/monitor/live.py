"""The live dashboard: a rich table redrawn every interval until q, Ctrl-C or --count.

rich is imported here only. Keys are read from the terminal in cbreak mode (no Enter
needed, Ctrl-C still interrupts); the terminal is restored on the way out. A proxy
that stops answering shows the error and is asked again at the next refresh.
"""

from __future__ import annotations

import os
import select
import sys
import termios
import time
import tty
from types import TracebackType
from typing import Any

from kamctl.monitor import text
from kamctl.monitor.snapshot import Collector
from rpc.errors import RpcError


class Keys:
    """Waits for the next refresh, returning early when q is pressed on the terminal."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = sys.stdin if stream is None else stream
        self.fd: int | None = None
        self._saved: list[Any] | None = None

    def __enter__(self) -> Keys:
        try:
            if self.stream.isatty():
                self.fd = self.stream.fileno()
                self._saved = termios.tcgetattr(self.fd)
                tty.setcbreak(self.fd)
        except (AttributeError, ValueError, OSError, termios.error):
            self.fd, self._saved = None, None
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.fd is not None and self._saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)

    def quit_within(self, seconds: float) -> bool:
        """Wait ``seconds``; True as soon as q (or Q) is typed."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self.fd is None:
                time.sleep(left)
                return False
            ready, _w, _x = select.select([self.fd], [], [], left)
            if ready:
                typed = os.read(self.fd, 64)
                if not typed:  # the terminal went away
                    time.sleep(max(0.0, deadline - time.monotonic()))
                    return False
                if b"q" in typed.lower():
                    return True


def _table(data: dict[str, Any], interval: float) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=text.heading(data),
        caption=f"every {interval:g} s, {text.footer(data)}; q or Ctrl-C quits",
        show_header=False,
        expand=False,
    )
    table.add_column("section", style="bold")
    table.add_column("value")
    for label, value in text.rows(data):
        table.add_row(label, Text(value, style="dim" if value.startswith(text.NA) else ""))
    return table


def _unreachable(address: str, exc: RpcError, interval: float) -> Any:
    from rich.text import Text

    return Text(
        f"{address}: {exc}\nasking again every {interval:g} s; q or Ctrl-C quits",
        style="bold red",
    )


def run(collector: Collector, interval: float, count: int | None) -> None:
    """Redraw until q, Ctrl-C or ``count`` refreshes."""
    from rich.console import Console
    from rich.live import Live

    console = Console()
    shown = 0
    try:
        with Keys() as keys, Live(console=console, auto_refresh=False) as live:
            while True:
                try:
                    renderable = _table(collector.take().data, interval)
                except RpcError as exc:
                    collector.previous = None  # rates restart after an outage
                    renderable = _unreachable(collector.address, exc, interval)
                live.update(renderable, refresh=True)
                shown += 1
                if count is not None and shown >= count:
                    return
                if keys.quit_within(interval):
                    return
    except KeyboardInterrupt:
        return
