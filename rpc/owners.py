"""User and group names to ids, for the files both servers and clients create."""

from __future__ import annotations

import grp
import pwd


def resolve_uid(user: str | int | None) -> int:
    """-1 (unchanged) for None, else the uid of a name or number."""
    if user is None or user == "":
        return -1
    if isinstance(user, int) or str(user).isdigit():
        return int(user)
    try:
        return pwd.getpwnam(str(user)).pw_uid
    except KeyError:
        raise ValueError(f"unknown user {user!r}") from None


def resolve_gid(group: str | int | None) -> int:
    """-1 (unchanged) for None, else the gid of a name or number."""
    if group is None or group == "":
        return -1
    if isinstance(group, int) or str(group).isdigit():
        return int(group)
    try:
        return grp.getgrnam(str(group)).gr_gid
    except KeyError:
        raise ValueError(f"unknown group {group!r}") from None
