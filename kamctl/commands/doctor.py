"""``kamctl doctor``: check the proxy, its RPC transports, the database and the setup,
and say how to fix what is wrong (docs/troubleshooting.md).

Exit status: 0 when no check failed (warnings allowed), 1 when one did.
"""

from __future__ import annotations

import click

from kamctl.context import Settings
from kamctl.exitstatus import ExitStatus


@click.command()
@click.option(
    "-Y",
    "--runtime-dir",
    type=click.Path(file_okay=False),
    help="kamproxy's runtime dir (pid file, FIFO, socket).",
)
@click.option(
    "-f",
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="kamproxy's configuration file (its runtime dir and RPC addresses).",
)
@click.option(
    "--rpc-timeout",
    type=click.FloatRange(0, 60, min_open=True),
    default=2.0,
    show_default=True,
    metavar="SECONDS",
    help="How long each RPC check waits.",
)
@click.option(
    "-F", "--output", type=click.Choice(("text", "json")), default="text", show_default=True,
    help="Output format.",
)
@click.pass_obj
def doctor(
    settings: Settings,
    runtime_dir: str | None,
    config_file: str | None,
    rpc_timeout: float,
    output: str,
) -> None:
    """Check the proxy process, each RPC transport, the database and its schema versions,
    local domains and aliases (the misrouting loop), the debug level, memory use and the
    listening sockets; print each as pass, warn, fail or skip, with the fix."""
    from kamctl.doctor import run
    from kamctl.doctor.context import make_context
    from kamctl.doctor.report import failed, to_data, to_text
    from kamctl.managed import resolve

    managed = resolve(settings, runtime_dir, config_file)
    ctx = make_context(settings, managed, rpc_timeout)
    results = run(ctx)
    targets = ", ".join(str(t) for t in ctx.targets) or "none"
    if output == "json":
        from kamctl.output.jsonout import to_json

        context = {
            "rpc": [str(t) for t in ctx.targets],
            "rpc_source": ctx.target_source,
            "runtime_dir": str(managed.runtime_dir),
        }
        click.echo(to_json(to_data(results, context)), nl=False)
    else:
        heading = (
            f"kamctl doctor: RPC {targets} ({ctx.target_source}); "
            f"runtime dir {managed.runtime_dir}"
        )
        click.echo(to_text(results, heading), nl=False)
    if failed(results):
        raise ExitStatus(1)
