"""Version strings, in the shapes Kamailio's core.version and core.info use."""

from __future__ import annotations

import platform

VERSION = "0.1.0"
NAME = "kamproxy"


def version_line() -> str:
    """``kamproxy 0.1.0 (x86_64/linux)``, as ``kamailio 5.6.3 (x86_64/linux)``."""
    return f"{NAME} {VERSION} ({platform.machine()}/{platform.system().lower()})"


def compiler() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}"
