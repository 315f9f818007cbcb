"""``kamctl cfg``: read and change runtime parameters (the cfg.* RPC methods).

Works against kamproxy and Kamailio 5.6. ``cfg set`` sends an integer or a string
according to the parameter's type, which it asks the server for (``cfg.help`` ends
with "(parameter type is integer|string)" on both), never guessing from the value.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import click

from kamctl.context import Settings
from kamctl.livecomplete import complete_cfg_group, complete_cfg_var

_TYPE_LINE = re.compile(r"\(parameter type is (integer|string)\)")
_INT = re.compile(r"^[+-]?\d+$")

output_option = click.option(
    "-F",
    "--output",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="Plain text, or the RPC result as JSON.",
)


def _json(result: Any) -> None:
    from kamctl.output.jsonout import to_json

    click.echo(to_json(result), nl=False)


def _value(value: Any) -> str:
    return str(value)


@click.group()
def cfg() -> None:
    """Show and change runtime parameters without a restart (cfg.*)."""


@cfg.command("list")
@click.argument("group", required=False, shell_complete=complete_cfg_group)
@output_option
@click.pass_obj
def list_vars(settings: Settings, group: str | None, output: str) -> None:
    """List the parameters ("group: var"), of GROUP or of all groups."""
    client = settings.client()
    result = client.call("cfg.list", group) if group else client.call("cfg.list")
    if output == "json":
        _json(result)
        return
    for line in result or []:
        click.echo(line)


@cfg.command("get")
@click.argument("group", shell_complete=complete_cfg_group)
@click.argument("var", required=False, shell_complete=complete_cfg_var)
@output_option
@click.pass_obj
def get(settings: Settings, group: str, var: str | None, output: str) -> None:
    """Print the value of GROUP.VAR, or "var: value" for every parameter of GROUP."""
    client = settings.client()
    result = client.call("cfg.get", group, var) if var else client.call("cfg.get", group)
    if output == "json":
        _json(result)
    elif isinstance(result, dict):
        for name, value in result.items():
            click.echo(f"{name}: {_value(value)}")
    else:
        click.echo(_value(result))


def parse_type(help_result: Any) -> Literal["int", "str"] | None:
    """The parameter type from a cfg.help result (string or object), if it says."""
    if isinstance(help_result, dict):
        word = str(help_result.get("type", ""))
    else:
        match = _TYPE_LINE.search(str(help_result))
        word = match.group(1) if match else ""
    if word in ("integer", "int"):
        return "int"
    if word in ("string", "str"):
        return "str"
    return None


def typed_value(group: str, var: str, kind: str, text: str) -> int | str:
    if kind == "str":
        return text
    if not _INT.match(text.strip()):
        raise click.BadParameter(
            f"{group}.{var} is an integer parameter; {text!r} is not an integer",
            param_hint="VALUE",
        )
    return int(text)


@cfg.command("set", context_settings={"ignore_unknown_options": True})
@click.option("--delayed", is_flag=True, help="Stage the change; apply it with `cfg commit`.")
@click.argument("group", shell_complete=complete_cfg_group)
@click.argument("var", shell_complete=complete_cfg_var)
@click.argument("value")
@click.pass_obj
def set_var(settings: Settings, delayed: bool, group: str, var: str, value: str) -> None:
    """Set GROUP.VAR to VALUE, as an integer or a string according to its type.

    Negative numbers work as VALUE (kamctl cfg set core debug -1).
    """
    client = settings.client()
    kind = parse_type(client.call("cfg.help", group, var))
    if kind is None:
        raise click.ClickException(f"the server does not say the type of {group}.{var}")
    typed = typed_value(group, var, kind, value)
    if delayed:
        method = "cfg.set_delayed_int" if kind == "int" else "cfg.set_delayed_string"
    else:
        method = "cfg.seti" if kind == "int" else "cfg.sets"
    client.call(method, group, var, typed)
    if delayed:
        click.echo(f"{group}.{var} = {typed} staged; apply with `kamctl cfg commit`", err=True)


@cfg.command("help")
@click.argument("group", shell_complete=complete_cfg_group)
@click.argument("var", shell_complete=complete_cfg_var)
@click.pass_obj
def help_var(settings: Settings, group: str, var: str) -> None:
    """Describe GROUP.VAR and give its type."""
    result = settings.client().call("cfg.help", group, var)
    if isinstance(result, dict):
        for name, value in result.items():
            click.echo(f"{name}: {value}")
    else:
        click.echo(str(result))


def changes(result: Any) -> list[dict[str, Any]]:
    """cfg.diff's result as a list (Kamailio returns one object, or {} for none)."""
    if isinstance(result, list):
        return [item for item in result if isinstance(item, dict)]
    if isinstance(result, dict) and result:
        return [result]
    return []


@cfg.command("diff")
@output_option
@click.pass_obj
def diff(settings: Settings, output: str) -> None:
    """List the staged changes: group.var: old -> new."""
    staged = changes(settings.client().call("cfg.diff"))
    if output == "json":
        _json(staged)
        return
    if not staged:
        click.echo("no staged changes", err=True)
    for change in staged:
        group = change.get("group name", "?")
        if "group id" in change:
            group = f"{group}[{change['group id']}]"
        click.echo(
            f"{group}.{change.get('variable name', '?')}: "
            f"{_value(change.get('old value'))} -> {_value(change.get('new value'))}"
        )


@cfg.command("commit")
@click.pass_obj
def commit(settings: Settings) -> None:
    """Apply every staged change at once."""
    settings.client().call("cfg.commit")
    click.echo("staged changes applied", err=True)


@cfg.command("rollback")
@click.pass_obj
def rollback(settings: Settings) -> None:
    """Drop every staged change."""
    settings.client().call("cfg.rollback")
    click.echo("staged changes dropped", err=True)


@cfg.command("reset")
@click.argument("group", shell_complete=complete_cfg_group)
@click.pass_obj
def reset(settings: Settings, group: str) -> None:
    """Set every parameter of GROUP back to its start-up value."""
    settings.client().call("cfg.reset", group)


@cfg.command("save")
@click.pass_obj
def save(settings: Settings) -> None:
    """kamproxy: write the runtime changes to its overrides file (kept across restarts)."""
    result = settings.client().call("cfg.save")
    saved = result.get("saved", {}) if isinstance(result, dict) else {}
    count = sum(len(values) for values in saved.values() if isinstance(values, dict))
    where = result.get("file", "?") if isinstance(result, dict) else "?"
    click.echo(f"{count} changed parameter(s) saved to {where}", err=True)
