"""Test helpers for kamcmd: a recording JSON-RPC datagram server and a runner.

The recording server is a plain UNIX datagram socket in a thread: it keeps every
request exactly as it arrived (bytes, decoded document, sender address) and answers
from a table, so tests see what kamcmd really puts on the wire.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
#: The console script's own code, so tests run the same import path.
ENTRY = "import sys; from kamctl.kamcmd import main; sys.exit(main())"
KAMCTL_ENTRY = "import sys; from kamctl.cli import main; sys.exit(main())"


class Fault(Exception):
    """Raise (or put in the table) to answer with a JSON-RPC error."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Request:
    raw: bytes
    doc: Any
    sender: Any

    @property
    def method(self) -> str:
        return str(self.doc.get("method"))

    @property
    def params(self) -> Any:
        return self.doc.get("params")


Handler = Callable[[Any], Any]


class RecordingServer:
    """Answers JSON-RPC datagrams at ``path`` from ``table`` (method -> value/callable/Fault).

    A method missing from the table echoes its params as the result.
    """

    def __init__(self, path: Path, table: dict[str, Any] | None = None) -> None:
        self.path = path
        self.table: dict[str, Any] = dict(table or {})
        #: method -> bytes sent back verbatim (not wrapped in a JSON-RPC reply)
        self.raw_replies: dict[str, bytes] = {}
        self.requests: list[Request] = []
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(path))
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return f"unix:{self.path}"

    def start(self) -> RecordingServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()
        if self.path.exists():
            os.unlink(self.path)

    def _answer(self, doc: Any) -> dict[str, Any]:
        method = doc.get("method")
        params = doc.get("params")
        entry = self.table.get(method, _echo)
        try:
            if isinstance(entry, Fault):
                raise entry
            result = entry(params) if callable(entry) else entry
        except Fault as fault:
            error = {"code": fault.code, "message": fault.message}
            return {"jsonrpc": "2.0", "error": error, "id": doc.get("id")}
        return {"jsonrpc": "2.0", "result": result, "id": doc.get("id")}

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, sender = self._sock.recvfrom(1 << 20)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                doc = json.loads(data)
            except ValueError:
                doc = None
            self.requests.append(Request(data, doc, sender))
            if not isinstance(doc, dict) or not sender:
                continue
            reply = self.raw_replies.get(str(doc.get("method")))
            if reply is None:
                reply = json.dumps(self._answer(doc), ensure_ascii=False).encode()
            with contextlib.suppress(OSError):
                self._sock.sendto(reply, sender)


def _echo(params: Any) -> Any:
    return params


def env_for(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A child environment: our tree first on the path, a private HOME and caches."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KAMCTL_", "_KAMCMD", "_KAMCTL", "XDG_", "COMP_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        HOME=str(home),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_RUNTIME_DIR=str(home / "run"),
        LC_ALL="C.UTF-8",
    )
    env.update(extra or {})
    return env


def run_kamcmd(
    args: list[str],
    home: Path,
    *,
    stdin: str | bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 30.0,
    entry: str = ENTRY,
    merge: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run kamcmd (as its console script does) and capture its output as text.

    ``merge``: stderr goes into stdout (to check the order of results and errors).
    """
    data = stdin.encode() if isinstance(stdin, str) else stdin
    done = subprocess.run(
        [sys.executable, "-c", entry, *args],
        input=data if data is not None else b"",
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge else subprocess.PIPE,
        env=env_for(home, env),
        cwd=str(home),
        timeout=timeout,
    )
    return subprocess.CompletedProcess(
        done.args,
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        (done.stderr or b"").decode("utf-8", "replace"),
    )


def run_kamctl(args: list[str], home: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return run_kamcmd(args, home, entry=KAMCTL_ENTRY, **kwargs)
