"""The operator docs stay in step with the code: the kamctl 5.6 map covers every command,
kamctl.md documents every option of these commands, troubleshooting.md every check."""

from __future__ import annotations

import re

import click
import pytest

from kamctl.cli import cli
from kamctl.commands import COMMANDS
from tests.support.proxy import ROOT

DOCS = ROOT / "docs"
#: kamctl 5.6's main switch (kamailio-interfaces.md 5.2) and kamdbctl's commands.
KAMCTL_56 = (
    "add", "passwd", "rm", "show", "sets", "setn", "acl", "ul", "alias", "usrloc", "online",
    "alias_db", "avp", "speeddial", "rpid", "domain", "uid_domain", "trusted", "address",
    "dispatcher", "dialog", "dialplan", "lcr", "cr", "mtree", "acc", "db", "rpc", "rpcprint",
    "ser", "sercmd", "kamcmd", "srv", "ps", "psa", "uptime", "stats", "monitor", "console",
    "moni", "con", "ping", "cisco_restart", "start", "stop", "restart", "trap", "pstrap", "tls",
    "version",
)
KAMDBCTL = (
    "create", "drop", "reinit", "backup", "restore", "copy", "presence", "extra", "dbuid",
    "dbonly", "grant", "revoke", "add-tables", "pframework", "migrate", "version",
)
OURS = ("ps", "uptime", "version", "stats", "srv", "monitor", "start", "stop", "restart",
        "status", "doctor", "completion")
CHECKS = ("process", "rpc", "database", "schema", "sockets", "aliases", "domains", "debug",
          "memory")


def _first_cells(text: str) -> str:
    """The first column of every table row, joined (where the map names old commands)."""
    return "\n".join(
        line.split("|")[1] for line in text.splitlines() if line.startswith("| ")
    )


def test_the_map_names_every_kamctl_and_kamdbctl_command() -> None:
    cells = _first_cells((DOCS / "kamctl-map.md").read_text())
    missing = [c for c in KAMCTL_56 if not re.search(rf"`{re.escape(c)}\b", cells)]
    assert missing == []
    kamdbctl = (DOCS / "kamctl-map.md").read_text().split("## kamdbctl 5.6")[1]
    cells = _first_cells(kamdbctl.split("\n## ")[0])
    missing = [c for c in KAMDBCTL if not re.search(rf"`{re.escape(c)}\b", cells)]
    assert missing == []


def test_the_map_names_every_command_of_ours() -> None:
    text = (DOCS / "kamctl-map.md").read_text()
    assert [name for name in COMMANDS if f"`kamctl {name}" not in text] == []


@pytest.mark.parametrize("name", OURS)
def test_kamctl_md_documents_every_option(name: str) -> None:
    text = (DOCS / "kamctl.md").read_text()
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    commands = [command]
    if isinstance(command, click.Group):
        commands = [command.commands[n] for n in command.commands]
    for cmd in commands:
        for param in cmd.params:
            if isinstance(param, click.Option) and "--help" not in param.opts:
                longest = max(param.opts, key=len)
                assert longest in text, f"kamctl {name} {cmd.name}: {longest} not documented"


def test_troubleshooting_has_a_section_per_check() -> None:
    text = (DOCS / "troubleshooting.md").read_text()
    assert [c for c in CHECKS if f"\n### {c} " not in text] == []
