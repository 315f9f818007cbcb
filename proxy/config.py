"""kamproxy's configuration: embedded defaults, a TOML file, then command-line flags.

Every setting has a default, so kamproxy runs with no file at all. A file is checked
strictly: an unknown section or key, or a value of the wrong type, is an error that
names the file, the key and what was expected (``kamproxy -c`` prints it).

Runtime parameters (the cfg framework: ``core.debug``, ``tcp.connect_timeout``, ...)
live in ``[cfg.GROUP]`` tables and are checked by the cfg registry, not here.
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rpc.address import (
    DEFAULT_HTTP_HOST,
    DEFAULT_HTTP_PORT,
    DEFAULT_REPLY_DIR,
    FIFO_NAME,
    SOCKET_NAME,
)


class ConfigError(ValueError):
    """A configuration that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class HttpListen:
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class RpcConfig:
    """The management interface (Kamailio's jsonrpcs module parameters, plus HTTP)."""

    pretty: bool = True
    fifo: bool = True
    fifo_name: str = FIFO_NAME
    fifo_mode: int = 0o660
    fifo_user: str = ""
    fifo_group: str = ""
    fifo_reply_dir: str = DEFAULT_REPLY_DIR
    fifo_max_request: int = 65536
    fifo_reply_timeout: float = 2.0
    dgram: bool = True
    dgram_socket: str = SOCKET_NAME
    dgram_mode: int = 0o660
    dgram_user: str = ""
    dgram_group: str = ""
    http: HttpListen | None = HttpListen(DEFAULT_HTTP_HOST, DEFAULT_HTTP_PORT)
    http_allow_remote: bool = False
    http_token: str = ""
    http_users: dict[str, str] = field(default_factory=dict)
    http_max_body: int = 1 << 20


@dataclass(frozen=True)
class ProxyConfig:
    """Everything kamproxy needs to start."""

    source: str = "(embedded defaults)"
    runtime_dir: Path | None = None  #: None: rpc.address.default_runtime_dir()
    debug: int | None = None  #: -d; None: from [cfg.core] or the default
    #: cfg.save writes runtime changes here and start-up reads them back; None: off
    cfg_overrides: Path | None = None
    #: SIP listen addresses (proxy.transport.listen syntax); empty: the default listeners
    listen: tuple[str, ...] = ()
    #: other names/addresses of this proxy ("myself"): [PROTO:]HOST[:PORT]
    aliases: tuple[str, ...] = ()
    db_url: str = ""
    rpc: RpcConfig = field(default_factory=RpcConfig)
    #: [cfg.GROUP] tables, checked by the cfg registry
    cfg: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the routing script ([routing] script, --script); None: the default script,
    #: "none": no script (stateless relaying)
    script: str | None = None
    #: sections owned by later layers (routing, modules), kept as read
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)

    def with_flags(self, **given: Any) -> ProxyConfig:
        """A copy with the given command-line flags (RpcConfig fields go to ``rpc``)."""
        rpc_flags = {k: given.pop(k) for k in list(given) if k in _RPC_FIELDS}
        config = replace(self, **given)
        return replace(config, rpc=replace(config.rpc, **rpc_flags)) if rpc_flags else config


_RPC_FIELDS = set(RpcConfig.__dataclass_fields__)
_CORE_KEYS = {
    "runtime_dir": str,
    "listen": list,
    "aliases": list,
    "db_url": str,
    "cfg_overrides": str,
}
#: sections that later layers read; accepted as tables and kept in ProxyConfig.sections
OPEN_SECTIONS = {
    "routing",
    "modules",
    "auth",
    "registrar",
    "usrloc",
    "dispatcher",
    "domain",
    "permissions",
    "tm",
    "tcp",
    "sip",
}


def parse_http(text: str, where: str = "--rpc-http") -> HttpListen | None:
    """``HOST:PORT``, ``[V6]:PORT``, ``PORT`` or ``off``."""
    text = text.strip()
    if text.lower() in ("off", "no", "none", "false", ""):
        return None
    host = DEFAULT_HTTP_HOST
    port_text = text
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or not text[end + 1 :].startswith(":"):
            raise ConfigError(f"{where}: expected [IPV6]:PORT, got {text!r}")
        host, port_text = text[1:end], text[end + 2 :]
    elif ":" in text:
        host, port_text = text.rsplit(":", 1)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"{where}: port must be 1-65535 in {text!r}")
    return HttpListen(host, int(port_text))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load(path: str | Path | None) -> ProxyConfig:
    """Read ``path`` (TOML) over the defaults; None gives the defaults."""
    if path is None:
        return ProxyConfig()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except PermissionError:
        raise ConfigError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return from_dict(data, str(path))


def from_dict(data: dict[str, Any], source: str) -> ProxyConfig:
    """Build a checked ProxyConfig from parsed TOML."""
    config = ProxyConfig(source=source)
    for section, table in data.items():
        where = f"{source}: [{section}]"
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: {section!r} must be a table ([{section}])")
        if section == "core":
            config = _core(config, table, where)
        elif section == "rpc":
            config = replace(config, rpc=_rpc(table, where))
        elif section == "cfg":
            config = replace(config, cfg=_cfg(table, where))
        elif section in OPEN_SECTIONS:
            config.sections[section] = table
            if section == "routing" and "script" in table:
                config = replace(config, script=_script(table["script"], source, where))
        else:
            known = ", ".join(sorted({"core", "rpc", "cfg"} | OPEN_SECTIONS))
            raise ConfigError(f"{source}: unknown section [{section}] (known: {known})")
    return validate(config)


