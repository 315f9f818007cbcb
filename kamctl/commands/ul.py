"""``kamctl ul show|add|rm`` (also ``usrloc``, ``alias``) and ``kamctl online``: the
registrations the running proxy holds, through the ``ul.*`` RPC methods.

RPC only, so they work the same against kamproxy and Kamailio 5.6 (usrloc loaded).
As Kamailio's kamctl: a bare USER takes the default domain and the AoR sent is
``user@domain`` (a proxy with ``use_domain`` off strips the domain itself); ``ul add``
sends ``ul.add location AOR URI EXPIRES Q PATH 0 0 4294967295`` with expires 0 meaning
permanent, q 1.0 and path ``.`` (unset) unless given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from kamctl import dbaccess, exitcodes
from kamctl.context import Settings
from kamctl.dbaccess import CommandFailed, reported
from kamctl.rows import output_option, render

if TYPE_CHECKING:
    from rpc.errors import RemoteError

#: every method (Kamailio's kamctl sends this for ul add)
ALL_METHODS = 4294967295
#: columns of `ul show` as a table, and in JSON and CSV
TABLE_COLUMNS = ["aor", "contact", "expires", "q", "received", "user_agent", "state"]
FULL_COLUMNS = [
    "aor", "contact", "expires", "q", "call_id", "cseq", "user_agent", "received", "path",
    "state", "flags", "cflags", "socket", "methods", "ruid", "instance", "reg_id",
    "server_id", "tcpconn_id", "last_modified",
]
_FIELDS = {
    "contact": "Address", "expires": "Expires", "q": "Q", "call_id": "Call-ID", "cseq": "CSeq",
    "user_agent": "User-Agent", "received": "Received", "path": "Path", "state": "State",
    "flags": "Flags", "cflags": "CFlags", "socket": "Socket", "methods": "Methods",
    "ruid": "Ruid", "instance": "Instance", "reg_id": "Reg-Id", "server_id": "Server-Id",
    "tcpconn_id": "Tcpconn-Id", "last_modified": "Last-Modified",
}
_NOT_SET = "[not set]"
listing_option = output_option("table", ("table", "json", "csv"))


def _table(settings: Settings) -> str:
    return dbaccess.table_name(settings, "location")


def _aor(settings: Settings, user: str) -> str:
    """``user@domain`` (a bare user takes the default domain), checked."""
    from proxy.storage.accounts import parse

    with reported():
        return str(parse(user, dbaccess.sip_domain(settings)))


def _not_registered(exc: RemoteError) -> bool:
    return exc.message in ("AOR not found in location table", "AOR has no contacts")


def _no_usrloc(exc: RemoteError) -> bool:
    return exc.code == -32601 or exc.message in ("Method Not Found", "command not found")


def _call(settings: Settings, method: str, *params: Any) -> Any:
    """The RPC result; a proxy without usrloc is told in plain words (exit 1)."""
    from rpc.errors import RemoteError

    try:
        return settings.client().call(method, *params)
    except RemoteError as exc:
        if _no_usrloc(exc):
            raise CommandFailed(
                f"the proxy has no location service ({method} is unknown: usrloc not loaded)"
            ) from None
        raise


def contact_rows(aor: str, contacts: list[Any], columns: list[str]) -> list[dict[str, Any]]:
    """One row per contact of an ``ul.dump``/``ul.lookup`` result."""
    rows = []
    for item in contacts or []:
        contact = item.get("Contact", item) if isinstance(item, dict) else {}
        row: dict[str, Any] = {"aor": aor}
        for column in columns[1:]:
            value = contact.get(_FIELDS[column])
            row[column] = None if value == _NOT_SET else value
        rows.append(row)
    return rows


def _dump_rows(result: Any, columns: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for domain in (result or {}).get("Domains") or []:
        for entry in (domain.get("Domain") or {}).get("AoRs") or []:
            info = entry.get("Info", entry)
            rows += contact_rows(str(info.get("AoR")), info.get("Contacts") or [], columns)
    return rows


def _aors(result: Any) -> list[str]:
    """The AoRs of an ``ul.dump brief`` (or full) result, each once, sorted."""
    found: set[str] = set()
    for domain in (result or {}).get("Domains") or []:
        for entry in (domain.get("Domain") or {}).get("AoRs") or []:
            info = entry.get("Info", entry)
            if info.get("AoR") is not None:
                found.add(str(info["AoR"]))
    return sorted(found)


def _emit(rows: list[dict[str, Any]], output: str, columns: list[str], nothing: str) -> None:
    if output == "table" and not rows:
        click.echo(nothing, err=True)
        return
    if output != "json":  # 0.5, not 0.500000
        rows = [{**r, "q": format(r["q"], "g")} if isinstance(r.get("q"), float) else r
                for r in rows]
    click.echo(render(rows, output, columns), nl=False)


@click.group("ul")
def ul() -> None:
    """Registrations (user location) held by the running proxy (ul.* RPCs)."""


@ul.command("show")
@click.argument("user", metavar="[USER[@DOMAIN]]", required=False)
@click.option("--brief", is_flag=True, help="Only the registered AoRs (ul.dump brief).")
@listing_option
@click.pass_obj
def show(settings: Settings, user: str | None, brief: bool, output: str) -> None:
    """The contacts of USER (ul.lookup), or of everyone (ul.dump)."""
    from rpc.errors import RemoteError

    columns = TABLE_COLUMNS if output == "table" else FULL_COLUMNS
    if user is None:
        if brief:
            rows = [{"aor": aor} for aor in _aors(_call(settings, "ul.dump", "brief"))]
            _emit(rows, output, ["aor"], "nobody is registered")
            return
        rows = _dump_rows(_call(settings, "ul.dump"), columns)
        _emit(rows, output, columns, "nobody is registered")
        return
    aor = _aor(settings, user)
    try:
        result = _call(settings, "ul.lookup", _table(settings), aor)
    except RemoteError as exc:
        if _not_registered(exc):
            raise CommandFailed(f"{aor} is not registered", exitcodes.REMOTE_FAULT) from None
        raise
    if brief:
        _emit([{"aor": result.get("AoR", aor)}], output, ["aor"], "")
        return
    rows = contact_rows(str(result.get("AoR", aor)), result.get("Contacts") or [], columns)
    _emit(rows, output, columns, f"{aor} has no contacts")


@ul.command("add")
@click.argument("user", metavar="USER[@DOMAIN]")
@click.argument("uri", metavar="URI")
@click.argument("expires", type=click.IntRange(0, 2**31 - 1), default=0, required=False)
@click.option("--q", "q", type=click.FloatRange(0.0, 1.0), default=1.0, show_default=True,
              help="Priority of the contact.")
@click.option("--path", metavar="PATH", help="Path (Route set) to the contact.")
@click.option("--socket", metavar="PROTO:IP:PORT", help="The proxy socket to send from.")
@click.option("--received", metavar="URI", help="Where to send instead (NAT address).")
@click.pass_obj
def add(settings: Settings, user: str, uri: str, expires: int, q: float, path: str | None,
        socket: str | None, received: str | None) -> None:
    """Register URI for USER; EXPIRES seconds (0, the default: permanent)."""
    from proxy.sip import SipParseError, parse_uri

    try:
        parsed = parse_uri(uri)
    except SipParseError as exc:
        raise dbaccess.usage_error(f"bad URI {uri!r}: {exc}") from None
    if parsed.scheme not in ("sip", "sips"):
        raise dbaccess.usage_error(f"bad URI {uri!r}: a sip: or sips: URI is needed")
    aor = _aor(settings, user)
    params: list[Any] = [_table(settings), aor, uri, expires, q, path or ".", 0, 0, ALL_METHODS]
    if received or socket:
        params += [received or ".", socket or "."]
    _call(settings, "ul.add", *params)
    lasting = "permanently" if expires == 0 else f"for {expires} s"
    click.echo(f"{uri} registered for {aor} {lasting}")


@ul.command("rm")
@click.argument("user", metavar="USER[@DOMAIN]")
@click.argument("contact", metavar="[CONTACT]", required=False)
@click.pass_obj
def rm(settings: Settings, user: str, contact: str | None) -> None:
    """Drop every registration of USER, or only CONTACT."""
    from rpc.errors import RemoteError

    aor = _aor(settings, user)
    if contact is None:
        _call(settings, "ul.rm", _table(settings), aor)
        click.echo(f"registrations of {aor} dropped")
        return
    try:
        _call(settings, "ul.rm_contact", _table(settings), aor, contact)
    except RemoteError as exc:
        if exc.message in ("AOR not found", "Contact not found"):
            what = aor if exc.message == "AOR not found" else f"{contact} of {aor}"
            raise CommandFailed(f"{what} is not registered", exitcodes.REMOTE_FAULT) from None
        raise
    click.echo(f"{contact} of {aor} dropped")


@click.command("online")
@output_option("text", ("text", "table", "json", "csv"))
@click.pass_obj
def online(settings: Settings, output: str) -> None:
    """The registered AoRs, one per line (ul.dump brief)."""
    aors = _aors(_call(settings, "ul.dump", "brief"))
    if output == "text":
        for aor in aors:
            click.echo(aor)
        return
    _emit([{"aor": aor} for aor in aors], output, ["aor"], "nobody is registered")
