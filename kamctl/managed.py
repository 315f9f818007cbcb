"""The kamproxy that ``kamctl start|stop|restart|status`` (and ``doctor``) manage.

Which one: its **runtime directory** (where kamproxy keeps ``kamproxy.pid``, its FIFO
and socket) is, first found wins:

1. ``-Y DIR`` given to the kamctl command (or ``-Y``/``--runtime-dir`` among the
   kamproxy arguments after ``--``);
2. ``[core] runtime_dir`` of the kamproxy configuration file given with ``-f FILE``;
3. the directory of kamctl's ``pid_file`` setting, when configured (kamctlrc
   ``PID_FILE``, kamctl.toml ``pid_file``, environment ``PID_FILE``);
4. kamproxy's default: ``/run/kamailio`` for root, else ``$XDG_RUNTIME_DIR/kamailio``,
   else ``/tmp/kamailio-<uid>``.

``kamctl start`` always passes the chosen directory to kamproxy as ``-Y``, and records
how it started kamproxy in ``kamproxy.start.json`` there, so ``status`` knows the RPC
addresses (an HTTP port given on the command line, say) and ``restart`` reuses the
arguments.

The state comes from the **locked** pid file (proxy/runtime.py): a pid counts only while
a live kamproxy holds the lock, so a pid file left by a crash is recognised as stale.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpc.address import PID_NAME, Address, default_runtime_dir

if TYPE_CHECKING:
    from kamctl.context import Settings
    from proxy.config import ProxyConfig

RECORD_NAME = "kamproxy.start.json"
LOG_NAME = "kamproxy.log"
#: How kamctl runs kamproxy: this interpreter, so the same installation is used.
KAMPROXY = [sys.executable, "-m", "proxy.main"]


@dataclass
class Managed:
    """One kamproxy instance, by its runtime directory."""

    runtime_dir: Path
    #: where the runtime dir came from ("-Y flag", "FILE [core] runtime_dir", ...)
    source: str
    #: kamproxy's arguments (without the program), as kamctl passes them
    args: list[str] = field(default_factory=list)
    #: a kamproxy configuration file (-f), if any
    config_file: str | None = None

    @property
    def pid_file(self) -> Path:
        return self.runtime_dir / PID_NAME

    @property
    def record_file(self) -> Path:
        return self.runtime_dir / RECORD_NAME

    def pid(self) -> int | None:
        """The pid of the running kamproxy (it holds the pid file's lock), else None."""
        from proxy.runtime import read_pid

        return read_pid(self.pid_file)

    def stale_pid(self) -> int | None:
        """The pid written in a pid file nobody holds (a crashed instance), else None."""
        try:
            text = self.pid_file.read_text(errors="replace").strip()
        except OSError:
            return None
        return int(text) if text.isdigit() and self.pid() is None else None

    def record(self) -> dict[str, Any] | None:
        """What the last ``kamctl start`` wrote (arguments, log), if readable."""
        try:
            doc = json.loads(self.record_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def write_record(self, log: Path, pid: int) -> None:
        doc = {"args": self.args, "log": str(log), "pid": pid, "started": time.time()}
        # without it, status falls back to the default addresses
        with contextlib.suppress(OSError):
            self.record_file.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")

    def log_file(self) -> Path | None:
        """The log of the last ``kamctl start`` (None when unknown)."""
        doc = self.record()
        return Path(doc["log"]) if doc and isinstance(doc.get("log"), str) else None


def _flag_value(args: list[str], names: tuple[str, ...]) -> str | None:
    """The value of the last ``-Y DIR`` / ``--runtime-dir=DIR`` style flag in ``args``."""
    found = None
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                found = args[i + 1]
            elif name.startswith("--") and arg.startswith(name + "="):
                found = arg.split("=", 1)[1]
    return found


def _file_runtime_dir(path: str) -> str | None:
    """``[core] runtime_dir`` of a kamproxy configuration file (None if unset/unreadable)."""
    from proxy.config import ConfigError, load

    try:
        config = load(path)
    except ConfigError:
        return None  # the configuration check reports it
    return str(config.runtime_dir) if config.runtime_dir else None


def resolve(
    settings: Settings | None,
    runtime_dir: str | None = None,
    config_file: str | None = None,
    extra: list[str] | tuple[str, ...] = (),
) -> Managed:
    """Find the runtime dir (module docstring) and build kamproxy's arguments."""
    extra = list(extra)
    chosen: str | None = runtime_dir
    source = "-Y flag"
    if chosen is None:
        chosen = _flag_value(extra, ("-Y", "--runtime-dir"))
        source = "-Y among the kamproxy arguments"
    if chosen is None:
        file_arg = config_file or _flag_value(extra, ("-f", "--config"))
        if file_arg:
            chosen = _file_runtime_dir(file_arg)
            source = f"{file_arg} [core] runtime_dir"
    if chosen is None and settings is not None:
        configured = settings.config.configured("pid_file")
        if configured is not None and configured.value:
            chosen = str(Path(str(configured.value)).parent)
            source = f"directory of pid_file ({configured.origin})"
    if chosen is None:
        chosen, source = str(default_runtime_dir()), "default"
    directory = Path(os.path.abspath(chosen))
    args: list[str] = []
    if config_file:
        args += ["-f", os.path.abspath(config_file)]
    args += ["-Y", str(directory)]
    args += _without_runtime_dir(extra)
    return Managed(directory, source, args, config_file)


def _without_runtime_dir(args: list[str]) -> list[str]:
    """``args`` without -Y/--runtime-dir (kamctl passes the chosen one itself)."""
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in ("-Y", "--runtime-dir"):
            skip = True
            continue
        if arg.startswith("--runtime-dir="):
            continue
        out.append(arg)
    return out


# -- what the managed kamproxy serves ------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One RPC address of the managed kamproxy, with what a client needs to use it."""

    address: Address
    reply_dir: str = "/tmp/"
    token: str | None = None
    username: str | None = None
    password: str | None = None

    def __str__(self) -> str:
        return str(self.address)


def proxy_config(args: list[str]) -> ProxyConfig | None:
    """kamproxy's effective configuration for ``args``, read with its own parser.

    None when the arguments or the file cannot be used (``kamproxy -c`` says why).
    """
    import io

    from proxy.config import ConfigError

    try:
        from proxy.main import build_parser, configure

        with contextlib.redirect_stderr(io.StringIO()):
            namespace = build_parser().parse_args(args)
        return configure(namespace)
    except (ConfigError, SystemExit, OSError, ValueError):
        return None


def endpoints(managed: Managed) -> list[Endpoint]:
    """The RPC addresses kamproxy serves with the managed arguments (datagram, FIFO, HTTP).

    Uses the arguments of the last ``kamctl start`` when none were given now.
    """
    args = managed.args
    doc = managed.record()
    if doc and isinstance(doc.get("args"), list) and args == ["-Y", str(managed.runtime_dir)]:
        args = [str(a) for a in doc["args"]]
    config = proxy_config(args)
    if config is None:
        from proxy.config import ProxyConfig

        config = ProxyConfig()
    rpc = config.rpc
    base = managed.runtime_dir

    def path(name: str) -> str:
        return name if name.startswith("/") else str(base / name)

    found: list[Endpoint] = []
    if rpc.dgram:
        found.append(Endpoint(Address("unix", path(rpc.dgram_socket))))
    if rpc.fifo:
        found.append(Endpoint(Address("fifo", path(rpc.fifo_name)), reply_dir=rpc.fifo_reply_dir))
    if rpc.http is not None:
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(rpc.http.host, rpc.http.host)
        host = f"[{host}]" if ":" in host else host
        user, password = next(iter(rpc.http_users.items()), (None, None))
        found.append(
            Endpoint(
                Address("http", f"http://{host}:{rpc.http.port}/RPC"),
                token=rpc.http_token or None,
                username=user,
                password=password,
            )
        )
    return found


@dataclass
class Probe:
    endpoint: Endpoint
    result: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict[str, Any]:
        return {"address": str(self.endpoint), "ok": self.ok, "error": self.error}


def probe(endpoint: Endpoint, method: str = "core.uptime", timeout: float = 1.0) -> Probe:
    """Call ``method`` at ``endpoint``: its result, or the error text."""
    from rpc.client import ClientOptions, connect
    from rpc.errors import RpcError

    options = ClientOptions(
        timeout=timeout,
        connect_timeout=timeout,
        reply_dir=endpoint.reply_dir,
        token=endpoint.token,
        username=endpoint.username,
        password=endpoint.password,
    )
    try:
        with connect(endpoint.address, options) as client:
            return Probe(endpoint, client.call(method))
    except RpcError as exc:
        return Probe(endpoint, error=str(exc))
    except (OSError, ValueError) as exc:
        return Probe(endpoint, error=str(exc))


def process_gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie waiting for its parent counts as ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # exists, another user's
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # the state follows the command name in parentheses
    return stat.rpartition(")")[2].split()[:1] == ["Z"]
