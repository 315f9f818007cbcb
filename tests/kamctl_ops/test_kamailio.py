"""The RPC-only operator commands against a real Kamailio 5.6: ps, uptime, stats, srv,
version, monitor --once and doctor read its answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.kamctl_ops.support import Kamctl
from tests.support.kamailio import KamailioPeer

pytestmark = pytest.mark.kamailio


@pytest.fixture(params=["unix", "fifo"])
def at(request: pytest.FixtureRequest, kamailio_peer: KamailioPeer) -> list[str]:
    if request.param == "fifo":
        return ["-s", f"fifo:{kamailio_peer.fifo}"]
    return ["-s", f"unix:{kamailio_peer.sock}"]


def _env(peer: KamailioPeer) -> dict[str, str]:
    return {"KAMCTL_REPLY_DIR": f"{peer.reply_dir}/"}


def test_ps(kamctl: Kamctl, at: list[str], kamailio_peer: KamailioPeer) -> None:
    code, rows = kamctl.json(*at, "ps", env=_env(kamailio_peer))
    assert code == 0
    assert rows[0]["idx"] == 0 and rows[0]["pid"] == kamailio_peer.pid()
    assert "JSONRPCS FIFO" in {r["description"] for r in rows}


def test_uptime(kamctl: Kamctl, at: list[str], kamailio_peer: KamailioPeer) -> None:
    code, doc = kamctl.json(*at, "uptime", env=_env(kamailio_peer))
    assert code == 0 and isinstance(doc["uptime"], int) and doc["now"]


def test_stats(kamctl: Kamctl, at: list[str], kamailio_peer: KamailioPeer) -> None:
    env = _env(kamailio_peer)
    code, rows = kamctl.json(*at, "stats", env=env)
    assert code == 0 and {"core", "sl", "shmem"} <= {r["group"] for r in rows}
    code, shmem = kamctl.json(*at, "stats", "shmem", env=env)
    values = {r["name"]: r["value"] for r in shmem}
    assert code == 0 and values["total_size"] > 0 and set(values) >= {"free_size", "used_size"}
    text = kamctl(*at, "stats", "sl", "-F", "text", env=env).stdout
    assert "sl:sent_replies = " in text
    assert kamctl(*at, "stats", "nosuchgroup", env=env).returncode == 1


def test_srv(kamctl: Kamctl, at: list[str], kamailio_peer: KamailioPeer) -> None:
    env = _env(kamailio_peer)
    code, sockets = kamctl.json(*at, "srv", "sockets", env=env)
    assert code == 0
    assert ("udp", "127.0.0.1", kamailio_peer.sip_port) in {
        (s["proto"], s["address"], s["port"]) for s in sockets
    }
    code, aliases = kamctl.json(*at, "srv", "aliases", env=env)
    assert code == 0 and isinstance(aliases, list)
    code, methods = kamctl.json(*at, "srv", "rpclist", env=env)
    assert code == 0 and "tm.stats" in {m["method"] for m in methods}
    code, modules = kamctl.json(*at, "srv", "modules", env=env)
    assert code == 0 and {"tm", "jsonrpcs", "kex"} <= {m["module"] for m in modules}
    version = kamctl(*at, "srv", "version", env=env).stdout
    assert version.startswith("kamailio 5.6") and version == version.strip() + "\n"
    done = kamctl(*at, "version", env=env)
    assert done.returncode == 0 and "server: kamailio 5.6" in done.stdout


def test_monitor_once(kamctl: Kamctl, at: list[str], kamailio_peer: KamailioPeer) -> None:
    env = _env(kamailio_peer)
    code, snap = kamctl.json(*at, "monitor", env=env)
    assert code == 0
    assert snap["server"].startswith("kamailio 5.6")
    assert snap["transactions"]["total"] >= 0  # tm is loaded in the peer
    assert snap["memory"]["source"] == "core.shmmem" and snap["memory"]["total"] > 0
    assert snap["debug"]["level"] == 2 and snap["requests"]["received"] >= 0
    assert snap["registrations"] is None  # no usrloc in the peer: n/a, not a crash
    assert "registrations" in snap["unavailable"]
    text = kamctl(*at, "monitor", "--once", env=env)
    assert text.returncode == 0
    assert "registrations  n/a" in text.stdout
    assert re.search(r"^transactions   \d+ current", text.stdout, re.M)


def test_doctor(kamctl: Kamctl, at: list[str], kamailio_peer: KamailioPeer, tmp_path: Path) -> None:
    env = _env(kamailio_peer)
    code, report = kamctl.json(*at, "doctor", "-Y", str(tmp_path), env=env)
    status = {c["check"]: c["status"] for c in report["checks"]}
    assert status["process"] == "skip"  # answers, but it is not a kamproxy of ours
    assert status["rpc"] == "pass"
    assert status["sockets"] == "pass" and status["aliases"] == "pass"
    assert status["debug"] == "pass" and status["memory"] == "pass"
    assert status["domains"] in ("pass", "warn")
    assert code == (1 if "fail" in status.values() else 0)
