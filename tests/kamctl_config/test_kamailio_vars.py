"""kamctlrc variables -> kamctl settings: DBENGINE and friends -> URL, RPCFIFOPATH, ..."""

from __future__ import annotations

import pytest

from kamctl.config import ConfigError
from tests.kamctl_config.conftest import Fake

RC = "/etc/kamailio/kamctlrc"


def db_of(fake: Fake, text: str) -> tuple[str, str]:
    fake.write(RC, text)
    config = fake.load()
    return config.db, config.db_ro


@pytest.mark.parametrize("engine", ["SQLITE", "sqlite", "Sqlite"])
def test_sqlite_path(fake: Fake, engine: str) -> None:
    url = "sqlite:////var/lib/kamailio/kamailio.sqlite"
    assert db_of(fake, f"DBENGINE={engine}\nDB_PATH=/var/lib/kamailio/kamailio.sqlite\n") == (
        url,
        url,
    )


def test_sqlite_relative_path_is_made_absolute(fake: Fake) -> None:
    url, _ = db_of(fake, "DBENGINE=SQLITE\nDB_PATH=data/kam.sqlite\n")
    assert url == "sqlite:////work/site/data/kam.sqlite"


@pytest.mark.parametrize("engine", ["PGSQL", "pgsql", "POSTGRES", "postgres", "PostgreSQL"])
def test_postgres(fake: Fake, engine: str) -> None:
    text = (
        f"DBENGINE={engine}\nDBHOST=db.example.org\nDBPORT=5433\nDBNAME=kam\n"
        "DBRWUSER=rw\nDBRWPW=rwpw\nDBROUSER=ro\nDBROPW=ropw\n"
    )
    assert db_of(fake, text) == (
        "postgres://rw:rwpw@db.example.org:5433/kam",
        "postgres://ro:ropw@db.example.org:5433/kam",
    )


@pytest.mark.parametrize("engine", ["MYSQL", "mysql", "MySQL"])
def test_mysql_with_kamailio_defaults(fake: Fake, engine: str) -> None:
    # DBHOST localhost, DBNAME kamailio, DBRWUSER kamailio (no password: none in the URL),
    # DBROUSER/DBROPW kamailioro, as in Kamailio's kamctl.
    assert db_of(fake, f"DBENGINE={engine}\n") == (
        "mysql://kamailio@localhost/kamailio",
        "mysql://kamailioro:kamailioro@localhost/kamailio",
    )


def test_password_with_url_characters_and_ipv6_host(fake: Fake) -> None:
    url, _ = db_of(fake, "DBENGINE=MYSQL\nDBHOST=::1\nDBRWPW='p@ss/w:rd'\n")
    assert url == "mysql://kamailio:p@ss/w:rd@[::1]/kamailio"
    from proxy.storage.url import parse_url

    parsed = parse_url(url)
    assert (parsed.password, parsed.host, parsed.database) == ("p@ss/w:rd", "::1", "kamailio")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("DBENGINE=DBTEXT\nDB_PATH=/x", "DBENGINE=DBTEXT is not supported by kamctl"),
        ("DBENGINE=ORACLE", "DBENGINE=ORACLE is not supported by kamctl"),
        ("DBENGINE=db_berkeley", "DBENGINE=DB_BERKELEY is not supported by kamctl"),
        ("DBENGINE=MYSQLL", "unknown DBENGINE 'MYSQLL'"),
        ("DBENGINE=SQLITE", "DBENGINE=SQLITE needs DB_PATH"),
        ("DBENGINE=MYSQL\nDBPORT=x", "DBPORT 'x' is not a port number"),
    ],
)
def test_unusable_database_settings_fail_only_when_used(
    fake: Fake, text: str, problem: str
) -> None:
    fake.write(RC, text + "\nSIP_DOMAIN=example.org\n")
    config = fake.load()
    assert config.domain == "example.org"  # the rest of the file still counts
    assert problem in (config.problem("db") or "")
    with pytest.raises(ConfigError) as caught:
        config.db  # noqa: B018
    assert problem in str(caught.value) and f"[{RC}:1]" in str(caught.value)


