"""The Kamailio 5.6 tables we use, as data: columns, types, defaults, indexes, versions.

Written from the facts of Kamailio's schema (the column lists of its 5.6 create
scripts); :mod:`proxy.storage.ddl` turns this into each engine's DDL. Every table has
an ``id`` primary key first, as in Kamailio. A unique index is a named ``UNIQUE``
constraint inside ``CREATE TABLE`` (that is how Kamailio declares them, and with SQLite
it decides the automatic index names); the others are ``CREATE INDEX`` statements.

Beyond Kamailio, ``subscriber`` has :data:`EXTRA_SUBSCRIBER_COLUMNS`: HA1 values for
SHA-256 and SHA-512-256 (RFC 7616, RFC 8760) and ``ha1_ref``. Kamailio selects the
columns it names and ignores the others, so a real Kamailio and its kamctl keep
working on a database that has them. Kamailio's kamctl ``passwd`` updates only
``ha1``/``ha1b``; the extra hashes are therefore trusted only while ``ha1`` still equals
``ha1_ref`` (the ``ha1`` they were computed with), see :func:`proxy.storage.ha1.extra_hashes_valid`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["id", "varchar", "int", "smallint", "real", "timestamp"]


class _NoDefault:
    """The column has no DEFAULT clause (different from ``DEFAULT NULL``)."""

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT = _NoDefault()
Default = str | int | float | None | _NoDefault
#: Kamailio's default for "never expires" and "never modified" timestamps.
EXPIRES_DEFAULT = "2030-05-28 21:32:15"
MODIFIED_DEFAULT = "2000-01-01 00:00:01"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    length: int = 0  #: VARCHAR length
    nullable: bool = False
    default: Default = NO_DEFAULT  #: ``None`` is an explicit ``DEFAULT NULL``
    extra: bool = False  #: ours, not Kamailio's


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]
    unique: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    version: int
    columns: tuple[Column, ...]
    indexes: tuple[Index, ...] = field(default=())

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def kamailio_columns(self) -> tuple[Column, ...]:
        """The columns without ours."""
        return tuple(c for c in self.columns if not c.extra)


# Small constructors, so the tables below read like the schema they describe.
def _id() -> Column:
    return Column("id", "id")


def _str(name: str, length: int, default: Default = "") -> Column:
    """VARCHAR NOT NULL, by default ``DEFAULT ''``."""
    return Column(name, "varchar", length, default=default)


def _str_null(name: str, length: int, default: Default = None) -> Column:
    """Nullable VARCHAR, by default ``DEFAULT NULL``."""
    return Column(name, "varchar", length, nullable=True, default=default)


def _int(name: str, default: Default = 0, type_: ColumnType = "int") -> Column:
    return Column(name, type_, default=default)


def _time(name: str, default: str = MODIFIED_DEFAULT) -> Column:
    return Column(name, "timestamp", default=default)


def _contact_table(name: str, version: int, contact_len: int, received_len: int) -> Table:
    """``location`` and ``aliases`` share their columns (usrloc's record)."""
    return Table(
        name,
        version,
        (
            _id(),
            _str("ruid", 64),
            _str("username", 64),
            _str_null("domain", 64),
            _str("contact", contact_len),
            _str_null("received", received_len),
            _str_null("path", 512),
            _time("expires", EXPIRES_DEFAULT),
            Column("q", "real", default=1.0),
            _str("callid", 255, "Default-Call-ID"),
            _int("cseq", 1),
            _time("last_modified"),
            _int("flags"),
            _int("cflags"),
            _str("user_agent", 255),
            _str_null("socket", 64),
            Column("methods", "int", nullable=True, default=None),
            _str_null("instance", 255),
            _int("reg_id"),
            _int("server_id"),
            _int("connection_id"),
            _int("keepalive"),
            _int("partition"),
        ),
    )


#: Our columns in ``subscriber`` (appended after Kamailio's).
EXTRA_SUBSCRIBER_COLUMNS: tuple[Column, ...] = tuple(
    Column(name, "varchar", 128, default="", extra=True)
    for name in ("ha1_sha256", "ha1b_sha256", "ha1_sha512t256", "ha1b_sha512t256", "ha1_ref")
)

_location = _contact_table("location", 9, 512, 128)
_aliases = _contact_table("aliases", 8, 255, 255)

TABLES: tuple[Table, ...] = (
    Table(
        "version",
        1,
        (_id(), Column("table_name", "varchar", 32), _int("table_version")),
        (Index("version_table_name_idx", ("table_name",), unique=True),),
    ),
    Table(
        "subscriber",
        7,
        (
            _id(),
            _str("username", 64),
            _str("domain", 64),
            _str("password", 64),
            _str("ha1", 128),
            _str("ha1b", 128),
            *EXTRA_SUBSCRIBER_COLUMNS,
        ),
        (
            Index("subscriber_account_idx", ("username", "domain"), unique=True),
            Index("subscriber_username_idx", ("username",)),
        ),
    ),
    Table(
        _location.name,
        _location.version,
        _location.columns,
        (
            Index("location_ruid_idx", ("ruid",), unique=True),
            Index("location_account_contact_idx", ("username", "domain", "contact")),
            Index("location_expires_idx", ("expires",)),
            Index("location_tcpcon_idx", ("connection_id",)),
            Index("location_connection_idx", ("server_id", "connection_id")),
        ),
    ),
    Table(
        "location_attrs",
        1,
        (
            _id(),
            _str("ruid", 64),
            _str("username", 64),
            _str_null("domain", 64),
            _str("aname", 64),
            _int("atype"),
            _str("avalue", 512),
            _time("last_modified"),
        ),
        (
            Index("location_attrs_account_record_idx", ("username", "domain", "ruid")),
            Index("location_attrs_last_modified_idx", ("last_modified",)),
        ),
    ),
    Table(
        _aliases.name,
        _aliases.version,
        _aliases.columns,
        (
            Index("aliases_ruid_idx", ("ruid",), unique=True),
            Index("aliases_account_contact_idx", ("username", "domain", "contact")),
            Index("aliases_expires_idx", ("expires",)),
        ),
    ),
    Table(
        "dbaliases",
        1,
        (
            _id(),
            _str("alias_username", 64),
            _str("alias_domain", 64),
            _str("username", 64),
            _str("domain", 64),
        ),
        (
            Index("dbaliases_alias_user_idx", ("alias_username",)),
            Index("dbaliases_alias_idx", ("alias_username", "alias_domain")),
            Index("dbaliases_target_idx", ("username", "domain")),
        ),
    ),
    Table(
        "domain",
        2,
        (
            _id(),
            _str("domain", 64, NO_DEFAULT),
            _str_null("did", 64),
            _time("last_modified"),
        ),
        (Index("domain_domain_idx", ("domain",), unique=True),),
    ),
    Table(
        "domain_attrs",
        1,
        (
            _id(),
            _str("did", 64, NO_DEFAULT),
            _str("name", 32, NO_DEFAULT),
            _int("type", NO_DEFAULT),
            _str("value", 255, NO_DEFAULT),
            _time("last_modified"),
        ),
        (Index("domain_attrs_domain_attrs_idx", ("did", "name")),),
    ),
    Table(
        "address",
        6,
        (
            _id(),
            _int("grp", 1),
            _str("ip_addr", 50, NO_DEFAULT),
            _int("mask", 32),
            _int("port", 0, "smallint"),
            _str_null("tag", 64, NO_DEFAULT),
        ),
    ),
    Table(
        "trusted",
        6,
        (
            _id(),
            _str("src_ip", 50, NO_DEFAULT),
            _str("proto", 4, NO_DEFAULT),
            _str_null("from_pattern", 64),
            _str_null("ruri_pattern", 64),
            _str_null("tag", 64, NO_DEFAULT),
            _int("priority"),
        ),
        (Index("trusted_peer_idx", ("src_ip",)),),
    ),
    Table(
        "dispatcher",
        4,
        (
            _id(),
            _int("setid"),
            _str("destination", 192),
            _int("flags"),
            _int("priority"),
            _str("attrs", 128),
            _str("description", 64),
        ),
    ),
    Table(
        "grp",
        2,
        (_id(), _str("username", 64), _str("domain", 64), _str("grp", 64), _time("last_modified")),
        (Index("grp_account_group_idx", ("username", "domain", "grp"), unique=True),),
    ),
    Table(
        "re_grp",
        1,
        (_id(), _str("reg_exp", 128), _int("group_id")),
        (Index("re_grp_group_idx", ("group_id",)),),
    ),
)

#: name -> table, in creation order (``version`` first).
BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    """The table called ``name``; raises KeyError for a table we do not know."""
    return BY_NAME[name]


def expected_versions() -> dict[str, int]:
    """The ``version`` rows a database of ours holds: table name -> version."""
    return {t.name: t.version for t in TABLES}
