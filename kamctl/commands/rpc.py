"""``kamctl rpc METHOD [ARG...]``: any RPC method, with kamcmd's argument rules and output."""

from __future__ import annotations

import click

from kamctl import completion
from kamctl.context import Settings
from kamctl.exitstatus import ExitStatus
from kamctl.rpccall import perform
from kamctl.rpcoptions import output_options


@click.command(
    context_settings={"allow_interspersed_args": False},
    epilog="\b\nArguments: 42 -> integer, 3.5 -> number, else string; prefixes s: i: f: b: j:."
    "\nOptions go before METHOD; after it every word is an argument (-5 too)."
    "\nExit codes: 0 ok, 1 remote fault, 2 usage, 3 cannot connect/timeout/permission.",
)
@output_options
@click.option(
    "--reply-dir",
    metavar="DIR",
    help="FIFO only: the proxy's reply directory (default: configured reply_dir).",
)
@click.argument("method", shell_complete=completion.complete_method)
@click.argument("args", nargs=-1, shell_complete=completion.complete_argument)
@click.pass_obj
def rpc(
    settings: Settings,
    output: str,
    fmt: str | None,
    reply_dir: str | None,
    method: str,
    args: tuple[str, ...],
) -> None:
    """Call any RPC method (aliases: ps, psx, ls, ver, help [METHOD])."""
    chosen = settings.target()
    if reply_dir is None:
        client = settings.client()
    else:
        from rpc.client import connect

        client = connect(chosen.address, settings.client_options(reply_dir=reply_dir))
        click.get_current_context().call_on_close(client.close)
    code = perform(
        client, [method, *args], style=output, fmt=fmt, prog="kamctl", source=chosen.source
    )
    if code:
        raise ExitStatus(code)  # perform() has printed the error line

