"""The output options kamcmd and ``kamctl rpc`` share (click: off the fast path)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from kamctl.output import STYLES

F = TypeVar("F", bound=Callable[..., Any])


def output_options(func: F) -> F:
    """``-F/--output STYLE`` and ``-f/--format FORMAT``."""
    func = click.option(
        "-f", "--format", "fmt", metavar="FORMAT", help="kamcmd format: %v takes the next value."
    )(func)
    return click.option(
        "-F",
        "--output",
        type=click.Choice(STYLES),
        default="text",
        show_default=True,
        help="Output style: kamcmd text layout, JSON, or a table.",
    )(func)
