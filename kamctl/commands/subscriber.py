"""Subscribers: ``kamctl add|passwd|rm|show``, ``kamctl subscriber list|import|export``
and ``kamctl ha1``, in kamctl's syntax, on the database of ``--db`` (docs/database.md).

Differences from Kamailio's kamctl, on purpose: user and domain are checked, an empty
password is refused, the password can be prompted for (twice) or read from stdin, the
cleartext password is stored only when configured (STORE_PLAINTEXT_PW=1), SHA-256 and
SHA-512-256 hashes are stored beside the MD5 ones, and every failure has an exit code
(1 exists/not found, 2 bad input, 4 database) with the database left unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

import click

from kamctl import dbaccess, exitcodes
from kamctl.context import Settings
from kamctl.dbaccess import CommandFailed, note, open_database, reported
from kamctl.livecomplete import complete_subscriber
from kamctl.passwords import obtain, password_stdin_option
from kamctl.rows import output_option, render

if TYPE_CHECKING:
    from proxy.storage.accounts import Account
    from proxy.storage.subscribers import Stored, Subscribers

#: How many import problems are listed before "... and N more".
MAX_REPORTED = 20
_HASH_NAMES = {
    "md5": "MD5 (ha1, ha1b)",
    "sha256": "SHA-256 (ha1_sha256, ha1b_sha256)",
    "sha512-256": "SHA-512-256 (ha1_sha512t256, ha1b_sha512t256)",
}
_MASK = "********"

plaintext_option = click.option(
    "--store-plaintext/--no-store-plaintext",
    default=None,
    help="Also store the cleartext password (default: STORE_PLAINTEXT_PW, else no).",
)
quiet_option = click.option(
    "-q", "--quiet", is_flag=True, help="Print only the first line (not what was stored)."
)


def _account(settings: Settings, text: str, domain: str | None = None) -> Account:
    from proxy.storage.accounts import parse

    return parse(text, domain or dbaccess.sip_domain(settings))


@contextmanager
def _subscribers(
    settings: Settings, *, create: bool = False, readonly: bool = False
) -> Iterator[Subscribers]:
    from proxy.storage.subscribers import Subscribers

    with open_database(settings, create=create, readonly=readonly) as db:
        yield Subscribers(db, dbaccess.table_name(settings, "subscriber"))


def _plaintext(settings: Settings, flag: bool | None) -> bool:
    return dbaccess.store_plaintext(settings) if flag is None else flag


def explain(stored: Stored, account: Account) -> list[str]:
    """What was stored, and how a proxy must be set up to use it (user-needs item 18)."""
    from proxy.storage.ha1 import DIGEST_NAMES

    lines = ["hashes stored: " + ", ".join(_HASH_NAMES[a] for a in stored.algorithms)]
    if stored.missing:
        lines.append(
            "not stored: "
            + ", ".join(DIGEST_NAMES[a] for a in stored.missing)
            + " (this subscriber table has no columns for them; `kamctl db create` adds them)"
        )
    if stored.plaintext:
        lines.append("cleartext password: stored (STORE_PLAINTEXT_PW=1)")
    else:
        lines.append("cleartext password: not stored (set STORE_PLAINTEXT_PW=1 to store it)")
    proxy = (
        f"proxy setup: the realm must be '{account.domain}'; kamproxy needs no setting; "
        "Kamailio's auth_db needs calculate_ha1=0 and password_column=ha1 (MD5)"
    )
    if stored.plaintext:
        proxy += ", or calculate_ha1=1 with password_column=password"
    lines.append(proxy)
    return lines


def _echo_lines(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)


# -- add / passwd / rm / show --------------------------------------------------------------


@click.command("add")
@click.argument("user", metavar="USER[@DOMAIN]")
@click.argument("password", required=False)
@password_stdin_option
@plaintext_option
@quiet_option
@click.pass_obj
def add(
    settings: Settings,
    user: str,
    password: str | None,
    password_stdin: bool,
    store_plaintext: bool | None,
    quiet: bool,
) -> None:
    """Add a subscriber; without PASSWORD it is asked for (twice).

    A USER without @DOMAIN gets the default domain (SIP_DOMAIN). An existing user is an
    error (exit 1) and nothing changes.
    """
    from proxy.storage.subscribers import SubscriberExists

    with reported():
        account = _account(settings, user)
        with _subscribers(settings, create=True) as subs:
            if subs.exists(account):
                raise SubscriberExists(account)
            secret = obtain(password, password_stdin)
            stored = subs.add(
                account, secret, store_plaintext=_plaintext(settings, store_plaintext)
            )
    click.echo(f"new user '{account}' added")
    if not quiet:
        _echo_lines(explain(stored, account))


@click.command("passwd")
@click.argument("user", metavar="USER[@DOMAIN]", shell_complete=complete_subscriber)
@click.argument("password", required=False)
@password_stdin_option
@plaintext_option
@quiet_option
@click.pass_obj
def passwd(
    settings: Settings,
    user: str,
    password: str | None,
    password_stdin: bool,
    store_plaintext: bool | None,
    quiet: bool,
) -> None:
    """Change a subscriber's password (all its hashes); without PASSWORD it is asked for."""
    from proxy.storage.subscribers import SubscriberNotFound

    with reported():
        account = _account(settings, user)
        with _subscribers(settings) as subs:
            if not subs.exists(account):
                raise SubscriberNotFound(account)
            secret = obtain(password, password_stdin)
            stored = subs.set_password(
                account, secret, store_plaintext=_plaintext(settings, store_plaintext)
            )
    click.echo(f"password changed for '{account}'")
    if not quiet:
        _echo_lines(explain(stored, account))