def _script(value: Any, source: str, where: str) -> str:
    """``[routing] script``: a path relative to the config file's directory, or "none"."""
    _expect(value, str, where, "script")
    if not value or value == "none" or Path(value).is_absolute():
        return str(value) or "none"
    return str(Path(source).parent / value)


def _expect(value: Any, kind: type, where: str, key: str) -> Any:
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        names = {
            str: "a string",
            int: "an integer",
            bool: "true or false",
            list: "an array",
            float: "a number",
            dict: "a table",
        }
        raise ConfigError(f"{where} {key}: must be {names[kind]}, got {value!r}")
    return value


def _core(config: ProxyConfig, table: dict[str, Any], where: str) -> ProxyConfig:
    for key, value in table.items():
        if key not in _CORE_KEYS:
            raise ConfigError(
                f"{where} unknown key {key!r} (known: {', '.join(sorted(_CORE_KEYS))}; "
                "runtime parameters such as debug go in [cfg.core])"
            )
        _expect(value, _CORE_KEYS[key], where, key)
    runtime_dir = table.get("runtime_dir")
    listen = table.get("listen", [])
    aliases = table.get("aliases", [])
    for key, items in (("listen", listen), ("aliases", aliases)):
        if not all(isinstance(item, str) for item in items):
            raise ConfigError(f"{where} {key}: must be an array of strings")
    overrides = table.get("cfg_overrides")
    return replace(
        config,
        runtime_dir=Path(runtime_dir) if runtime_dir else None,
        listen=tuple(listen),
        aliases=tuple(aliases),
        db_url=table.get("db_url", ""),
        # relative to the config file's directory
        cfg_overrides=Path(config.source).parent / overrides if overrides else None,
    )


def _mode(value: Any, where: str, key: str) -> int:
    if isinstance(value, str):
        try:
            value = int(value, 8)
        except ValueError:
            raise ConfigError(
                f'{where} {key}: {value!r} is not an octal mode like "0660"'
            ) from None
    _expect(value, int, where, key)
    if not 0 <= value <= 0o777:
        raise ConfigError(f"{where} {key}: mode {value:o} out of range")
    return int(value)


def _rpc(table: dict[str, Any], where: str) -> RpcConfig:
    defaults = RpcConfig()
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _RPC_FIELDS:
            raise ConfigError(
                f"{where} unknown key {key!r} (known: {', '.join(sorted(_RPC_FIELDS))})"
            )
        if key.endswith("_mode"):
            values[key] = _mode(value, where, key)
        elif key == "http":
            if isinstance(value, bool) and not value:
                values[key] = None
            else:
                values[key] = parse_http(_expect(value, str, where, key), f"{where} http")
        elif key == "http_users":
            users = _expect(value, dict, where, key)
            for name, password in users.items():
                _expect(password, str, where, f"http_users.{name}")
            values[key] = dict(users)
        else:
            default = getattr(defaults, key)
            values[key] = _expect(value, type(default), where, key)
    return replace(defaults, **values)


def _cfg(table: dict[str, Any], where: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for group, values in table.items():
        if not isinstance(values, dict):
            raise ConfigError(f"{where} {group}: must be a table ([cfg.{group}])")
        groups[group] = dict(values)
    return groups


def validate(config: ProxyConfig) -> ProxyConfig:
    """Cross-field checks; returns the config unchanged when it is usable."""
    if config.db_url:
        from proxy.storage.errors import UrlError
        from proxy.storage.url import parse_url

        try:
            parse_url(config.db_url)
        except UrlError as exc:
            raise ConfigError(f"{config.source}: db_url: {exc}") from None
    rpc = config.rpc
    if rpc.http is not None and not rpc.http_allow_remote and not is_loopback(rpc.http.host):
        raise ConfigError(
            f"{config.source}: HTTP RPC on {rpc.http} is not a loopback address; "
            "set [rpc] http_allow_remote = true (and http_token or http_users) to allow it"
        )
    if (
        rpc.http is not None
        and rpc.http_allow_remote
        and not is_loopback(rpc.http.host)
        and not (rpc.http_token or rpc.http_users)
    ):
        raise ConfigError(
            f"{config.source}: HTTP RPC on {rpc.http} would be open to the network without "
            "authentication; set [rpc] http_token or http_users"
        )
    if not rpc.fifo_reply_dir.endswith("/"):
        config = replace(config, rpc=replace(rpc, fifo_reply_dir=rpc.fifo_reply_dir + "/"))
    if config.debug is not None and not -5 <= config.debug <= 3:
        raise ConfigError(f"debug level {config.debug} out of range -5..3")
    _check_sip_addresses(config)
    _check_auth(config)
    return config


def _check_auth(config: ProxyConfig) -> None:
    """``[auth]`` holds the nonce secret only (runtime parameters are [cfg.auth])."""
    from proxy.modules.auth.params import secret_from

    try:
        secret_from(config.sections.get("auth", {}))
    except ValueError as exc:
        raise ConfigError(f"{config.source}: {exc}") from None


def _check_sip_addresses(config: ProxyConfig) -> None:
    """Listen addresses and aliases must parse (``kamproxy -c`` reports them)."""
    from proxy.core.myself import parse_alias
    from proxy.transport.listen import ListenError, parse_listen_list

    try:
        parse_listen_list(config.listen)
    except ListenError as exc:
        raise ConfigError(f"{config.source}: {exc}") from None
    for alias in config.aliases:
        try:
            parse_alias(alias)
        except ValueError as exc:
            raise ConfigError(f"{config.source}: {exc}") from None
