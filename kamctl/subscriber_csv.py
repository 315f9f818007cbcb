"""CSV files of subscribers: what ``kamctl subscriber import`` reads and ``export`` writes.

The first line names the columns (any order, any case):

* ``username`` (required) — ``user`` or ``user@domain``;
* ``domain`` — used when ``username`` has no ``@domain``; else the default domain;
* ``password`` — the cleartext password: all hashes are computed from it;
* ``ha1``, ``ha1b``, ``ha1_sha256``, ``ha1b_sha256``, ``ha1_sha512t256``,
  ``ha1b_sha512t256``, ``ha1_ref`` — precomputed hashes (as ``export`` writes them),
  used when ``password`` is empty.

Every line is checked before anything is written; the problems come back with their
line numbers and nothing is imported.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from proxy.storage.accounts import AccountError, check_password
from proxy.storage.accounts import parse as parse_account
from proxy.storage.ha1 import REF_COLUMN, Algorithm, subscriber_hashes
from proxy.storage.subscribers import HASH_COLUMNS

_HEX32 = re.compile(r"[0-9a-f]{32}\Z")
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
KNOWN_COLUMNS = ("username", "domain", "password", *HASH_COLUMNS)


@dataclass
class ImportPlan:
    """The rows to insert (all with the same keys) and the problems found."""

    rows: list[dict[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _Builder:
    def __init__(
        self,
        default_domain: str | None,
        existing: set[tuple[str, str]],
        algorithms: tuple[Algorithm, ...],
        hash_columns: tuple[str, ...],
        store_plaintext: bool,
    ) -> None:
        self.default_domain = default_domain
        self.existing = existing
        self.algorithms = algorithms
        self.hash_columns = hash_columns  # the hash columns the table has
        self.store_plaintext = store_plaintext
        self.seen: dict[tuple[str, str], int] = {}

    def row(self, line: int, record: dict[str, str]) -> dict[str, str]:
        """The row for one record; AccountError/ValueError with the problem."""
        user_field = record.get("username", "").strip()
        domain_field = record.get("domain", "").strip()
        if "@" in user_field and domain_field:
            _, at_domain = user_field.split("@", 1)
            if at_domain.lower() != domain_field.lower():
                raise ValueError(f"username {user_field!r} and domain {domain_field!r} disagree")
        account = parse_account(user_field, domain_field or self.default_domain)
        key = (account.user, account.domain)
        if key in self.seen:
            raise ValueError(f"user '{account}' is also on line {self.seen[key]}")
        self.seen[key] = line
        if key in self.existing:
            raise ValueError(f"user '{account}' already exists")
        values = {c: "" for c in self.hash_columns}
        password = record.get("password", "")
        if password:
            check_password(password)
            computed = subscriber_hashes(account.user, account.domain, password, self.algorithms)
            values.update({k: v for k, v in computed.items() if k in values})
        else:
            values.update(self._given_hashes(record))
        stored_password = password if self.store_plaintext else ""
        return {
            "username": account.user,
            "domain": account.domain,
            "password": stored_password,
            **values,
        }

    def _given_hashes(self, record: dict[str, str]) -> dict[str, str]:
        given = {c: record.get(c, "").strip().lower() for c in HASH_COLUMNS}
        if not given["ha1"]:
            raise ValueError("no password and no ha1")
        for column, value in given.items():
            if not value:
                continue
            pattern = _HEX32 if column in ("ha1", "ha1b", REF_COLUMN) else _HEX64
            if not pattern.match(value):
                size = 32 if pattern is _HEX32 else 64
                raise ValueError(f"{column} is not {size} hex digits")
            if column not in self.hash_columns:
                raise ValueError(f"the subscriber table has no {column} column")
        return {c: v for c, v in given.items() if c in self.hash_columns}


def _header(row: list[str]) -> list[str]:
    names = [name.strip().lower() for name in row]
    unknown = [n for n in names if n not in KNOWN_COLUMNS]
    if unknown:
        raise ValueError(
            f"line 1: unknown column {', '.join(repr(u) for u in unknown)} "
            f"(known: {', '.join(KNOWN_COLUMNS)})"
        )
    if "username" not in names:
        raise ValueError(
            "line 1: the first line must name the columns, with at least username and "
            "password (or ha1), e.g. username,domain,password"
        )
    if "password" not in names and "ha1" not in names:
        raise ValueError("line 1: there is neither a password nor an ha1 column")
    return names


def plan_import(
    source: IO[str],
    *,
    default_domain: str | None,
    existing: set[tuple[str, str]],
    algorithms: tuple[Algorithm, ...],
    hash_columns: tuple[str, ...],
    store_plaintext: bool,
) -> ImportPlan:
    """Read and check every line of ``source``."""
    plan = ImportPlan()
    reader = csv.reader(source)
    try:
        first = next(reader, None)
        if first is None:
            plan.errors.append("the file is empty")
            return plan
        names = _header(first)
    except (ValueError, csv.Error) as exc:
        plan.errors.append(str(exc))
        return plan
    builder = _Builder(default_domain, existing, algorithms, hash_columns, store_plaintext)
    for line, values in _records(reader, plan):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(names):
            plan.errors.append(f"line {line}: {len(values)} fields, the header has {len(names)}")
            continue
        try:
            plan.rows.append(builder.row(line, dict(zip(names, values, strict=True))))
        except (AccountError, ValueError) as exc:
            plan.errors.append(f"line {line}: {exc}")
    return plan


def _records(reader: Any, plan: ImportPlan) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record starts, fields); a CSV syntax error ends the file."""
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            plan.errors.append(f"line {start}: {exc}")
            return
        yield start, values


def export_columns(table_columns: Iterable[str]) -> list[str]:
    """The columns ``export`` writes: ours, in KNOWN_COLUMNS order, those the table has."""
    have = set(table_columns)
    return [c for c in KNOWN_COLUMNS if c in have]


def write_export(out: IO[str], columns: list[str], rows: Iterable[dict[str, Any]]) -> int:
    """Write the header and the rows; the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow(["" if row.get(c) is None else str(row.get(c)) for c in columns])
        count += 1
    return count
