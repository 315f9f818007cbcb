"""What Kamailio's kamctlrc variables mean to kamctl.

The variables accumulate like the shell's: each kamctlrc file (and then the
environment) adds to the ones before, and a later value wins. The database URL is built
from all the DB* variables seen so far whenever a source sets one of them, so
``DBENGINE`` in /etc/kamailio/kamctlrc and ``DBHOST`` in ~/.kamctlrc combine as in
Kamailio.
"""

from __future__ import annotations

import os

from kamctl.config.model import Origin, Setting, Variable, is_secret_variable

#: The variables the database URL is built from.
DB_VARS = (
    "DBENGINE",
    "DB_PATH",
    "DBHOST",
    "DBPORT",
    "DBNAME",
    "DBRWUSER",
    "DBRWPW",
    "DBROUSER",
    "DBROPW",
)
#: kamctlrc table-name variables -> Kamailio's table (kamctl's ``tables.NAME``).
TABLE_VARS: dict[str, str] = {
    "SUB_TABLE": "subscriber",
    "UL_TABLE": "location",
    "ALS_TABLE": "aliases",
    "DA_TABLE": "dbaliases",
    "DOMAIN_TABLE": "domain",
    "ACL_TABLE": "grp",
    "ADDRESS_TABLE": "address",
    "TRUSTED_TABLE": "trusted",
    "DISPATCHER_TABLE": "dispatcher",
    "AVP_TABLE": "usr_preferences",
    "SD_TABLE": "speed_dial",
}
#: Kamailio variables kamctl knows but has no use for (database creation, the shell
#: tools, starting Kamailio itself).
KNOWN_UNUSED = frozenset(
    {
        "CHROOT_DIR",
        "DBROOTUSER",
        "DBROOTPW",
        "DBROOTHOST",
        "DBROOTPORT",
        "DBACCESSHOST",
        "CHARSET",
        "DBINITASK",
        "STARTOPTIONS",
        "KAMBIN",
        "ETCDIR",
        "SYSLOG",
        "ALIASES_TYPE",
        "VERIFY_ACL",
        "ACL_GROUPS",
        "VERIFY_USER",
        "VERBOSE",
        "INSTALL_EXTRA_TABLES",
        "INSTALL_PRESENCE_TABLES",
        "INSTALL_DBUID_TABLES",
        "STANDARD_MODULES",
        "EXTRA_MODULES",
        "FOREVER",
        "DEFAULT_Q",
        "MD5",
        "AWK",
        "GREP",
        "EGREP",
        "SED",
        "LAST_LINE",
        "EXPR",
        "GDB",
        "SQLITE",
        "USERCOL",
        "NOHLPRINT",
    }
)
#: Kamailio variables kamctl also takes from the environment (Kamailio's kamctl fills
#: most of its variables only when they are empty, so these work there too).
ENVIRONMENT = (
    "SIP_DOMAIN",
    *DB_VARS,
    "CTLENGINE",
    "RPCFIFOPATH",
    "STORE_PLAINTEXT_PW",
    "PID_FILE",
)
#: DBENGINE spellings (upper-cased) -> URL scheme.
ENGINES = {
    "MYSQL": "mysql",
    "PGSQL": "postgres",
    "POSTGRES": "postgres",
    "POSTGRESQL": "postgres",
    "SQLITE": "sqlite",
}
UNSUPPORTED_ENGINES = frozenset({"ORACLE", "DBTEXT", "DB_BERKELEY", "BERKELEY"})


class Mapped:
    """What one source's variables contribute."""

    def __init__(self) -> None:
        self.settings: list[Setting] = []
        self.variables: list[Variable] = []
        self.warnings: list[str] = []


