"""Kamailio's own kamctl (CTLENGINE=RPCFIFO) drives kamproxy through our FIFO."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.proxy import KamproxyProcess
from tests.support.tools import require

pytestmark = pytest.mark.kamailio

KAMCTL = "/usr/sbin/kamctl"


@pytest.fixture
def proxy_for_kamctl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KamproxyProcess]:
    base = tmp_path_factory.mktemp("kc")
    proc = KamproxyProcess(base)
    # kamctl makes its reply FIFO in $CHROOT_DIR/tmp/: point our reply dir there.
    (base / "tmp").mkdir()
    proc.config_path.write_text(f'[rpc]\nfifo_reply_dir = "{base}/tmp/"\n')
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def run_kamctl(proc: KamproxyProcess, *args: str) -> subprocess.CompletedProcess[str]:
    require(KAMCTL, "Debian package kamailio")
    env = dict(
        os.environ,
        CTLENGINE="RPCFIFO",
        RPCFIFOPATH=str(proc.fifo),
        CHROOT_DIR=str(proc.base),
        NOHLPRINT="1",
    )
    return subprocess.run(
        [KAMCTL, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=str(proc.base),
    )


def reply_of(stdout: str) -> dict[str, object]:
    """kamctl prints the reply with TABs expanded; it is still JSON."""
    doc = json.loads(stdout)
    assert isinstance(doc, dict)
    return doc


def test_kamctl_uptime(proxy_for_kamctl: KamproxyProcess) -> None:
    done = run_kamctl(proxy_for_kamctl, "uptime")
    assert done.returncode == 0, done.stderr
    result = reply_of(done.stdout)["result"]
    assert isinstance(result, dict) and set(result) == {"now", "up_since", "uptime"}
    assert not list(Path(proxy_for_kamctl.base, "tmp").iterdir())  # kamctl removed its FIFO


def test_kamctl_ps(proxy_for_kamctl: KamproxyProcess) -> None:
    done = run_kamctl(proxy_for_kamctl, "ps")
    assert done.returncode == 0, done.stderr
    result = reply_of(done.stdout)["result"]
    assert isinstance(result, list)
    assert result[0]["DSC"] == "main process - attendant"
    assert {"IDX", "PID", "DSC"} <= set(result[0])
    assert "JSONRPCS FIFO" in {row["DSC"] for row in result}


def test_kamctl_rpc_passes_params(proxy_for_kamctl: KamproxyProcess) -> None:
    done = run_kamctl(proxy_for_kamctl, "rpc", "core.echo", "hello", "s:42")
    assert done.returncode == 0, done.stderr
    assert reply_of(done.stdout)["result"] == ["hello", "42"]
