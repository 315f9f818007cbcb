"""Which configuration files kamctl reads, in order (later files win).

1. system: Kamailio's ``kamctlrc`` files, then kamctl's own ``/etc/kamctl/kamctl.toml``;
2. user: ``~/.kamctlrc``, then ``$XDG_CONFIG_HOME/kamctl/kamctl.toml``;
3. project: ``./kamctlrc``, only when ``KAMCTL_TEST`` is set (as Kamailio's kamctl does);
4. named: ``--config FILE`` (or ``KAMCTL_CONFIG``).

Within a level kamctl's TOML file comes after the kamctlrc, so it wins: it is the file
written for kamctl, while a kamctlrc is shared with Kamailio's own tools.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple

#: Kamailio's kamctlrc locations: a source install's (next to /usr/local/sbin/kamctl,
#: which Kamailio reads first) and the packaged one.
SYSTEM_KAMCTLRC = ("/usr/local/etc/kamailio/kamctlrc", "/etc/kamailio/kamctlrc")
SYSTEM_TOML = "/etc/kamctl/kamctl.toml"
USER_KAMCTLRC = ".kamctlrc"
TOML_NAME = "kamctl/kamctl.toml"
PROJECT_KAMCTLRC = "kamctlrc"
#: Set (to anything non-empty) to read ./kamctlrc, like Kamailio's kamctl.
ENV_TEST = "KAMCTL_TEST"


class Candidate(NamedTuple):
    path: str
    format: str  #: "kamctlrc" or "toml"
    level: str  #: "system", "user", "project" or "named"
    #: why a file is not read even though it might exist ("" when it is read)
    skipped: str = ""


def home_dir(env: Mapping[str, str]) -> str | None:
    """$HOME, else the password database's entry; None when neither is known."""
    home = env.get("HOME", "")
    if home:
        return home
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_dir or None
    except (ImportError, KeyError):
        return None


def user_toml(env: Mapping[str, str], home: str | None) -> str | None:
    """$XDG_CONFIG_HOME/kamctl/kamctl.toml (an absolute XDG_CONFIG_HOME), else ~/.config/..."""
    xdg = env.get("XDG_CONFIG_HOME", "")
    if xdg and os.path.isabs(xdg):
        return os.path.join(xdg, TOML_NAME)
    if home:
        return os.path.join(home, ".config", TOML_NAME)
    return None


def candidates(env: Mapping[str, str], cwd: str | None = None) -> list[Candidate]:
    """The default-location files, in reading order (whether or not they exist)."""
    home = home_dir(env)
    found = [Candidate(path, "kamctlrc", "system") for path in SYSTEM_KAMCTLRC]
    found.append(Candidate(SYSTEM_TOML, "toml", "system"))
    if home:
        found.append(Candidate(os.path.join(home, USER_KAMCTLRC), "kamctlrc", "user"))
    toml = user_toml(env, home)
    if toml:
        found.append(Candidate(toml, "toml", "user"))
    try:
        here = os.path.join(cwd or os.getcwd(), PROJECT_KAMCTLRC)
    except OSError:  # the current directory was removed
        return found
    skipped = "" if env.get(ENV_TEST) else f"read only when {ENV_TEST} is set"
    found.append(Candidate(here, "kamctlrc", "project", skipped))
    return found


def named(path: str) -> Candidate:
    """``--config FILE``: TOML when the name ends in .toml, else kamctlrc format."""
    fmt = "toml" if path.lower().endswith(".toml") else "kamctlrc"
    return Candidate(os.path.abspath(path), fmt, "named")
