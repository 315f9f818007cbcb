"""Is the database reachable, and does it hold the Kamailio 5.6 schema versions we expect?

The versions are the rows of the ``version`` table, compared with
proxy/storage/schema.py: a table at another version fails (the proxy refuses it, as
Kamailio's modules do); a table without a row is only a warning (``kamctl db create``
adds missing tables).
"""

from __future__ import annotations

from typing import Any

from kamctl.doctor.context import DoctorContext
from kamctl.doctor.model import FAIL, PASS, WARN, Result

CHECK_DB = "database"
CHECK_SCHEMA = "schema"


def _configured(ctx: DoctorContext) -> bool:
    return bool(ctx.settings.db_url) or ctx.settings.config.configured("db") is not None


def check_database(ctx: DoctorContext) -> list[Result]:
    from kamctl.config import ConfigError
    from proxy.storage.database import Database
    from proxy.storage.errors import DatabaseMissing, StorageError
    from proxy.storage.url import parse_url

    try:
        url = parse_url(ctx.settings.database_url(readonly=True))
    except (ConfigError, StorageError) as exc:
        return [
            Result(
                CHECK_DB,
                FAIL,
                f"the database URL cannot be used: {exc}",
                "fix the db setting (`kamctl config show` says where it comes from)",
            )
        ]
    subject = url.describe()
    try:
        db = Database.open(url, create=False, timeout=max(ctx.timeout, 1.0))
    except DatabaseMissing as exc:
        if url.is_sqlite and not _configured(ctx):
            return [
                Result(
                    CHECK_DB,
                    WARN,
                    f"no database yet at the default place ({exc.message})",
                    "create it with `kamctl db create` (or let `kamctl add` create it)",
                    subject,
                )
            ]
        return [Result(CHECK_DB, FAIL, exc.message, _fix_for(exc), subject)]
    except StorageError as exc:
        return [Result(CHECK_DB, FAIL, exc.message, _fix_for(exc), subject)]
    with db:
        try:
            server = db.server_version()
        except StorageError:
            server = ""
        reached = Result(
            CHECK_DB, PASS, f"reachable{' (' + server + ')' if server else ''}", subject=subject
        )
        return [reached, _schema(db, subject)]


def _fix_for(exc: Any) -> str:
    hint = getattr(exc, "hint", "")
    return str(hint) if hint else (
        "check the URL, that the server runs and accepts this user "
        "(`kamctl config show` shows the db setting and its source)"
    )


def _schema(db: Any, subject: str) -> Result:
    from proxy.storage.errors import StorageError
    from proxy.storage.schema import expected_versions

    try:
        if "version" not in db.tables():
            return Result(
                CHECK_SCHEMA,
                FAIL,
                "no version table: this is not (yet) a Kamailio database",
                "create the tables with `kamctl db create`",
                subject,
            )
        found = db.versions()
    except StorageError as exc:
        return Result(CHECK_SCHEMA, FAIL, f"cannot read the version table: {exc}", None, subject)
    expected = expected_versions()
    wrong = {t: (found[t], v) for t, v in expected.items() if t in found and found[t] != v}
    missing = sorted(t for t in expected if t not in found)
    details: dict[str, Any] = {
        "wrong": {t: {"found": f, "expected": e} for t, (f, e) in wrong.items()},
        "missing": missing,
    }
    if wrong:
        listed = ", ".join(f"{t} {f} (expected {e})" for t, (f, e) in sorted(wrong.items()))
        return Result(
            CHECK_SCHEMA,
            FAIL,
            f"tables at other versions than Kamailio 5.6's: {listed}",
            "upgrade them with Kamailio's migration SQL for your old release, or start "
            "afresh with `kamctl db reinit` (deletes all data)",
            subject,
            details,
        )
    if missing:
        return Result(
            CHECK_SCHEMA,
            WARN,
            f"tables without a version row (not created?): {', '.join(missing)}",
            "`kamctl db create` adds the missing tables (existing ones are kept)",
            subject,
            details,
        )
    return Result(
        CHECK_SCHEMA, PASS, f"{len(expected)} tables at the expected versions", subject=subject
    )
