"""``kamproxy``: command-line flags (kamailio's where one exists), check mode, run."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from proxy import log, version
from proxy.cfg import startup as cfg_startup
from proxy.config import ConfigError, ProxyConfig, load, parse_http, validate


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kamproxy",
        description="The kamctl SIP proxy. Runs in the foreground and logs to stderr; "
        "with no config file it runs on embedded defaults.",
    )
    parser.add_argument("-f", "--config", metavar="FILE", help="configuration file (TOML)")
    parser.add_argument(
        "-c", "--check", action="store_true", help="check the configuration and exit (0 ok, 1 not)"
    )
    parser.add_argument(
        "-Y",
        "--runtime-dir",
        metavar="DIR",
        help="directory for kamailio_rpc.fifo, kamailio_rpc.sock and kamproxy.pid",
    )
    parser.add_argument(
        "-l",
        "--listen",
        metavar="ADDR",
        action="append",
        help="SIP listen address [PROTO:]HOST[:PORT][/ADVERTISED[:PORT]], e.g. "
        "udp:127.0.0.1:5060 or tcp:[::1]:5060 (repeatable; default udp and tcp on "
        "127.0.0.1:5060)",
    )
    parser.add_argument(
        "--alias",
        metavar="HOST",
        action="append",
        help="another name of this proxy, [PROTO:]HOST[:PORT] (repeatable; adds to "
        "[core] aliases)",
    )
    parser.add_argument(
        "--script",
        metavar="FILE|none",
        help="routing script (Python, see docs/routing.md; default: the bundled default "
        "script; none: relay statelessly without transactions)",
    )
    parser.add_argument(
        "--rpc-http",
        metavar="HOST:PORT|off",
        help="HTTP JSON-RPC listener (default 127.0.0.1:5071)",
    )
    parser.add_argument(
        "--db", metavar="URL", help="database URL, e.g. sqlite:////abs/path/kamailio.sqlite"
    )
    parser.add_argument(
        "-d",
        "--debug",
        metavar="LEVEL",
        type=int,
        help="debug level, -5 (alert) .. 3 (debug); default 0 (warnings)",
    )
    parser.add_argument(
        "--cfg-overrides",
        metavar="FILE",
        help="keep runtime parameter changes: cfg.save writes them to FILE, read at start",
    )
    targets = parser.add_mutually_exclusive_group()
    targets.add_argument(
        "-E", "--log-stderr", action="store_true", help="log to stderr (the default)"
    )
    targets.add_argument(
        "--syslog",
        metavar="ADDRESS",
        nargs="?",
        const=log.DEFAULT_SYSLOG,
        help=f"log to syslog (facility: core.log_facility) at ADDRESS, a UNIX socket "
        f"(default {log.DEFAULT_SYSLOG}) or HOST:PORT (UDP)",
    )
    targets.add_argument("--log-file", metavar="FILE", help="log to FILE (reopened if rotated)")
    parser.add_argument("--log-json", action="store_true", help="log one JSON object per line")
    parser.add_argument("-V", "--version", action="store_true", help="print the version and exit")
    return parser


def log_options(args: argparse.Namespace) -> log.LogOptions:
    if args.syslog is not None:
        return log.LogOptions("syslog", args.syslog, args.log_json)
    if args.log_file is not None:
        return log.LogOptions("file", args.log_file, args.log_json)
    return log.LogOptions("stderr", "", args.log_json)


def configure(args: argparse.Namespace) -> ProxyConfig:
    """The configuration: defaults, then the file, then flags."""
    config = load(args.config)
    flags: dict[str, object] = {}
    if args.runtime_dir:
        flags["runtime_dir"] = Path(args.runtime_dir)
    if args.listen:
        flags["listen"] = tuple(args.listen)
    if args.alias:
        flags["aliases"] = config.aliases + tuple(args.alias)
    if args.db is not None:
        flags["db_url"] = args.db
    if args.debug is not None:
        flags["debug"] = args.debug
    if args.cfg_overrides is not None:
        flags["cfg_overrides"] = Path(args.cfg_overrides)
    if args.rpc_http is not None:
        flags["http"] = parse_http(args.rpc_http)
    if args.script is not None:
        flags["script"] = args.script
    return validate(config.with_flags(**flags))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.version:
        print(version.version_line())
        return 0
    try:
        config = configure(args)
        cfg = cfg_startup.load(config)
    except ConfigError as exc:
        print(f"kamproxy: configuration error: {exc}", file=sys.stderr)
        return 1
    if args.check:
        error = _check_script(config)
        if error:
            print(f"kamproxy: configuration error: {error}", file=sys.stderr)
            return 1
        print(f"kamproxy: configuration {config.source} is valid")
        return 0
    try:
        log.setup(log_options(args), cfg.params)
    except log.LogSetupError as exc:
        print(f"kamproxy: cannot start: {exc}", file=sys.stderr)
        return 1
    return asyncio.run(_serve(config, cfg))


def _check_script(config: ProxyConfig) -> str:
    """Compile the routing script (without running it); the error, or ""."""
    if config.script == "none":
        return ""
    from proxy.routing.script import DEFAULT_SCRIPT, ScriptError, compile_script

    try:
        compile_script(config.script or DEFAULT_SCRIPT)
    except ScriptError as exc:
        return f"routing script {exc}"
    return ""


async def _serve(config: ProxyConfig, cfg: cfg_startup.CfgSetup) -> int:
    from proxy.app import Proxy, StartupError

    try:
        proxy = Proxy(config, cfg)
        await proxy.run()
    except StartupError as exc:
        print(f"kamproxy: cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