@click.command("rm")
@click.argument("user", metavar="USER[@DOMAIN]", shell_complete=complete_subscriber)
@click.pass_obj
def rm(settings: Settings, user: str) -> None:
    """Delete a subscriber (with its groups and DB aliases), then ask the running proxy
    to drop the user's registrations (ul.rm). An unreachable proxy is only a note."""
    with reported():
        account = _account(settings, user)
        with _subscribers(settings) as subs:
            subs.remove(account)
    click.echo(f"user '{account}' deleted")
    _drop_registrations(settings, account)


def _drop_registrations(settings: Settings, account: Account) -> None:
    from rpc.errors import RemoteError, RpcError

    table = dbaccess.table_name(settings, "location")
    aor = str(account)
    try:
        settings.client().call("ul.rm", table, aor)
    except RemoteError as exc:
        if exc.code == -32601:
            note("the proxy has no location service (ul.rm is unknown): no registrations to drop")
        else:
            note(f"the proxy answered ul.rm {table} {aor} with: {exc}")
        return
    except RpcError as exc:
        note(
            f"registrations of {aor} were not dropped: the proxy is not reachable ({exc}); "
            "they end when they expire"
        )
        return
    click.echo(f"registrations of {aor} dropped from the proxy")


def _masked(row: dict[str, Any], show_password: bool) -> dict[str, Any]:
    if show_password or not row.get("password"):
        return row
    return {**row, "password": _MASK}


@click.command("show")
@click.argument(
    "user", metavar="[USER[@DOMAIN]]", required=False, shell_complete=complete_subscriber
)
@output_option("text")
@click.option("--show-password", is_flag=True, help="Print a stored cleartext password.")
@click.pass_obj
def show(settings: Settings, user: str | None, output: str, show_password: bool) -> None:
    """Show a subscriber's row (all subscribers without USER).

    A stored cleartext password is masked unless --show-password.
    """
    from proxy.storage.subscribers import SubscriberNotFound

    with reported():
        account = _account(settings, user) if user is not None else None
        with _subscribers(settings, readonly=True) as subs:
            if account is not None:
                row = subs.get(account)
                if row is None:
                    raise SubscriberNotFound(account)
                rows = [row]
            else:
                rows = subs.search()
            columns = subs.db.columns(subs.table)
    text = render([_masked(r, show_password) for r in rows], output, columns)
    click.echo(text, nl=False)


# -- subscriber list / import / export -----------------------------------------------------


@click.group("subscriber")
def subscriber() -> None:
    """List, import and export subscribers (add/passwd/rm/show are top-level commands)."""


@subscriber.command("list")
@click.option("--domain", help="Only this domain.")
@click.option("--like", "pattern", metavar="PATTERN", help="SQL LIKE on the user name (% and _).")
@output_option("table", ("table", "json", "csv"))
@click.pass_obj
def list_(settings: Settings, domain: str | None, pattern: str | None, output: str) -> None:
    """List subscribers with the hashes each has."""
    from proxy.storage.ha1 import ALGORITHMS, COLUMNS, DIGEST_NAMES, extra_hashes_valid

    with reported():
        if domain is not None:
            from proxy.storage.accounts import check_domain

            domain = check_domain(domain)
        with _subscribers(settings, readonly=True) as subs:
            rows = subs.search(domain=domain, like=pattern)
    listed = []
    for row in rows:
        names = []
        for algorithm in ALGORITHMS:
            column = COLUMNS[algorithm][0]
            if row.get(column) and (algorithm == "md5" or extra_hashes_valid(row)):
                names.append(DIGEST_NAMES[algorithm])
        hashes: Any = names if output == "json" else " ".join(names)
        cleartext: Any = bool(row.get("password"))
        if output != "json":
            cleartext = "yes" if cleartext else "no"
        listed.append(
            {
                "id": row.get("id"),
                "username": row.get("username"),
                "domain": row.get("domain"),
                "hashes": hashes,
                "cleartext": cleartext,
            }
        )
    columns = ["id", "username", "domain", "hashes", "cleartext"]
    if output == "table" and not listed:
        click.echo("no subscribers", err=True)
        return
    click.echo(render(listed, output, columns), nl=False)


