"""Every runtime-parameter group kamproxy declares.

Start-up, ``kamproxy -c`` and the generated docs/runtime-parameters.md all use this
list, so a config file is checked against the same groups the running proxy has. A
module with tunables declares its ``GROUP`` next to its code and adds one line here.
"""

from __future__ import annotations

import importlib

from proxy.cfg.model import Group
from proxy.cfg.params import Params

#: "module:attribute" of each declared Group, in listing order
GROUPS: tuple[str, ...] = (
    "proxy.cfg.core_params:GROUP",
    "proxy.cfg.tcp_params:GROUP",
    "proxy.tm.params:GROUP",
    "proxy.modules.dispatcher.params:GROUP",
    "proxy.modules.auth.params:GROUP",
    "proxy.modules.registrar.params:GROUP",
    "proxy.modules.usrloc.params:GROUP",
)


def all_groups() -> list[Group]:
    groups = []
    for spec in GROUPS:
        module, attr = spec.split(":")
        group = getattr(importlib.import_module(module), attr)
        if not isinstance(group, Group):
            raise TypeError(f"{spec} is not a runtime-parameter Group")
        groups.append(group)
    return groups


def new_params() -> Params:
    """A registry of every group, at its default values."""
    return Params(all_groups())