def test_database_variables_without_dbengine_are_not_used(fake: Fake) -> None:
    fake.write(RC, "DB_PATH=/var/lib/x.sqlite\n")
    config = fake.load()
    assert config.configured("db") is None
    assert config.warnings == [
        f"{RC}:1: database variables are set but DBENGINE is not; they are not used"
        " (set DBENGINE=SQLITE, MYSQL or PGSQL)"
    ]


def test_database_variables_combine_across_files(fake: Fake) -> None:
    fake.write(RC, "DBENGINE=PGSQL\nDBHOST=pg1\nDBRWPW=one\n")
    fake.write("/home/op/.kamctlrc", "\nDBHOST=pg2\n")
    config = fake.load()
    assert config.db == "postgres://kamailio:one@pg2/kamailio"
    origin = config.setting("db").origin
    assert str(origin) == "/home/op/.kamctlrc:2"
    assert origin.note == f"from DBENGINE ({RC}:1), DBHOST (line 2), DBRWPW ({RC}:3)"


def test_rpcfifopath_becomes_a_fifo_address(fake: Fake) -> None:
    fake.write(RC, 'RPCFIFOPATH="/run/kamailio/kamailio_rpc.fifo"\n')
    config = fake.load()
    assert config.rpc == "fifo:/run/kamailio/kamailio_rpc.fifo"
    assert config.rpc_address() == ("fifo:/run/kamailio/kamailio_rpc.fifo", f"{RC}:1")


def test_ctlengine_rpcfifo_is_accepted_and_others_warn(fake: Fake) -> None:
    fake.write(RC, "CTLENGINE=RPCFIFO\n")
    assert fake.load().warnings == []
    fake.fs.remove(RC)
    fake.write(RC, "CTLENGINE=FIFO\nRPCFIFOPATH=/tmp/k.fifo\n")
    config = fake.load()
    assert config.warnings == [
        f"{RC}:1: CTLENGINE=FIFO is not supported: kamctl talks JSON-RPC (Kamailio's RPCFIFO"
        " engine, or a socket or HTTP address); ignored"
    ]
    assert config.rpc == "fifo:/tmp/k.fifo"


@pytest.mark.parametrize(
    ("value", "stored", "warns"),
    [("0", False, False), ("1", True, False), ("yes", True, True)],
)
def test_store_plaintext_pw(fake: Fake, value: str, stored: bool, warns: bool) -> None:
    fake.write(RC, f"STORE_PLAINTEXT_PW={value}\n")
    config = fake.load()
    assert config.store_plaintext_password is stored
    assert bool(config.warnings) is warns


def test_domain_pid_file_and_tables(fake: Fake) -> None:
    fake.write(RC, "SIP_DOMAIN=example.org\nPID_FILE=/run/k.pid\nSUB_TABLE=subs\nUL_TABLE=loc\n")
    config = fake.load()
    assert (config.domain, config.pid_file) == ("example.org", "/run/k.pid")
    assert (config.table("subscriber"), config.table("location")) == ("subs", "loc")
    assert config.table("domain") == "domain"  # not set: Kamailio's name


def test_an_empty_sip_domain_later_unsets_it(fake: Fake) -> None:
    fake.write(RC, "SIP_DOMAIN=example.org\n")
    fake.write("/home/op/.kamctlrc", 'SIP_DOMAIN=""\n')
    assert fake.load().domain is None


def test_unknown_variables_are_kept_and_shown_unused(fake: Fake) -> None:
    fake.write(RC, "MY_OWN=1\nVERIFY_ACL=0\nDBRWPW=secret\n")
    uses = {v.name: (v.value, v.use) for v in fake.load().variables}
    assert uses == {
        "MY_OWN": ("1", "unknown; not used"),
        "VERIFY_ACL": ("0", "not used by kamctl"),
        "DBRWPW": ("****", "db"),
    }
