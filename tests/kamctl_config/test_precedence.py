"""Discovery and precedence (pyfakefs): each level overrides the ones below it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

import pytest

from kamctl.config import ConfigError, configured_rpc_address
from kamctl.config.paths import SYSTEM_TOML
from rpc.address import default_address
from tests.kamctl_config.conftest import CWD, HOME, Fake

LOCAL_RC = "/usr/local/etc/kamailio/kamctlrc"
SYSTEM_RC = "/etc/kamailio/kamctlrc"
USER_RC = f"{HOME}/.kamctlrc"
USER_TOML = f"{HOME}/.config/kamctl/kamctl.toml"
PROJECT_RC = f"{CWD}/kamctlrc"
NAMED = "/srv/site.toml"


def test_no_files_gives_the_defaults_kamproxy_uses(fake: Fake) -> None:
    from proxy.storage.url import default_url

    config = fake.load()
    assert config.rpc == str(default_address())
    assert config.db == default_url() == config.db_ro
    assert config.domain is None
    assert config.timeout == 5.0 and config.reply_dir == "/tmp/"
    assert config.store_plaintext_password is False
    assert config.table("subscriber") == "subscriber"
    assert config.rpc_address() is None
    assert config.warnings == [] and config.variables == []
    assert all(str(config.setting(k).origin) == "default" for k in config.all_keys())
    assert all(not f.exists and not f.used for f in config.files)


def test_the_files_consulted_in_order(fake: Fake) -> None:
    assert [(f.path, f.format, f.level, f.note) for f in fake.load().files] == [
        (LOCAL_RC, "kamctlrc", "system", ""),
        (SYSTEM_RC, "kamctlrc", "system", ""),
        (SYSTEM_TOML, "toml", "system", ""),
        (USER_RC, "kamctlrc", "user", ""),
        (USER_TOML, "toml", "user", ""),
        (PROJECT_RC, "kamctlrc", "project", "read only when KAMCTL_TEST is set"),
    ]
    fake.env["XDG_CONFIG_HOME"] = "/xdg"
    fake.env["KAMCTL_TEST"] = "1"
    fake.write("/srv/site.rc", "")
    files = fake.load(config_file="/srv/site.rc").files
    assert [(f.path, f.used) for f in files][4:] == [
        ("/xdg/kamctl/kamctl.toml", False),
        (PROJECT_RC, False),
        ("/srv/site.rc", True),
    ]
    fake.env["XDG_CONFIG_HOME"] = "relative/ignored"
    assert fake.load().files[4].path == USER_TOML


#: (writer, winning source) per level, lowest first, all setting the SIP domain.
DOMAIN_LEVELS: list[tuple[str, str, str]] = [
    (LOCAL_RC, "SIP_DOMAIN=l1\n", f"{LOCAL_RC}:1"),
    (SYSTEM_RC, "\nSIP_DOMAIN=l2\n", f"{SYSTEM_RC}:2"),
    (SYSTEM_TOML, 'domain = "l3"\n', f"{SYSTEM_TOML}:1"),
    (USER_RC, "SIP_DOMAIN=l4\n", f"{USER_RC}:1"),
    (USER_TOML, '\n\ndomain = "l5"\n', f"{USER_TOML}:3"),
    (PROJECT_RC, "SIP_DOMAIN=l6\n", f"{PROJECT_RC}:1"),
    (NAMED, 'domain = "l7"\n', f"{NAMED}:1"),
    ("env", "SIP_DOMAIN", "environment SIP_DOMAIN"),
    ("env", "KAMCTL_DOMAIN", "environment KAMCTL_DOMAIN"),
]


def _write_levels(fake: Fake, top: int) -> dict[str, object]:
    """Write the first ``top`` levels; return load() arguments."""
    fake.env["KAMCTL_TEST"] = "1"
    kwargs: dict[str, object] = {}
    for number, (where, text, _source) in enumerate(DOMAIN_LEVELS[:top], 1):
        if where == "env":
            fake.env[text] = f"l{number}"
        else:
            fake.write(where, text)
            if where == NAMED:
                kwargs["config_file"] = NAMED
    return kwargs


@pytest.mark.parametrize("top", range(1, len(DOMAIN_LEVELS) + 1))
def test_each_level_overrides_the_ones_below(fake: Fake, top: int) -> None:
    config = fake.load(**_write_levels(fake, top))
    assert config.domain == f"l{top}"
    assert str(config.setting("domain").origin) == DOMAIN_LEVELS[top - 1][2]
    # every lower level is kept, in order, for `config show --all`
    assert [s.value for s in config.history("domain")] == [f"l{n}" for n in range(1, top + 1)]


def test_project_kamctlrc_needs_kamctl_test(fake: Fake) -> None:
    fake.write(PROJECT_RC, "SIP_DOMAIN=project\n")
    config = fake.load()
    assert config.domain is None
    status = config.files[-1]
    assert (status.exists, status.used) == (True, False)
    fake.env["KAMCTL_TEST"] = "1"
    assert fake.load().domain == "project"


def test_flags_beat_the_environment_and_files(fake: Fake) -> None:
    fake.write(USER_TOML, 'rpc = "fifo:/file.fifo"\ndb = "sqlite:////f.db"\ntimeout = 2\n')
    fake.env.update(KAMCTL_RPC="unix:/env.sock", KAMCTL_DB="sqlite:////e.db", KAMCTL_TIMEOUT="3")
    config = fake.load()
    assert (config.rpc, config.db, config.timeout) == ("unix:/env.sock", "sqlite:////e.db", 3.0)
    flags = {
        "rpc": ("http://127.0.0.1:9/RPC", "-s"),
        "db": ("sqlite:////flag.db", "--db"),
        "timeout": (4.0, "--timeout"),
    }
    config = fake.load(flags=flags)
    assert (config.rpc, config.db, config.timeout) == (
        "http://127.0.0.1:9/RPC",
        "sqlite:////flag.db",
        4.0,
    )
    assert [str(config.setting(k).origin) for k in ("rpc", "db", "timeout")] == [
        "flag -s",
        "flag --db",
        "flag --timeout",
    ]
    # unset flags (None) change nothing
    config = fake.load(flags={"rpc": (None, "-s")})
    assert str(config.setting("rpc").origin) == "environment KAMCTL_RPC"


def test_kamctl_variables_beat_kamailio_ones_in_the_environment(fake: Fake) -> None:
    fake.env.update(RPCFIFOPATH="/k.fifo", DBENGINE="SQLITE", DB_PATH="/k.db")
    config = fake.load()
    assert (config.rpc, config.db) == ("fifo:/k.fifo", "sqlite:////k.db")
    assert str(config.setting("db").origin) == "environment DBENGINE"
    fake.env.update(KAMCTL_RPC="unix:/x.sock", KAMCTL_DB="sqlite:////x.db")
    config = fake.load()
    assert (config.rpc, config.db) == ("unix:/x.sock", "sqlite:////x.db")


def test_environment_dbhost_combines_with_the_files_dbengine(fake: Fake) -> None:
    fake.write(SYSTEM_RC, "DBENGINE=MYSQL\nDBHOST=file-host\n")
    fake.env["DBRWPW"] = "from-env"
    config = fake.load()
    assert config.db == "mysql://kamailio:from-env@file-host/kamailio"
    assert str(config.setting("db").origin) == "environment DBRWPW"


def test_toml_beats_kamctlrc_within_a_level(fake: Fake) -> None:
    fake.write(USER_RC, "SIP_DOMAIN=rc\nRPCFIFOPATH=/rc.fifo\n")
    fake.write(USER_TOML, 'domain = "toml"\n')
    config = fake.load()
    assert config.domain == "toml"
    assert config.rpc == "fifo:/rc.fifo"  # what the TOML file does not set still counts


def test_a_db_without_db_ro_resets_db_ro(fake: Fake) -> None:
    fake.write(SYSTEM_RC, "DBENGINE=MYSQL\nDBRWPW=rw\n")
    config = fake.load()
    assert config.db_ro == "mysql://kamailioro:kamailioro@localhost/kamailio"
    fake.write(USER_TOML, 'db = "sqlite:////u.db"\n')
    config = fake.load()
    assert config.db == config.db_ro == "sqlite:////u.db"


# Profiles.

PROFILES = """\
default_profile = "lab"
domain = "top"
timeout = 7

