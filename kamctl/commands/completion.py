"""``kamctl completion bash|zsh|fish``: print the shell completion script.

The script is click's: it calls kamctl back with ``_KAMCTL_COMPLETE=<shell>_complete``
for every Tab, so command names, options and live values (kamctl/livecomplete.py) always
match the installed kamctl. completions/kamctl.<shell> hold the same text (a test keeps
them in sync).
"""

from __future__ import annotations

import click

#: The environment variable click's completion protocol uses for kamctl.
COMPLETE_VAR = "_KAMCTL_COMPLETE"
SHELLS = ("bash", "zsh", "fish")


def script(shell: str) -> str:
    """The completion script for ``shell``, as ``_KAMCTL_COMPLETE=<shell>_source`` prints it."""
    from click.shell_completion import get_completion_class

    from kamctl.cli import cli

    cls = get_completion_class(shell)
    if cls is None:  # pragma: no cover - click.Choice allows only known shells
        raise click.BadParameter(f"unknown shell {shell!r}")
    return cls(cli, {}, "kamctl", COMPLETE_VAR).source()


@click.command(
    epilog="\b\nInstall, e.g.:\n"
    "  bash: kamctl completion bash > ~/.local/share/bash-completion/completions/kamctl\n"
    "  zsh:  kamctl completion zsh > ~/.zfunc/_kamctl   (fpath+=~/.zfunc)\n"
    "  fish: kamctl completion fish > ~/.config/fish/completions/kamctl.fish"
)
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL (bash, zsh or fish)."""
    click.echo(script(shell))