@subscriber.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--domain", help="Domain for users without one (default: SIP_DOMAIN).")
@plaintext_option
@click.pass_obj
def import_(
    settings: Settings, file: IO[str], domain: str | None, store_plaintext: bool | None
) -> None:
    """Add the subscribers of a CSV file (- for stdin), all or none.

    The first line names the columns: username (user or user@domain), domain,
    password; or precomputed ha1, ha1b, ... as `subscriber export` writes them.
    Every line is checked first: problems are listed with their line numbers and
    nothing is imported (exit 1).
    """
    from kamctl.subscriber_csv import plan_import
    from proxy.storage.errors import StorageError
    from proxy.storage.subscribers import HASH_COLUMNS

    plaintext = _plaintext(settings, store_plaintext)
    name = getattr(file, "name", "-")
    name = "<stdin>" if name in ("-", "<stdin>") or not isinstance(name, str) else name
    with reported():
        default_domain = domain or dbaccess.sip_domain(settings)
        with _subscribers(settings, create=True) as subs:
            algorithms, _missing = subs.algorithms()
            have = set(subs.db.columns(subs.table))
            plan = plan_import(
                file,
                default_domain=default_domain,
                existing=subs.accounts(),
                algorithms=algorithms,
                hash_columns=tuple(c for c in HASH_COLUMNS if c in have),
                store_plaintext=plaintext,
            )
            if plan.errors:
                _report_problems(plan.errors)
                raise CommandFailed(f"nothing imported: {len(plan.errors)} problem(s) in {name}")
            try:
                with subs.db.transaction():
                    count = _insert_with_progress(subs, plan.rows)
            except StorageError as exc:
                raise CommandFailed(f"nothing imported: {exc}", exitcodes.DATABASE) from None
    from proxy.storage.ha1 import DIGEST_NAMES

    stored = ", ".join(DIGEST_NAMES[a] for a in algorithms)
    cleartext = "stored" if plaintext else "not stored"
    click.echo(
        f"imported {count} subscriber(s) (hashes: {stored}; cleartext password: {cleartext})"
    )


def _report_problems(errors: list[str]) -> None:
    for problem in errors[:MAX_REPORTED]:
        click.echo(f"kamctl: {problem}", err=True)
    if len(errors) > MAX_REPORTED:
        click.echo(f"kamctl: ... and {len(errors) - MAX_REPORTED} more", err=True)


def _chunks(rows: list[dict[str, str]], size: int) -> Iterator[list[dict[str, str]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert_with_progress(subs: Subscribers, rows: list[dict[str, str]]) -> int:
    """Insert in chunks, with a progress bar when stderr is a terminal (rich only then)."""
    if not rows:
        return 0
    if not dbaccess.is_terminal():
        return subs.insert_rows(rows)
    from rich.console import Console
    from rich.progress import Progress

    total = 0
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("importing", total=len(rows))
        for chunk in _chunks(rows, 2000):
            total += subs.insert_rows(chunk)
            progress.advance(task, len(chunk))
    return total


@subscriber.command("export")
@click.option(
    "-o",
    "--output-file",
    metavar="FILE",
    default="-",
    help="Write here (mode 0600) instead of stdout.",
)
@click.option("--domain", help="Only this domain.")
@click.pass_obj
def export(settings: Settings, output_file: str, domain: str | None) -> None:
    """Write the subscribers as CSV (the format `subscriber import` reads)."""
    from kamctl.subscriber_csv import export_columns, write_export

    with reported():
        if domain is not None:
            from proxy.storage.accounts import check_domain

            domain = check_domain(domain)
        with _subscribers(settings, readonly=True) as subs:
            rows = subs.search(domain=domain)
            columns = export_columns(subs.db.columns(subs.table))
    if output_file == "-":
        out = click.get_text_stream("stdout")
        write_export(out, columns, rows)
        out.flush()
        return
    try:
        fd = os.open(output_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise CommandFailed(f"cannot write {output_file}: {exc.strerror}") from None
    with open(fd, "w", encoding="utf-8", newline="") as out:
        count = write_export(out, columns, rows)
    click.echo(f"exported {count} subscriber(s) to {output_file}", err=True)


# -- ha1 -----------------------------------------------------------------------------------


@click.command("ha1")
@click.argument("user")
@click.argument("realm")
@click.argument("password", required=False)
@click.option(
    "-a",
    "--algorithm",
    type=click.Choice(["md5", "sha256", "sha512-256"]),
    default="md5",
    show_default=True,
    help="Hash algorithm (RFC 7616).",
)
@click.option(
    "--ha1b",
    is_flag=True,
    help="Hash USER@DOMAIN:REALM:PASSWORD (kamctl's ha1b); DOMAIN is REALM unless USER has one.",
)
@password_stdin_option
def ha1(
    user: str,
    realm: str,
    password: str | None,
    algorithm: str,
    ha1b: bool,
    password_stdin: bool,
) -> None:
    """Print the HA1 of USER, REALM and PASSWORD (asked for when not given).

    The same as `echo -n 'USER:REALM:PASSWORD' | md5sum`, for MD5, SHA-256 or SHA-512-256.
    """
    from proxy.storage import ha1 as hashes

    alg = hashes.parse_algorithm(algorithm)
    secret = obtain(password, password_stdin)
    if ha1b:
        name, _, domain = user.partition("@")
        value = hashes.ha1b(name, domain or realm, realm, secret, alg)
    else:
        value = hashes.ha1(user, realm, secret, alg)
    click.echo(value)
