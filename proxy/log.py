"""Logging with Kamailio's levels on top of the standard logging module.

Kamailio levels run from -5 (ALERT) to 3 (DEBUG); a line is written when its level
is at most ``core.debug``. They map onto logging's numbers, so every logger
(``rpc``, ``cfg``, ``asyncio``, each SIP layer) follows the same switch, and a change
of ``core.debug`` applies to the very next line.

Targets: stderr (the default: kamproxy runs in the foreground), syslog with the
facility ``core.log_facility``, or a file (reopened when logrotate moves it). Each
line carries the time, the level, the pid and asyncio task, and the module; with
``--log-json`` each line is one JSON object.

A module logs through its own logger::

    log = proxy.log.get_logger("tm")
    log.dbg("relaying %s to %s", first_line, destination)   # shown at debug 3
    log.notice("...")                                      # Kamailio's NOTICE (1)
"""

from __future__ import annotations

import asyncio
import json
import logging
import logging.handlers
import os
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from proxy.cfg.params import Params

L_ALERT, L_BUG, L_CRIT2, L_CRIT, L_ERR, L_WARN, L_NOTICE, L_INFO, L_DBG = range(-5, 4)

#: Kamailio level -> (logging level, prefix); -2 prints without a prefix, as Kamailio.
LEVELS: dict[int, tuple[int, str]] = {
    L_ALERT: (58, "ALERT"),
    L_BUG: (56, "BUG"),
    L_CRIT2: (54, "CRITICAL"),
    L_CRIT: (logging.CRITICAL, ""),
    L_ERR: (logging.ERROR, "ERROR"),
    L_WARN: (logging.WARNING, "WARNING"),
    L_NOTICE: (25, "NOTICE"),
    L_INFO: (logging.INFO, "INFO"),
    L_DBG: (logging.DEBUG, "DEBUG"),
}

MIN_LEVEL, MAX_LEVEL = L_ALERT, L_DBG

#: Kamailio level -> syslog priority name (SysLogHandler.priority_names)
_SYSLOG_PRIORITY = {
    L_ALERT: "alert",
    L_BUG: "crit",
    L_CRIT2: "crit",
    L_CRIT: "crit",
    L_ERR: "err",
    L_WARN: "warning",
    L_NOTICE: "notice",
    L_INFO: "info",
    L_DBG: "debug",
}

for _kam, (_num, _name) in LEVELS.items():
    logging.addLevelName(_num, _name or "CRITICAL")

IDENT = "kamproxy"


class LogSetupError(Exception):
    """The log target cannot be opened; the message says which and why."""


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


def level_name(level: int) -> str:
    """``DEBUG``, ``WARNING``, ... for a Kamailio level (-2 is ``CRITICAL`` here)."""
    return LEVELS[max(MIN_LEVEL, min(MAX_LEVEL, level))][1] or "CRITICAL"


def set_level(debug: int) -> None:
    """Change the debug level at once for every logger."""
    logging.getLogger().setLevel(to_logging(debug))


def current_task() -> str:
    """The running asyncio task's name, else the thread's ("main" for the main thread)."""
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running loop in this thread
        task = None
    if task is not None:
        return task.get_name()
    thread = threading.current_thread()
    return "main" if thread is threading.main_thread() else thread.name


# -- line formats -------------------------------------------------------------


def _fields(record: logging.LogRecord) -> tuple[int, str]:
    level = from_logging(record.levelno)
    return level, LEVELS[level][1]


class TextFormatter(logging.Formatter):
    """``2024-11-28 22:40:01.123 [8769/fifo] INFO: <cfg> core.debug changed ...``"""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.created))
        _level, prefix = _fields(record)
        head = f"{stamp}.{int(record.msecs):03d} [{record.process}/{current_task()}]"
        text = f"{head} {prefix + ': ' if prefix else ''}<{record.name}> {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


class SyslogFormatter(logging.Formatter):
    """``INFO: <cfg> [fifo] core.debug changed ...`` (syslog adds time and host)."""

    def format(self, record: logging.LogRecord) -> str:
        _level, prefix = _fields(record)
        text = f"{prefix + ': ' if prefix else ''}<{record.name}> [{current_task()}] "
        text += record.getMessage()
        if record.exc_info:
            text += " | " + self.formatException(record.exc_info).replace("\n", " | ")
        return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, severity, pid, task, module, message."""

    def format(self, record: logging.LogRecord) -> str:
        level, _prefix = _fields(record)
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created)
            .astimezone()
            .isoformat(timespec="milliseconds"),
            "level": level_name(level),
            "severity": level,
            "pid": record.process,
            "task": current_task(),
            "module": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False)


class KamailioSyslogHandler(logging.handlers.SysLogHandler):
    """Syslog with Kamailio's level -> priority mapping and a changeable facility."""

    def mapPriority(self, levelName: str) -> str:  # noqa: N802,N803 - logging's API
        number = logging.getLevelName(levelName)
        level = from_logging(number) if isinstance(number, int) else L_ERR
        return _SYSLOG_PRIORITY[level]

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802
        """Drop a line the syslog daemon cannot take, as syslog(3) does (no traceback)."""

    def set_facility(self, name: object) -> None:
        """``LOG_LOCAL0`` (core.log_facility) -> the handler's facility, from now on."""
        self.facility = facility_code(str(name))


