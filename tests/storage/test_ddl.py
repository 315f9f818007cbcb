"""The schema as data, and the DDL each engine gets from it."""

from __future__ import annotations

import pytest

from proxy.storage import query
from proxy.storage.dialect import check_identifier, dialect_for, literal
from proxy.storage.errors import QueryError
from proxy.storage.schema import (
    BY_NAME,
    EXTRA_SUBSCRIBER_COLUMNS,
    NO_DEFAULT,
    TABLES,
    expected_versions,
    table,
)


def test_tables_and_versions_are_kamailio_5_6() -> None:
    assert expected_versions() == {
        "version": 1,
        "subscriber": 7,
        "location": 9,
        "location_attrs": 1,
        "aliases": 8,
        "dbaliases": 1,
        "domain": 2,
        "domain_attrs": 1,
        "address": 6,
        "trusted": 6,
        "dispatcher": 4,
        "grp": 2,
        "re_grp": 1,
    }
    assert TABLES[0].name == "version"
    assert all(t.columns[0].name == "id" and t.columns[0].type == "id" for t in TABLES)


def test_extra_columns_come_after_kamailio_s() -> None:
    sub = table("subscriber")
    assert [c.name for c in sub.kamailio_columns()] == [
        "id",
        "username",
        "domain",
        "password",
        "ha1",
        "ha1b",
    ]
    assert sub.columns[-len(EXTRA_SUBSCRIBER_COLUMNS) :] == EXTRA_SUBSCRIBER_COLUMNS
    assert all(c.extra for c in EXTRA_SUBSCRIBER_COLUMNS)
    assert not any(c.extra for t in TABLES if t.name != "subscriber" for c in t.columns)


def test_defaults_distinguish_null_from_none() -> None:
    domain = table("domain")
    assert domain.column("domain").default is NO_DEFAULT
    assert domain.column("did").default is None and domain.column("did").nullable
    assert table("address").column("tag").default is NO_DEFAULT


def test_sqlite_ddl_matches_kamailio_s_form() -> None:
    statements = dialect_for("sqlite").create_table(table("subscriber"))
    create = statements[0]
    assert create.startswith("CREATE TABLE `subscriber` (\n    id INTEGER PRIMARY KEY NOT NULL,")
    assert "`username` VARCHAR(64) DEFAULT '' NOT NULL" in create
    assert "CONSTRAINT `subscriber_account_idx` UNIQUE (`username`, `domain`)" in create
    assert statements[1] == "CREATE INDEX `subscriber_username_idx` ON `subscriber` (`username`)"
    location = dialect_for("sqlite").create_table(table("location"))[0]
    assert (
        "`expires` TIMESTAMP WITHOUT TIME ZONE DEFAULT '2030-05-28 21:32:15' NOT NULL" in location
    )
    assert "`q` REAL DEFAULT 1.0 NOT NULL" in location
    assert "`methods` INTEGER DEFAULT NULL," in location


def test_postgres_ddl_uses_serial_ids() -> None:
    create = dialect_for("postgres").create_table(table("address"))[0]
    assert "id SERIAL PRIMARY KEY NOT NULL" in create
    assert '"port" SMALLINT DEFAULT 0 NOT NULL' in create
    assert create.rstrip().endswith('"tag" VARCHAR(64)\n)')


def test_mysql_ddl_uses_kamailio_mysql_types_and_index_names() -> None:
    statements = dialect_for("mysql").create_table(table("location"))
    create = statements[0]
    assert "`id` INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL" in create
    assert "`expires` DATETIME DEFAULT '2030-05-28 21:32:15' NOT NULL" in create
    assert "`q` FLOAT(10,2) DEFAULT 1.0 NOT NULL" in create
    assert "`partition` INT(11) DEFAULT 0 NOT NULL" in create
    assert "CONSTRAINT `ruid_idx` UNIQUE (`ruid`)" in create
    assert create.endswith("ENGINE=InnoDB DEFAULT CHARSET=utf8mb4")
    assert "CREATE INDEX `account_contact_idx` ON `location`" in statements[1]


@pytest.mark.parametrize("engine", ["sqlite", "postgres", "mysql"])
def test_every_table_every_engine(engine: str) -> None:
    d = dialect_for(engine)
    for t in TABLES:
        statements = d.create_table(t)
        assert len(statements) == 1 + sum(not i.unique for i in t.indexes)
        for col in t.columns:
            assert d.quote(col.name) in statements[0] or col.name == "id"


def test_add_column_for_the_extra_columns() -> None:
    sql = dialect_for("postgres").add_column("subscriber", EXTRA_SUBSCRIBER_COLUMNS[0])
    assert sql == (
        'ALTER TABLE "subscriber" ADD COLUMN "ha1_sha256" VARCHAR(128) DEFAULT \'\' NOT NULL'
    )


def test_literals() -> None:
    assert literal("") == "''"
    assert literal("o'brien") == "'o''brien'"
    assert literal(None) == "NULL"
    assert literal(0) == "0"
    assert literal(1.0) == "1.0"


@pytest.mark.parametrize("bad", ["", "a b", "x;drop", 'x"', "1abc", "a" * 64, "ü"])
def test_identifiers_are_checked(bad: str) -> None:
    with pytest.raises(QueryError):
        check_identifier(bad)


def test_query_builder_binds_every_value() -> None:
    d = dialect_for("postgres")
    sql, params = query.select(
        d,
        "subscriber",
        {"username": "o'brien", "domain": None, "id": query.Cmp(">", 3), "ha1": query.like("a%")},
        columns=["id", "username"],
        order_by=["domain", "-id"],
        limit=5,
    )
    assert sql == (
        'SELECT "id", "username" FROM "subscriber" WHERE "username" = %s AND "domain" IS NULL '
        'AND "id" > %s AND "ha1" ILIKE %s ESCAPE \'\\\' ORDER BY "domain", "id" DESC LIMIT 5'
    )
    assert params == ("o'brien", 3, "a%")
    sql, params = query.update(dialect_for("sqlite"), "t", {"a": 1, "b": "x"}, {"id": 2})
    assert (sql, params) == ("UPDATE `t` SET `a` = ?, `b` = ? WHERE `id` = ?", (1, "x", 2))
    assert query.insert(dialect_for("mysql"), "t", ["a", "b"]) == (
        "INSERT INTO `t` (`a`, `b`) VALUES (%s, %s)"
    )
    with pytest.raises(QueryError):
        query.Cmp("; drop", 1)


def test_by_name_covers_all_tables() -> None:
    assert set(BY_NAME) == {t.name for t in TABLES}
