"""How kamctl's database commands open the database and turn failures into exit codes.

Exit codes (kamctl/exitcodes.py): 1 when what the command needs is not there or already
is (an existing user, an unknown one, a bad import file), 2 for bad input (a user name,
a password, a URL), 4 when the database cannot be reached or used. Messages are one
line on stderr, never a traceback, never a password.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

import click

from kamctl import exitcodes
from kamctl.context import Settings

if TYPE_CHECKING:
    from proxy.storage.database import Database
    from proxy.storage.url import DbUrl


class CommandFailed(click.ClickException):
    """A failure with its exit code, printed as ``kamctl: message``."""

    def __init__(self, message: str, exit_code: int = exitcodes.REMOTE_FAULT) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"kamctl: {self.format_message()}", err=True)


def usage_error(message: str) -> click.UsageError:
    """A usage error (exit 2) tied to the running command, so click prints its usage."""
    return click.UsageError(message, ctx=click.get_current_context(silent=True))


@contextmanager
def reported() -> Iterator[None]:
    """Turn storage and account errors raised in the block into CommandFailed/usage errors."""
    from proxy.storage.accounts import AccountError
    from proxy.storage.errors import BackupError, StorageError, UrlError
    from proxy.storage.subscribers import SubscriberError

    try:
        yield
    except AccountError as exc:
        raise usage_error(str(exc)) from None
    except SubscriberError as exc:
        raise CommandFailed(str(exc), exitcodes.REMOTE_FAULT) from None
    except UrlError as exc:
        raise CommandFailed(f"database URL: {exc}", exitcodes.USAGE) from None
    except BackupError as exc:
        raise CommandFailed(str(exc), exitcodes.REMOTE_FAULT) from None
    except StorageError as exc:
        raise CommandFailed(str(exc), exitcodes.DATABASE) from None


def database_url(settings: Settings, readonly: bool = False) -> DbUrl:
    """The configured database URL, parsed (UrlError inside :func:`reported`)."""
    from proxy.storage.url import parse_url

    return parse_url(settings.database_url(readonly=readonly))


def open_database(settings: Settings, *, create: bool = False, readonly: bool = False) -> Database:
    """Open the configured database; with ``create``, make the default SQLite file.

    Says so on stderr when it created a database.
    """
    from proxy.storage.database import Database

    url = database_url(settings, readonly=readonly)
    db = Database.open(url, create=create)
    if db.engine.created:
        click.echo(f"kamctl: created the database {url.describe()}", err=True)
    return db


def sip_domain(settings: Settings) -> str | None:
    """The default SIP domain (kamctlrc SIP_DOMAIN, kamctl.toml, environment)."""
    return settings.sip_domain()


def store_plaintext(settings: Settings) -> bool:
    """Whether to fill ``subscriber.password`` (kamctlrc STORE_PLAINTEXT_PW; default no)."""
    return settings.config.store_plaintext_password


def table_name(settings: Settings, logical: str) -> str:
    """The configured name of Kamailio table ``logical`` (kamctlrc SUB_TABLE, UL_TABLE, ...)."""
    return settings.config.table(logical)


def note(message: str) -> None:
    """A side remark on stderr (the command still succeeds)."""
    click.echo(f"kamctl: note: {message}", err=True)


def is_terminal(stream: Any = None) -> bool:
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
