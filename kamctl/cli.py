"""``kamctl``: the operator's commands (subscribers, location, domains, cfg, ...)."""

from __future__ import annotations

import sys

import click

from kamctl import exitcodes
from kamctl.commands import COMMANDS
from kamctl.context import Settings
from kamctl.lazy import LazyGroup
from rpc.errors import RpcError

#: The Settings of the running command, so that main() can say where the address came from.
_RUNNING: list[Settings] = []


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-s",
    "--server",
    metavar="ADDRESS",
    help="RPC address: unix:PATH, fifo:PATH, http://HOST:PORT/RPC (env KAMCTL_RPC).",
)
@click.option(
    "--db", "db_url", metavar="URL", help="Database URL, e.g. sqlite:////abs/path/kamailio.sqlite."
)
@click.option(
    "--timeout",
    type=click.FloatRange(0, min_open=True),
    metavar="SECONDS",
    help="RPC reply timeout (default 5).",
)
@click.option(
    "--config",
    "config_file",
    metavar="FILE",
    help="Read this file too (kamctl.toml if named *.toml, else kamctlrc format).",
)
@click.option(
    "--profile",
    metavar="NAME",
    help="Use this [profiles.NAME] of kamctl.toml (env KAMCTL_PROFILE).",
)
@click.version_option(package_name="kamctl", prog_name="kamctl", message="%(prog)s %(version)s")
@click.pass_context
def cli(
    ctx: click.Context,
    server: str | None,
    db_url: str | None,
    timeout: float | None,
    config_file: str | None,
    profile: str | None,
) -> None:
    """Manage a Kamailio-compatible SIP proxy (kamproxy or Kamailio 5.6).

    Settings come from kamctlrc, kamctl.toml, the environment and these options:
    see 'kamctl config show' and 'kamctl config paths'.
    """
    settings = Settings(
        server=server, db_url=db_url, timeout=timeout, config_file=config_file, profile=profile
    )
    ctx.obj = settings
    _RUNNING[:] = [settings]
    ctx.call_on_close(settings.close)
    if config_file or profile:
        settings.config  # noqa: B018 - a named file or profile that cannot be used fails now


def main(argv: list[str] | None = None) -> int:
    """Entry point: click's own errors keep their codes; RPC errors map to ours."""
    _RUNNING.clear()
    try:
        # without standalone mode click returns ctx.exit()'s code instead of raising
        code = cli.main(args=argv, prog_name="kamctl", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        print("Aborted.", file=sys.stderr)
        return 1
    except RpcError as exc:
        tried = _RUNNING[0].target_source() if _RUNNING else ""
        return exitcodes.report(exc, "kamctl", tried)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
