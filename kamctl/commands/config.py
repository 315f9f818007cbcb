"""``kamctl config show`` and ``kamctl config paths``: what kamctl is configured with,
and from where (docs/configuration.md)."""

from __future__ import annotations

import os
from typing import Any

import click

from kamctl.config import Config, ConfigError, Setting
from kamctl.config.model import shown
from kamctl.context import Settings

output_option = click.option(
    "-F",
    "--output",
    type=click.Choice(("table", "json")),
    default="table",
    show_default=True,
    help="A table, or JSON for scripts.",
)


@click.group()
def config() -> None:
    """Show kamctl's effective configuration and the files it reads."""


def _text(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _entry(key: str, setting: Setting) -> dict[str, Any]:
    return {
        "value": shown(key, setting.value),
        "source": str(setting.origin),
        "origin": setting.origin.as_dict(),
    }


def show_data(cfg: Config) -> dict[str, Any]:
    """Everything ``config show`` prints, as JSON-ready data (passwords masked)."""
    settings: dict[str, Any] = {}
    for key in cfg.all_keys():
        entry = _entry(key, cfg.setting(key))
        entry["problem"] = cfg.problem(key)
        entry["overridden"] = [_entry(key, s) for s in cfg.history(key)[:-1]]
        settings[key] = entry
    profile = cfg.profile
    return {
        "profile": {"name": profile.name, "source": str(profile.origin)} if profile else None,
        "profiles": {name: [str(o) for o in where] for name, where in cfg.profiles.items()},
        "settings": settings,
        "variables": [
            {"name": v.name, "value": v.value, "source": str(v.origin), "use": v.use}
            for v in cfg.variables
        ],
        "warnings": list(cfg.warnings),
    }


def _table(rows: list[dict[str, str]]) -> None:
    from kamctl.output.table import to_table

    click.echo(to_table(rows), nl=False)


@config.command()
@output_option
@click.option("--all", "show_all", is_flag=True, help="Also list values that were overridden.")
@click.pass_obj
def show(settings: Settings, output: str, show_all: bool) -> None:
    """Print each effective setting with where it came from (passwords masked)."""
    data = show_data(settings.config)
    if output == "json":
        from kamctl.output.jsonout import to_json

        click.echo(to_json(data), nl=False)
        return
    profile = data["profile"]
    known = ", ".join(data["profiles"]) or "none defined"
    if profile:
        click.echo(f"profile: {profile['name']} ({profile['source']}); known: {known}")
    else:
        click.echo(f"profile: none; known: {known}")
    rows = []
    for key, entry in data["settings"].items():
        if key.startswith("tables.") and entry["origin"]["kind"] == "default" and not show_all:
            continue
        if show_all:
            for old in entry["overridden"]:
                rows.append(_row(key, old, "overridden"))
        rows.append(_row(key, entry, entry["problem"] and f"UNUSABLE: {entry['problem']}"))
    _table(rows)
    if data["variables"]:
        click.echo("kamctlrc variables:")
        _table(
            [
                {"name": v["name"], "value": v["value"], "source": v["source"], "use": v["use"]}
                for v in data["variables"]
            ]
        )


def _row(key: str, entry: dict[str, Any], extra: str | None) -> dict[str, str]:
    notes = [entry["origin"].get("note", ""), extra or ""]
    return {
        "setting": key,
        "value": _text(entry["value"]),
        "source": entry["source"],
        "note": "; ".join(n for n in notes if n),
    }


@config.command()
@output_option
@click.pass_obj
def paths(settings: Settings, output: str) -> None:
    """List the files kamctl reads, in order (later ones win), and whether each exists."""
    error: ConfigError | None = None
    try:
        files = [f._asdict() for f in settings.config.files]
    except ConfigError as exc:
        error = exc
        files = _unread_files(settings)
    for number, entry in enumerate(files, 1):
        entry["order"] = number
    if output == "json":
        from kamctl.output.jsonout import to_json

        click.echo(to_json(files), nl=False)
    else:
        _table(
            [
                {
                    "#": str(f["order"]),
                    "level": f["level"],
                    "format": f["format"],
                    "path": f["path"],
                    "exists": "yes" if f["exists"] else "no",
                    "read": "yes" if f["used"] else "no",
                    "note": f["note"],
                }
                for f in files
            ]
        )
    if error is not None:
        raise error


def _unread_files(settings: Settings) -> list[dict[str, Any]]:
    """The file list when the configuration cannot be loaded (the error follows it)."""
    from kamctl.config.load import ENV_CONFIG
    from kamctl.config.paths import candidates, named

    found = candidates(os.environ)
    named_path = settings.config_file or os.environ.get(ENV_CONFIG)
    if named_path:
        found.append(named(named_path))
    return [
        {
            "path": c.path,
            "format": c.format,
            "level": c.level,
            "exists": os.path.exists(c.path),
            "used": False,
            "note": c.skipped or "not read: see the error below",
        }
        for c in found
    ]