def facility_code(name: str) -> int:
    key = name.upper().removeprefix("LOG_").lower()
    codes = logging.handlers.SysLogHandler.facility_names
    if key not in codes:
        raise ValueError(f"unknown syslog facility {name!r}")
    return codes[key]


# -- set-up -------------------------------------------------------------------


@dataclass(frozen=True)
class LogOptions:
    """Where log lines go (from kamproxy's flags)."""

    target: Literal["stderr", "syslog", "file"] = "stderr"
    #: file: its path; syslog: a UNIX socket path or HOST:PORT (UDP)
    address: str = ""
    json: bool = False


DEFAULT_SYSLOG = "/dev/log"


def _syslog_address(text: str) -> str | tuple[str, int]:
    text = text or DEFAULT_SYSLOG
    if not text.startswith("/") and ":" in text:
        host, port = text.rsplit(":", 1)
        if port.isdigit():
            return host.strip("[]"), int(port)
    return text


def make_handler(options: LogOptions, facility: str = "LOG_DAEMON") -> logging.Handler:
    """The handler for ``options``; LogSetupError if its target cannot be opened."""
    handler: logging.Handler
    if options.target == "syslog":
        address = _syslog_address(options.address)
        try:
            syslog = KamailioSyslogHandler(address, facility=facility_code(facility))
        except OSError as exc:
            raise LogSetupError(
                f"cannot log to syslog at {options.address or DEFAULT_SYSLOG}: "
                f"{exc.strerror or exc}"
            ) from None
        sock = getattr(syslog, "socket", None)  # not in typeshed
        if syslog.unixsocket and (sock is None or sock.fileno() < 0):
            # logging ignores an unreachable syslog socket; at start we say so
            syslog.close()
            raise LogSetupError(
                f"cannot log to syslog at {address}: no syslog daemon listens there"
            )
        syslog.ident = f"{IDENT}[{os.getpid()}]: "
        syslog.setFormatter(JsonFormatter() if options.json else SyslogFormatter())
        return syslog
    if options.target == "file":
        try:
            handler = logging.handlers.WatchedFileHandler(options.address, encoding="utf-8")
        except OSError as exc:
            raise LogSetupError(
                f"cannot open log file {options.address}: {exc.strerror or exc}"
            ) from None
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if options.json else TextFormatter())
    return handler


def setup(options: LogOptions | None = None, params: Params | None = None, debug: int = 0) -> None:
    """Send every log line to ``options``' target and follow ``params``' core group.

    With ``params``, the level is ``core.debug`` and follows its changes (and the syslog
    facility follows ``core.log_facility``); without, the level is ``debug``.
    """
    options = options or LogOptions()
    facility = str(params.get("core", "log_facility")) if params is not None else "LOG_DAEMON"
    handler = make_handler(options, facility)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    if params is None:
        set_level(debug)
        return
    set_level(params.get_int("core", "debug"))
    params.watch("core", "debug", lambda value: set_level(int(value)))
    if isinstance(handler, KamailioSyslogHandler):
        params.watch("core", "log_facility", handler.set_facility)


def announce(logger: logging.Logger, msg: str, *args: object) -> None:
    """Log a NOTICE whatever the debug level: start and stop of kamproxy only.

    Kamailio prints nothing at start with debug 0; kamproxy always says that it is up
    and where it listens, so an operator (or a test) sees it.
    """
    record = logger.makeRecord(logger.name, LEVELS[L_NOTICE][0], "(announce)", 0, msg, args, None)
    logger.handle(record)


class ModuleLog:
    """A module's logger with Kamailio's level names (see :func:`get_logger`)."""

    __slots__ = ("logger",)

    def __init__(self, module: str) -> None:
        self.logger = logging.getLogger(module)

    def enabled(self, level: int) -> bool:
        """True when a line at Kamailio ``level`` would be written now (cheap)."""
        return self.logger.isEnabledFor(to_logging(level))

    def log(self, level: int, msg: str, *args: object, exc_info: bool = False) -> None:
        number = to_logging(level)
        if self.logger.isEnabledFor(number):
            self.logger.log(number, msg, *args, exc_info=exc_info, stacklevel=3)

    def alert(self, msg: str, *args: object) -> None:
        self.log(L_ALERT, msg, *args)

    def bug(self, msg: str, *args: object) -> None:
        self.log(L_BUG, msg, *args)

    def crit(self, msg: str, *args: object) -> None:
        self.log(L_CRIT2, msg, *args)

    def err(self, msg: str, *args: object, exc_info: bool = False) -> None:
        self.log(L_ERR, msg, *args, exc_info=exc_info)

    def warn(self, msg: str, *args: object) -> None:
        self.log(L_WARN, msg, *args)

    def notice(self, msg: str, *args: object) -> None:
        self.log(L_NOTICE, msg, *args)

    def info(self, msg: str, *args: object) -> None:
        self.log(L_INFO, msg, *args)

    def dbg(self, msg: str, *args: object) -> None:
        self.log(L_DBG, msg, *args)


def get_logger(module: str) -> ModuleLog:
    """The logger of ``module`` (``core``, ``tm``, ``registrar``, ...)."""
    return ModuleLog(module)
