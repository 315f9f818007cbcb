"""Database URLs as Kamailio reads them, and the embedded default."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.storage import url as urlmod
from proxy.storage.errors import UrlError
from proxy.storage.url import DbUrl, default_url, parse_url


def test_four_slashes_is_an_absolute_path() -> None:
    parsed = parse_url("sqlite:////var/lib/kamailio/kamailio.sqlite")
    assert parsed == DbUrl(engine="sqlite", path="/var/lib/kamailio/kamailio.sqlite")
    assert parsed.file() == Path("/var/lib/kamailio/kamailio.sqlite")


def test_three_slashes_is_relative_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    parsed = parse_url("sqlite:///data/kamailio.sqlite")
    assert parsed.path == "data/kamailio.sqlite"
    assert parsed.file() == tmp_path / "data" / "kamailio.sqlite"


def test_relative_url_refused_when_only_the_absolute_file_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "k.sqlite"
    target.write_bytes(b"")
    monkeypatch.chdir("/")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    relative = str(target).lstrip("/")
    with pytest.raises(UrlError) as info:
        parse_url(f"sqlite:///{relative}")
    assert f"sqlite:///{target}" in str(info.value)  # the hint: add a slash


def test_bare_absolute_path_is_sqlite() -> None:
    assert parse_url("/tmp/x.sqlite") == DbUrl(engine="sqlite", path="/tmp/x.sqlite")


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "POSTGRES"])
def test_postgres_urls(scheme: str) -> None:
    parsed = parse_url(f"{scheme}://kamailio:s3cret@db.example.com:6543/kam")
    assert parsed.engine == "postgres"
    assert (parsed.user, parsed.password, parsed.host, parsed.port, parsed.database) == (
        "kamailio",
        "s3cret",
        "db.example.com",
        6543,
        "kam",
    )


def test_mysql_url_defaults_port_and_host() -> None:
    parsed = parse_url("mysql://kamailio:kamailiorw@/kamailio")
    assert (parsed.engine, parsed.host, parsed.port) == ("mysql", "localhost", 3306)
    assert parse_url("mysql://u@h/db").port == 3306
    assert parse_url("postgres://u@h/db").port == 5432


def test_password_with_at_and_slash_ends_at_the_last_at() -> None:
    parsed = parse_url("postgres://u:p@ss/w0rd@host/db")
    assert (parsed.user, parsed.password, parsed.host, parsed.database) == (
        "u",
        "p@ss/w0rd",
        "host",
        "db",
    )


def test_ipv6_host_and_options() -> None:
    parsed = parse_url("postgres://u:p@[::1]:5433/db?sslmode=disable&application_name=k")
    assert (parsed.host, parsed.port) == ("::1", 5433)
    assert parsed.params == (("sslmode", "disable"), ("application_name", "k"))
    assert parsed.redacted() == "postgres://u:***@[::1]:5433/db?sslmode=disable&application_name=k"


def test_redacted_and_repr_hide_the_password() -> None:
    parsed = parse_url("mysql://kamailio:topsecret@host/kamailio")
    assert "topsecret" not in str(parsed)
    assert "topsecret" not in repr(parsed)
    assert "topsecret" not in parsed.describe()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("kamailio.sqlite", "not a database URL"),
        ("oracle://u:p@h/db", "unknown database engine"),
        ("sqlite://host/file", "no host"),
        ("sqlite:///", "no file name"),
        ("postgres://u:p@host", "no database name"),
        ("postgres://u:p@host:99999/db", "bad port"),
        ("postgres://u:p@host:abc/db", "bad port"),
        ("postgres://u:p@[::1/db", "unterminated"),
        ("postgres://u:p@h/db?novalue", "bad option"),
    ],
)
def test_bad_urls_say_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(UrlError) as info:
        parse_url(text)
    assert words in str(info.value)


def test_bad_url_message_hides_a_password() -> None:
    with pytest.raises(UrlError) as info:
        parse_url("u:hunter2@host/db")
    assert "hunter2" not in str(info.value)


def test_default_for_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(urlmod.os, "geteuid", lambda: 0)
    assert default_url() == "sqlite:////var/lib/kamailio/kamailio.sqlite"


def test_default_for_a_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(urlmod.os, "geteuid", lambda: 1000)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert default_url() == f"sqlite:///{tmp_path}/.local/share/kamctl/kamailio.sqlite"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_url() == f"sqlite:///{tmp_path}/xdg/kamctl/kamailio.sqlite"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert default_url() == f"sqlite:///{tmp_path}/.local/share/kamctl/kamailio.sqlite"
    assert parse_url(default_url()).file().is_absolute()
