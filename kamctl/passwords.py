"""Getting a password from the operator: argument, ``--password-stdin``, or a prompt.

The prompt goes through click (the terminal API, no device paths), hides the input and
asks twice. ``--password-stdin`` reads one line (for scripts; nothing shows in ``ps``).
A password is checked (not empty, no control characters) and never echoed or logged.
"""

from __future__ import annotations

import sys

import click

from kamctl.dbaccess import usage_error

#: The option every command that takes a password offers.
password_stdin_option = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input.",
)


def read_stdin_line() -> str:
    """The first line of stdin without its line ending."""
    line = sys.stdin.readline()
    if line.endswith("\n"):
        line = line[:-1]
    if line.endswith("\r"):
        line = line[:-1]
    return line


def obtain(
    argument: str | None, from_stdin: bool, *, confirm: bool = True, what: str = "Password"
) -> str:
    """The password from exactly one source, checked (usage error when unusable)."""
    from proxy.storage.accounts import AccountError, check_password

    if argument is not None and from_stdin:
        raise usage_error("give the password as an argument or with --password-stdin, not both")
    if from_stdin:
        password = read_stdin_line()
    elif argument is not None:
        password = argument
    else:
        password = click.prompt(
            what, hide_input=True, confirmation_prompt=confirm, err=True, show_default=False
        )
    try:
        return check_password(password)
    except AccountError as exc:
        raise usage_error(str(exc)) from None
