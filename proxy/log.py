"""Logging with Kamailio's levels on top of the standard logging module.

Kamailio levels run from -5 (ALERT) to 3 (DEBUG); a line prints when its level is at
most the current debug level. They map onto logging's numbers so that every library
logger (``rpc``, ``asyncio``) follows the same switch.
"""

from __future__ import annotations

import logging
import os
import sys
import time

L_ALERT, L_BUG, L_CRIT2, L_CRIT, L_ERR, L_WARN, L_NOTICE, L_INFO, L_DBG = range(-5, 4)

#: Kamailio level -> (logging level, prefix)
LEVELS: dict[int, tuple[int, str]] = {
    L_ALERT: (58, "ALERT"),
    L_BUG: (56, "BUG"),
    L_CRIT2: (54, "CRITICAL"),
    L_CRIT: (52, ""),
    L_ERR: (logging.ERROR, "ERROR"),
    L_WARN: (logging.WARNING, "WARNING"),
    L_NOTICE: (25, "NOTICE"),
    L_INFO: (logging.INFO, "INFO"),
    L_DBG: (logging.DEBUG, "DEBUG"),
}

MIN_LEVEL, MAX_LEVEL = L_ALERT, L_DBG

for _kam, (_num, _name) in LEVELS.items():
    logging.addLevelName(_num, _name or "CRITICAL")


def to_logging(level: int) -> int:
    """The logging threshold for Kamailio debug level ``level`` (clamped)."""
    level = max(MIN_LEVEL, min(MAX_LEVEL, level))
    return LEVELS[level][0]


def from_logging(number: int) -> int:
    """The Kamailio level of a logging level number (nearest at or above)."""
    for kam in range(MAX_LEVEL, MIN_LEVEL - 1, -1):
        if LEVELS[kam][0] >= number:
            return kam
    return MIN_LEVEL


class KamailioFormatter(logging.Formatter):
    """``Nov 28 22:40:01 [pid] LEVEL: module: message`` like Kamailio's stderr log."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%b %d %H:%M:%S", time.localtime(record.created))
        level = LEVELS[from_logging(record.levelno)][1]
        prefix = f"{level}: " if level else ""
        text = f"{stamp} [{os.getpid()}] {prefix}{record.name}: {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def setup(debug: int) -> None:
    """Log to stderr at Kamailio level ``debug``."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KamailioFormatter())
    root.addHandler(handler)
    set_level(debug)


def set_level(debug: int) -> None:
    """Change the debug level at once for every logger."""
    logging.getLogger().setLevel(to_logging(debug))