[profiles.lab]
rpc = "fifo:/lab.fifo"
domain = "lab.example.org"

[profiles.prod]
rpc = "http://127.0.0.1:5071/RPC"
db = "postgres://kam:pw@pg/kamailio"
reply_dir = "/var/run/kamailio/"

[profiles.prod.tables]
subscriber = "subs"
"""


def test_default_profile_from_the_file(fake: Fake) -> None:
    fake.write(USER_TOML, PROFILES)
    config = fake.load()
    assert config.profile is not None
    assert (config.profile.name, str(config.profile.origin)) == ("lab", f"{USER_TOML}:1")
    assert (config.rpc, config.domain, config.timeout) == ("fifo:/lab.fifo", "lab.example.org", 7)
    rpc = config.setting("rpc").origin
    assert (str(rpc), rpc.note) == (f"{USER_TOML}:6", "profile lab")
    assert sorted(config.profiles) == ["lab", "prod"]


def test_profile_flag_beats_environment_beats_default(fake: Fake) -> None:
    fake.write(USER_TOML, PROFILES)
    fake.env["KAMCTL_PROFILE"] = "prod"
    config = fake.load()
    assert config.profile is not None and str(config.profile.origin) == "environment KAMCTL_PROFILE"
    assert (config.rpc, config.domain, config.reply_dir) == (
        "http://127.0.0.1:5071/RPC",
        "top",
        "/var/run/kamailio/",
    )
    assert config.table("subscriber") == "subs"
    assert str(config.setting("tables.subscriber").origin) == f"{USER_TOML}:15"
    config = fake.load(profile="lab")
    assert config.profile is not None and config.profile.name == "lab"
    assert config.rpc == "fifo:/lab.fifo"


def test_profile_values_stay_at_their_files_level(fake: Fake) -> None:
    fake.write(SYSTEM_TOML, '[profiles.lab]\nrpc = "fifo:/system.fifo"\ndomain = "sys"\n')
    fake.write(USER_TOML, 'default_profile = "lab"\n[profiles.lab]\nrpc = "fifo:/user.fifo"\n')
    config = fake.load()
    assert (config.rpc, config.domain) == ("fifo:/user.fifo", "sys")
    assert [str(o) for o in config.profiles["lab"]] == [f"{SYSTEM_TOML}:1", f"{USER_TOML}:2"]
    fake.env["KAMCTL_RPC"] = "unix:/env.sock"  # the environment beats any file's profile
    assert fake.load(profile="lab").rpc == "unix:/env.sock"


def test_later_default_profile_wins(fake: Fake) -> None:
    fake.write(SYSTEM_TOML, 'default_profile = "a"\n[profiles.a]\n[profiles.b]\n')
    fake.write(USER_TOML, 'default_profile = "b"\n')
    config = fake.load()
    assert config.profile is not None and config.profile.name == "b"


@pytest.mark.parametrize(
    ("flag", "env", "message"),
    [
        ("nope", None, "unknown profile 'nope' (flag --profile); known profiles: lab, prod"),
        (None, "gone", "unknown profile 'gone' (environment KAMCTL_PROFILE); known profiles:"),
    ],
)
def test_unknown_profile_is_an_error_listing_the_known_ones(
    fake: Fake, flag: str | None, env: str | None, message: str
) -> None:
    fake.write(USER_TOML, PROFILES)
    if env:
        fake.env["KAMCTL_PROFILE"] = env
    with pytest.raises(ConfigError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        fake.load(profile=flag)


def test_unknown_default_profile_names_its_line(fake: Fake) -> None:
    fake.write(USER_TOML, '\ndefault_profile = "missing"\n')
    with pytest.raises(ConfigError) as caught:
        fake.load()
    assert str(caught.value).startswith(f"unknown profile 'missing' ({USER_TOML}:2); ")
    assert "no profiles are defined" in str(caught.value)


# Files that cannot be used.


def test_named_file_missing_is_an_error(fake: Fake) -> None:
    with pytest.raises(ConfigError, match=r"^cannot read config file /srv/nope.toml: No such file"):
        fake.load(config_file="/srv/nope.toml")
    fake.env["KAMCTL_CONFIG"] = "/srv/also-missing"
    with pytest.raises(ConfigError, match="also-missing"):
        fake.load()


def test_named_file_relative_to_the_current_directory(fake: Fake) -> None:
    fake.write(f"{CWD}/my.toml", 'domain = "mine"\n')
    config = fake.load(config_file="my.toml")
    assert config.domain == "mine"
    assert str(config.setting("domain").origin) == f"{CWD}/my.toml:1"
    assert config.files[-1].note == "named by --config"


def test_named_file_flag_beats_kamctl_config(fake: Fake) -> None:
    fake.write("/srv/a.toml", 'domain = "a"\n')
    fake.write("/srv/b.toml", 'domain = "b"\n')
    fake.env["KAMCTL_CONFIG"] = "/srv/a.toml"
    assert fake.load().domain == "a"
    assert fake.load().files[-1].note == "named by environment KAMCTL_CONFIG"
    assert fake.load(config_file="/srv/b.toml").domain == "b"


def test_named_directory_or_fifo_is_an_error(fake: Fake) -> None:
    fake.fs.create_dir("/srv/dir")
    with pytest.raises(ConfigError, match="^cannot read config file /srv/dir: not a regular"):
        fake.load(config_file="/srv/dir")
    fake.fs.create_file("/srv/rpc.fifo", st_mode=stat.S_IFIFO | 0o600)  # open() would block
    with pytest.raises(ConfigError, match="^cannot read config file /srv/rpc.fifo: not a regular"):
        fake.load(config_file="/srv/rpc.fifo")


def test_a_directory_in_a_default_place_is_a_warning(fake: Fake) -> None:
    fake.fs.create_dir(USER_RC)
    config = fake.load()
    assert config.warnings == [f"{USER_RC}: cannot read it (not a regular file); not used"]


@pytest.fixture
def not_root() -> Iterator[None]:
    """Act as a user other than root (the fake filesystem then checks permissions)."""
    from pyfakefs.helpers import reset_ids, set_uid

    set_uid(1000)
    yield None
    reset_ids()


@pytest.mark.usefixtures("not_root")
def test_unreadable_named_file_is_an_error(fake: Fake) -> None:
    fake.fs.create_file("/srv/secret.rc", contents="SIP_DOMAIN=x\n", st_mode=0o100600)
    os.chown("/srv/secret.rc", 0, 0)
    with pytest.raises(ConfigError, match="^cannot read config file /srv/secret.rc: Permission"):
        fake.load(config_file="/srv/secret.rc")


@pytest.mark.usefixtures("not_root")
def test_unreadable_default_file_is_a_warning(fake: Fake) -> None:
    fake.fs.create_file(SYSTEM_RC, contents="DBRWPW=secret\n", st_mode=0o100600)
    os.chown(SYSTEM_RC, 0, 0)
    config = fake.load()
    assert config.warnings == [f"{SYSTEM_RC}: cannot read it (Permission denied); not used"]
    status = config.files[1]
    assert (status.path, status.exists, status.used) == (SYSTEM_RC, True, False)


@pytest.mark.parametrize(
    ("path", "text", "message"),
    [
        (USER_TOML, 'timeout = 3\nrpc = "unterminated\n', f"{USER_TOML}: invalid TOML: "),
        (USER_TOML, "timeout = 3\n\nrcp = 'typo'\n", f"{USER_TOML}:3: unknown key 'rcp' (known:"),
        (USER_TOML, '[profiles.x]\n\ntimeout = "3"\n', f"{USER_TOML}:3: profiles.x.timeout must"),
        (USER_TOML, "timeout = -1\n", f"{USER_TOML}:1: timeout must be a number of seconds"),
        (USER_TOML, "store_plaintext_password = 1\n", f"{USER_TOML}:1: store_plaintext_"),
        (USER_TOML, 'rpc = "tcp:1.2.3.4:2049"\n', f"{USER_TOML}:1: rpc: cannot use RPC address"),
        (USER_TOML, 'rpc = "fifo:/x"\ndomain = 3\n', f"{USER_TOML}:2: domain must be a non-empty"),
        (USER_TOML, "[tables]\nsubscriberz = 'x'\n", f"{USER_TOML}:2: unknown table 'subscriberz'"),
        (USER_TOML, '[profiles.a]\ndefault_profile = "a"\n', f"{USER_TOML}:2: unknown key"),
        (USER_TOML, 'profiles = "x"\n', f"{USER_TOML}:1: profiles must hold"),
        (SYSTEM_TOML, b"domain = '\xff'\n", f"{SYSTEM_TOML}:1: not UTF-8 text"),
        (SYSTEM_RC, 'A=1\nSIP_DOMAIN="open\n', f"{SYSTEM_RC}:2: unterminated double quote"),
        (USER_RC, "X=$(date\n", f"{USER_RC}:1: unterminated $("),
    ],
)
def test_parse_errors_in_default_files_name_file_and_line(
    fake: Fake, path: str, text: str | bytes, message: str
) -> None:
    fake.fs.create_file(path, contents=text)
    with pytest.raises(ConfigError) as caught:
        fake.load()
    assert str(caught.value).startswith(message)


def test_toml_syntax_error_reports_its_line(fake: Fake) -> None:
    fake.write(USER_TOML, 'timeout = 3\n\ndomain = = "x"\n')
    with pytest.raises(ConfigError, match=r"\(at line 3, column \d+\)"):
        fake.load()


def test_warnings_name_file_and_line(fake: Fake) -> None:
    fake.write(USER_RC, "SIP_DOMAIN=ok\nHOST=$(hostname)\n")
    config = fake.load()
    assert config.domain == "ok"
    assert config.warnings == [
        f"{USER_RC}:2: HOST: command substitution $(...) is not supported; assignment ignored"
    ]


def test_bad_timeout_in_the_environment_fails_when_used(fake: Fake) -> None:
    fake.env["KAMCTL_TIMEOUT"] = "soon"
    config = fake.load()
    assert config.domain is None  # other settings still work
    with pytest.raises(ConfigError, match=r"KAMCTL_TIMEOUT='soon' is not a number"):
        config.timeout  # noqa: B018


def test_bad_database_url_fails_when_used_and_names_its_source(fake: Fake) -> None:
    fake.write(USER_TOML, 'db = "sqlite:relative"\n')
    config = fake.load()
    with pytest.raises(ConfigError, match=rf"^db: .*\[{USER_TOML}:1\]$"):
        config.db  # noqa: B018


def test_configured_rpc_address_for_kamcmd(fake: Fake, capsys: pytest.CaptureFixture[str]) -> None:
    assert configured_rpc_address(env=fake.env) is None
    fake.write(USER_RC, "RPCFIFOPATH=/run/k.fifo\nX=`date`\n")
    assert configured_rpc_address(env=fake.env) == ("fifo:/run/k.fifo", f"{USER_RC}:1")
    assert capsys.readouterr().err == (
        f"kamcmd: warning: {USER_RC}:2: X: command substitution `...` is not supported;"
        " assignment ignored\n"
    )
    fake.write(USER_TOML, '[profiles.p]\nrpc = "unix:/p.sock"\n')
    assert configured_rpc_address("p", env=fake.env) == ("unix:/p.sock", f"{USER_TOML}:2")
    with pytest.raises(ConfigError, match="unknown profile 'q'"):
        configured_rpc_address("q", env=fake.env)
