"""kamcmd's click command: help, version, usage errors and shell completion.

The fast path in :mod:`kamctl.kamcmd` parses the plain forms itself; this command
defines the same options (a test keeps the two in step) and ends in the same
:func:`kamctl.kamcmd.run`.
"""

from __future__ import annotations

import sys

import click

from kamctl import completion
from kamctl.kamcmd import COMPLETE_VAR, PROG, Options, run, valid_timeout
from kamctl.rpcoptions import output_options

EPILOG = """\b
Arguments: 42 -> integer, 3.5 -> number, anything else -> string.
Prefixes: s:TEXT string, i:N integer, f:X number, b:true|false, j:JSON.
Options go before METHOD; after it every word is an argument (-5 too).
\b
Aliases: ps, psx, ls/list, ver/version, help [METHOD].
Without METHOD: a prompt on a terminal, else one call per line of stdin.
\b
Exit codes: 0 ok, 1 remote fault, 2 usage, 3 cannot connect/timeout/permission.
Address order: -s, $KAMCTL_RPC, the default local kamproxy.
"""


def _check_timeout(
    _ctx: click.Context, _param: click.Parameter, value: float | None
) -> float | None:
    """The same rule as the fast path: a finite number above zero."""
    if value is not None and not valid_timeout(value):
        raise click.BadParameter(f"{value} is not a positive number of seconds")
    return value


@click.command(
    name=PROG,
    epilog=EPILOG,
    context_settings={
        "help_option_names": ["-h", "--help"],
        "allow_interspersed_args": False,
        "max_content_width": 100,
    },
)
@click.option(
    "-s",
    "--server",
    metavar="ADDRESS",
    help="unix:PATH, fifo:PATH, http(s)://HOST:PORT/RPC (env KAMCTL_RPC).",
)
@output_options
@click.option(
    "--timeout",
    type=float,
    callback=_check_timeout,
    metavar="SECONDS",
    help="Reply timeout (default 5).",
)
@click.option(
    "--reply-dir",
    metavar="DIR",
    help="FIFO only: the server's reply directory (default /tmp/).",
)
@click.option("--ca", metavar="FILE", help="HTTPS: CA bundle that signed the server's certificate.")
@click.option("--insecure", is_flag=True, help="HTTPS: do not verify the certificate (tests only).")
@click.version_option(
    None, "-V", "--version", package_name="kamctl", prog_name=PROG, message="%(prog)s %(version)s"
)
@click.argument("method", required=False, shell_complete=completion.complete_method)
@click.argument("args", nargs=-1, shell_complete=completion.complete_argument)
def command(
    server: str | None,
    output: str,
    fmt: str | None,
    timeout: float | None,
    reply_dir: str | None,
    ca: str | None,
    insecure: bool,
    method: str | None,
    args: tuple[str, ...],
) -> int:
    """Call a JSON-RPC method on kamproxy or Kamailio (jsonrpcs) and print the result."""
    return run(Options(server, output, fmt, timeout, reply_dir, ca, insecure, method, list(args)))


def parse(argv: list[str]) -> Options:
    """What click makes of ``argv`` (for the test that keeps both parsers in step)."""
    ctx = command.make_context(PROG, list(argv))
    p = ctx.params
    return Options(
        server=p["server"],
        output=p["output"],
        fmt=p["fmt"],
        timeout=p["timeout"],
        reply_dir=p["reply_dir"],
        ca=p["ca"],
        insecure=p["insecure"],
        method=p["method"],
        args=list(p["args"]),
    )


def run_click(argv: list[str]) -> int:
    """Run the click command; click's errors keep their exit code (2 for usage)."""
    try:
        result = command.main(
            args=argv, prog_name=PROG, complete_var=COMPLETE_VAR, standalone_mode=False
        )
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        print("Aborted.", file=sys.stderr)
        return 1
    return int(result) if isinstance(result, int) else 0