class KamailioVariables:
    """The kamctlrc variables read so far (files in order, then the environment)."""

    def __init__(self) -> None:
        self.seen: dict[str, tuple[str, Origin]] = {}

    def get(self, name: str) -> str | None:
        entry = self.seen.get(name)
        return entry[0] if entry else None

    def apply(self, entries: list[tuple[str, str, Origin]]) -> Mapped:
        """Add one source's variables; return the settings they give."""
        out = Mapped()
        db_origins: list[Origin] = []
        for name, value, origin in entries:
            self.seen[name] = (value, origin)
            use = self._map(name, value, origin, out)
            shown = "****" if is_secret_variable(name) and value else value
            out.variables.append(Variable(name, shown, origin, use))
            if name in DB_VARS:
                db_origins.append(origin)
        if db_origins:
            self._database(db_origins, out)
        return out

    def _map(self, name: str, value: str, origin: Origin, out: Mapped) -> str:
        """Add the setting ``name`` gives to ``out``; return what the variable is used for."""
        if name == "SIP_DOMAIN":
            # empty: no domain, whatever an earlier file said (as in the shell)
            out.settings.append(Setting("domain", value or None, origin))
            return "domain"
        if name == "PID_FILE":
            if value:  # empty: the default, as in Kamailio's kamctl
                out.settings.append(Setting("pid_file", value, origin))
            return "pid_file"
        if name == "RPCFIFOPATH":
            if value:
                out.settings.append(Setting("rpc", f"fifo:{value}", origin))
            return "rpc"
        if name == "CTLENGINE":
            if value and value.upper() != "RPCFIFO":
                out.warnings.append(
                    f"{origin}: CTLENGINE={value} is not supported: kamctl talks JSON-RPC"
                    " (Kamailio's RPCFIFO engine, or a socket or HTTP address); ignored"
                )
                return "not used (unsupported engine)"
            return "checked (RPCFIFO)"
        if name == "STORE_PLAINTEXT_PW":
            if value not in ("0", "1"):
                out.warnings.append(
                    f"{origin}: STORE_PLAINTEXT_PW={value!r} is neither 0 nor 1;"
                    " taken as 1 (store cleartext passwords), as Kamailio does"
                )
            out.settings.append(Setting("store_plaintext_password", value != "0", origin))
            return "store_plaintext_password"
        if name in TABLE_VARS:
            table = f"tables.{TABLE_VARS[name]}"
            if value:
                out.settings.append(Setting(table, value, origin))
            return table
        if name in DB_VARS:
            return "db"
        if name in KNOWN_UNUSED:
            return "not used by kamctl"
        return "unknown; not used"

    def _database(self, changed: list[Origin], out: Mapped) -> None:
        """Build the database URLs from every DB* variable seen so far."""
        engine = self.get("DBENGINE")
        if not engine:
            out.warnings.append(
                f"{changed[0]}: database variables are set but DBENGINE is not;"
                " they are not used (set DBENGINE=SQLITE, MYSQL or PGSQL)"
            )
            return
        engine_origin = self.seen["DBENGINE"][1]
        origin = engine_origin if engine_origin in changed else changed[0]
        contributors = []
        for name in DB_VARS:
            if name in self.seen:
                where = self.seen[name][1]
                same_file = where.kind == origin.kind == "file" and where.name == origin.name
                contributors.append(f"{name} ({f'line {where.line}' if same_file else where})")
        origin = Origin(origin.kind, origin.name, origin.line, "from " + ", ".join(contributors))
        url, ro_url, error = self.database_urls()
        out.settings.append(Setting("db", url, origin, error))
        out.settings.append(Setting("db_ro", ro_url, origin, error))

    def database_urls(self) -> tuple[str | None, str | None, str | None]:
        """(read-write URL, read-only URL, error) from the DB* variables."""
        engine = (self.get("DBENGINE") or "").upper()
        scheme = ENGINES.get(engine)
        if scheme is None:
            if engine in UNSUPPORTED_ENGINES:
                why = f"DBENGINE={engine} is not supported by kamctl (use SQLITE, MYSQL or PGSQL)"
            else:
                why = f"unknown DBENGINE {self.get('DBENGINE')!r} (use SQLITE, MYSQL or PGSQL)"
            return None, None, why
        if scheme == "sqlite":
            path = self.get("DB_PATH")
            if not path:
                return None, None, "DBENGINE=SQLITE needs DB_PATH (the database file)"
            url = "sqlite:///" + os.path.abspath(path)  # sqlite:////abs/path
            return url, url, None
        port = self.get("DBPORT") or ""
        if port and not port.isdigit():
            return None, None, f"DBPORT {port!r} is not a port number"
        host = self.get("DBHOST") or "localhost"
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        where = f"{host}:{port}" if port else host
        name = self.get("DBNAME") or "kamailio"
        rw = _url(scheme, self.get("DBRWUSER") or "kamailio", self.get("DBRWPW"), where, name)
        ro_user = self.get("DBROUSER") or "kamailioro"
        ro_password = self.get("DBROPW") or "kamailioro"
        ro = _url(scheme, ro_user, ro_password, where, name)
        return rw, ro, None


def _url(scheme: str, user: str, password: str | None, where: str, name: str) -> str:
    """``scheme://user[:password]@where/name``, unescaped as in Kamailio's URLs (the last
    ``@`` ends the password, so a password may hold ``@`` or ``/``)."""
    auth = f"{user}:{password}" if password else user
    return f"{scheme}://{auth}@{where}/{name}"
