"""Real SIP clients through kamproxy: sipsak's OPTIONS to the default script, and SIPp's
built-in uac calling SIPp's uas through a stateful kamproxy (bounded, zero failures)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.core.conftest import low_sip_port
from tests.support.proxy import KamproxyProcess, free_sip_port
from tests.support.tools import require
from tests.tm.conftest import SCRIPTS

CALLS = 20


@pytest.mark.parametrize("proto", ["udp", "tcp"])
def test_sipsak_options_to_the_default_script(tmp_path: Path, proto: str) -> None:
    sipsak = require("/usr/bin/sipsak", "Debian package sipsak")
    port = low_sip_port()
    proc = KamproxyProcess(tmp_path, http=False, args=[
        "-l", f"udp:127.0.0.1:{port}", "-l", f"tcp:127.0.0.1:{port}"]).start()
    try:
        args = [sipsak, "-s", f"sip:127.0.0.1:{port}", "-vv"] + (
            ["-E", "tcp"] if proto == "tcp" else [])
        result = subprocess.run(args, capture_output=True, text=True, timeout=30)
    finally:
        proc.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SIP/2.0 200 Keepalive" in result.stdout


@pytest.mark.parametrize("transport", ["u1", "t1"])
def test_sipp_uac_to_uas_through_kamproxy(tmp_path: Path, transport: str) -> None:
    sipp = require("/usr/bin/sipp", "Debian package sip-tester")
    proxy_port = free_sip_port()
    uas_port = free_sip_port()
    uac_port = free_sip_port()
    proto = "tcp" if transport == "t1" else "udp"
    target = f"sip:127.0.0.1:{uas_port}" + (";transport=tcp" if proto == "tcp" else "")
    proc = KamproxyProcess(tmp_path / "kp", http=False, config=(
        f'[routing]\nscript = "{SCRIPTS / "to_target.py"}"\ntarget = "{target}"\n'),
        args=["-l", f"udp:127.0.0.1:{proxy_port}", "-l", f"tcp:127.0.0.1:{proxy_port}"]).start()
    common = ["-i", "127.0.0.1", "-t", transport, "-nostdin", "-m", str(CALLS),
              "-timeout", "40s", "-timeout_error", "-trace_err"]
    uas = subprocess.Popen([sipp, "-sn", "uas", "-p", str(uas_port), *common], cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        uac = subprocess.run(
            [sipp, "-sn", "uac", f"127.0.0.1:{proxy_port}", "-p", str(uac_port), "-r", "10",
             "-d", "200", "-s", "bob", *common],
            cwd=tmp_path, capture_output=True, text=True, timeout=60)
        uas_out, _ = uas.communicate(timeout=30)
    finally:
        if uas.poll() is None:
            uas.kill()
            uas.wait(5)
        proc.stop()
    errors = "".join(p.read_text(errors="replace") for p in tmp_path.glob("*_errors.log"))
    assert uac.returncode == 0, uac.stdout[-3000:] + uac.stderr + errors + proc.log()[-3000:]
    assert uas.returncode == 0, uas_out[-3000:] + errors
