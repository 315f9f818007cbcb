"""``kamctl start|stop|restart|status``: run the bundled kamproxy in the background.

Unlike Kamailio's kamctl, which guesses from a pid file ("PID file does not exist"),
these report the real cause of a failure: the configuration check's message, the
address already in use, the runtime directory another kamproxy owns, the process that
will not stop. Which kamproxy is managed: kamctl/managed.py.

Exit status: 0 done / running; 1 failed (the message says why), or running but no RPC
transport answers (status); 2 usage; 3 not running (status, stop).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from kamctl import exitcodes
from kamctl.context import Settings
from kamctl.exitstatus import ExitStatus

if TYPE_CHECKING:
    from kamctl.managed import Managed

FAILED = exitcodes.REMOTE_FAULT  #: 1
NOT_RUNNING = exitcodes.UNREACHABLE  #: 3


def _options(func: Any) -> Any:
    """-f FILE, -Y DIR and the kamproxy arguments after ``--`` (start, restart)."""
    func = click.argument("kamproxy_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- ARGS]")(
        func
    )
    func = click.option(
        "--wait",
        type=click.FloatRange(0, 600),
        default=10.0,
        show_default=True,
        metavar="SECONDS",
        help="How long to wait for it to answer RPC.",
    )(func)
    func = click.option(
        "--log",
        "log_file",
        type=click.Path(dir_okay=False),
        help="Write kamproxy's output here (default: kamproxy.log in the runtime dir).",
    )(func)
    return _where(func)


def _where(func: Any) -> Any:
    """-f FILE and -Y DIR: which kamproxy (every lifecycle command)."""
    func = click.option(
        "-Y",
        "--runtime-dir",
        type=click.Path(file_okay=False),
        help="kamproxy's runtime dir (pid file, FIFO, socket).",
    )(func)
    func = click.option(
        "-f",
        "--config",
        "config_file",
        type=click.Path(dir_okay=False),
        help="kamproxy's configuration file (TOML).",
    )(func)
    return func


def _managed(
    settings: Settings, runtime_dir: str | None, config_file: str | None, extra: tuple[str, ...]
) -> Managed:
    from kamctl.managed import resolve

    return resolve(settings, runtime_dir, config_file, list(extra))


@click.command(
    epilog="\b\nkamproxy's own flags go after --, e.g.\n"
    "  kamctl start -- -l udp:10.0.0.5:5060 --rpc-http 127.0.0.1:5071 -d 2",
)
@_options
@click.pass_obj
def start(
    settings: Settings,
    config_file: str | None,
    runtime_dir: str | None,
    log_file: str | None,
    wait: float,
    kamproxy_args: tuple[str, ...],
) -> None:
    """Start kamproxy in the background and wait until it answers RPC.

    Runs `kamproxy -c` first; a failure prints kamproxy's own reason (configuration
    error, address in use, runtime dir owned by another kamproxy).
    """
    from kamctl.proxyctl import start_proxy

    start_proxy(_managed(settings, runtime_dir, config_file, kamproxy_args), log_file, wait)


@click.command()
@_where
@click.option(
    "--wait",
    type=click.FloatRange(0, 600),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for it to end.",
)
@click.option("--force", is_flag=True, help="SIGKILL it if it has not ended after --wait.")
@click.pass_obj
def stop(
    settings: Settings, config_file: str | None, runtime_dir: str | None, wait: float, force: bool
) -> None:
    """Stop kamproxy (SIGTERM to the pid holding its pid file) and wait until it ends."""
    from kamctl.proxyctl import stop_proxy

    if not stop_proxy(_managed(settings, runtime_dir, config_file, ()), wait, force):
        raise ExitStatus(NOT_RUNNING)


# -- restart ------------------------------------------------------------------------------


@click.command()
@_options
@click.pass_obj
def restart(
    settings: Settings,
    config_file: str | None,
    runtime_dir: str | None,
    log_file: str | None,
    wait: float,
    kamproxy_args: tuple[str, ...],
) -> None:
    """Stop kamproxy (if it runs), then start it again.

    Without -f or arguments after --, it starts with the arguments of the last
    `kamctl start` (recorded in the runtime dir).
    """
    from kamctl.proxyctl import not_running, start_proxy, stop_proxy

    managed = _managed(settings, runtime_dir, config_file, kamproxy_args)
    doc = managed.record()
    if not config_file and not kamproxy_args and doc and isinstance(doc.get("args"), list):
        managed.args = [str(a) for a in doc["args"]]
        if log_file is None and isinstance(doc.get("log"), str):
            log_file = doc["log"]
    if managed.pid() is not None:
        stop_proxy(managed, wait, force=False)
    else:
        click.echo(f"kamctl: note: {not_running(managed)}; starting it", err=True)
    start_proxy(managed, log_file, wait)


@click.command()
@_where
@click.option(
    "-F", "--output", type=click.Choice(("text", "json")), default="text", show_default=True,
    help="Output format.",
)
@click.pass_obj
def status(
    settings: Settings, config_file: str | None, runtime_dir: str | None, output: str
) -> None:
    """Tell whether kamproxy runs: pid, uptime, which RPC addresses answer.

    Exit status: 0 running, 1 running but no RPC address answers, 3 not running.
    """
    from kamctl.proxyctl import status_data, status_text

    managed = _managed(settings, runtime_dir, config_file, ())
    data = status_data(managed)
    if output == "json":
        from kamctl.output.jsonout import to_json

        click.echo(to_json(data), nl=False)
    else:
        status_text(data, managed)
    if not data["running"]:
        raise ExitStatus(NOT_RUNNING)
    if data["rpc"] and data["answered"] is None:
        if output != "json":
            click.echo("kamctl: kamproxy runs but no RPC address answers", err=True)
        raise ExitStatus(FAILED)
