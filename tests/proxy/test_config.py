"""kamproxy's configuration file and flags."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from proxy.config import ConfigError, HttpListen, ProxyConfig, load, parse_http
from proxy.main import build_parser, configure


def write(fs: FakeFilesystem, text: str) -> str:
    fs.create_file("/etc/kamproxy.toml", contents=text)
    return "/etc/kamproxy.toml"


def test_no_file_gives_defaults() -> None:
    config = load(None)
    assert config.rpc.fifo and config.rpc.dgram
    assert config.rpc.http == HttpListen("127.0.0.1", 5071)
    assert config.rpc.fifo_mode == 0o660 and config.rpc.fifo_reply_dir == "/tmp/"


def test_full_file(fs: FakeFilesystem) -> None:
    path = write(
        fs,
        """
[core]
runtime_dir = "/run/kp"
listen = ["udp:127.0.0.1:5060"]
db_url = "sqlite:///var/lib/kp.sqlite"
[rpc]
fifo_mode = "0600"
dgram_mode = 0o640
fifo_reply_dir = "/var/tmp"
http = "[::1]:8080"
http_token = "s3cret"
http_users = { admin = "pw" }
pretty = false
[cfg.core]
debug = 3
""",
    )
    config = load(path)
    assert config.runtime_dir == Path("/run/kp")
    assert config.listen == ("udp:127.0.0.1:5060",)
    assert config.rpc.fifo_mode == 0o600 and config.rpc.dgram_mode == 0o640
    assert config.rpc.fifo_reply_dir == "/var/tmp/"
    assert config.rpc.http == HttpListen("::1", 8080)
    assert config.rpc.http_users == {"admin": "pw"} and not config.rpc.pretty
    assert config.cfg == {"core": {"debug": 3}}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[nonsense]\n", "unknown section [nonsense]"),
        ("[core]\ndebug = 3\n", "[cfg.core]"),
        ("[core]\nlisten = 5\n", "listen: must be an array"),
        ('[rpc]\nfifo_mode = "rw"\n', "octal mode"),
        ("[rpc]\nfifo_mode = 0o7777\n", "out of range"),
        ('[rpc]\nhttp = "0.0.0.0:5071"\n', "not a loopback address"),
        ('[rpc]\nhttp = "0.0.0.0:5071"\nhttp_allow_remote = true\n', "without authentication"),
        ('[rpc]\nhttp = "127.0.0.1:99999"\n', "port must be"),
        ('[rpc]\nfifo = "yes"\n', "fifo: must be true or false"),
        ("[rpc]\nbogus = 1\n", "unknown key 'bogus'"),
        ("[rpc\n", "kamproxy.toml"),
        ("rpc = 5\n", "must be a table"),
    ],
)
def test_bad_files_name_the_problem(fs: FakeFilesystem, text: str, fragment: str) -> None:
    path = write(fs, text)
    with pytest.raises(ConfigError) as info:
        load(path)
    assert fragment in str(info.value)


def test_remote_http_with_auth_is_allowed(fs: FakeFilesystem) -> None:
    path = write(fs, '[rpc]\nhttp = "0.0.0.0:5071"\nhttp_allow_remote = true\nhttp_token = "t"\n')
    assert load(path).rpc.http == HttpListen("0.0.0.0", 5071)


def test_unreadable_files(fs: FakeFilesystem) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load("/nope.toml")
    fs.create_dir("/etc/dir.toml")
    with pytest.raises(ConfigError, match="directory"):
        load("/etc/dir.toml")


def test_parse_http() -> None:
    assert parse_http("off") is None
    assert parse_http("8080") == HttpListen("127.0.0.1", 8080)
    assert parse_http("localhost:1") == HttpListen("localhost", 1)
    with pytest.raises(ConfigError):
        parse_http("[::1]8080")


def test_flags_override_the_file(fs: FakeFilesystem) -> None:
    path = write(fs, '[core]\nruntime_dir = "/run/a"\n[rpc]\nhttp = "127.0.0.1:1000"\n')
    args = build_parser().parse_args(["-f", path, "-Y", "/run/b", "--rpc-http", "off", "-d", "3"])
    config = configure(args)
    assert config.runtime_dir == Path("/run/b")
    assert config.rpc.http is None
    assert config.debug == 3


def test_debug_flag_range() -> None:
    with pytest.raises(ConfigError, match="out of range"):
        configure(build_parser().parse_args(["-d", "9"]))
    assert isinstance(configure(build_parser().parse_args([])), ProxyConfig)


def test_a_database_url_that_cannot_be_parsed_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="db_url: not a database URL: 'nonsense'"):
        configure(build_parser().parse_args(["--db", "nonsense"]))
    assert configure(build_parser().parse_args(["--db", "sqlite:////tmp/k.sqlite"])).db_url
