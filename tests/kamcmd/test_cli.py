"""kamcmd's command line: options, aliases, exit codes and error lines."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from kamctl.kamcmd import NeedClick, Options, main, parse_fast
from kamctl.kamcmd_cli import parse as click_parse
from tests.kamcmd.conftest import METHODS, PSX
from tests.kamcmd.support import RecordingServer, run_kamcmd
from tests.support.proxy import free_port

# -- the two parsers agree ----------------------------------------------------------------

ACCEPTED = [
    [],
    ["core.version"],
    ["-s", "unix:/x", "core.version"],
    ["-sunix:/x", "core.echo", "-5", "-s", "y"],
    ["--server", "fifo:/f", "--reply-dir", "/r/", "ver"],
    ["--server=http://h:1/RPC", "--timeout", "2.5", "-F", "json", "ls"],
    ["-Fjson", "--timeout=1", "x"],
    ["--output", "table", "-f", "%v\\n", "ps"],
    ["--format=%v", "--", "-5"],
    ["-s", "unix:/a", "-s", "unix:/b", "m"],
    ["--ca", "/ca.pem", "--insecure", "m"],
    ["--", "--help"],
    ["m", "--help", "-h", "-V", "--timeout", "x"],
]
REFUSED = [  # each goes to click (help, version, an error to explain)
    ["-h"],
    ["--help"],
    ["-V"],
    ["--version"],
    ["-x", "m"],
    ["-5"],
    ["-F", "xml", "m"],
    ["--timeout", "abc", "m"],
    ["--timeout", "0", "m"],
    ["--timeout", "-1", "m"],
    ["--timeout", "nan", "m"],
    ["--timeout", "inf", "m"],
    ["-s"],
    ["--server"],
    ["--serv", "x", "m"],
]


@pytest.mark.parametrize("argv", ACCEPTED, ids=repr)
def test_fast_parser_agrees_with_click(argv: list[str]) -> None:
    assert parse_fast(argv).as_tuple() == click_parse(argv).as_tuple()


@pytest.mark.parametrize("argv", REFUSED, ids=repr)
def test_fast_parser_leaves_the_rest_to_click(argv: list[str]) -> None:
    with pytest.raises(NeedClick):
        parse_fast(argv)


def test_options_before_method_only() -> None:
    opts = parse_fast(["-s", "unix:/x", "core.echo", "-s", "-5", "--", "--timeout"])
    assert (opts.server, opts.method) == ("unix:/x", "core.echo")
    assert opts.args == ["-s", "-5", "--", "--timeout"]
    assert Options().output == "text"


# -- usage errors, help, version: exit 2 / 0 --------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-x", "core.version"], "No such option '-x'"),
        (["-5"], "No such option '-5'"),
        (["-F", "xml", "core.version"], "Invalid value for '-F'"),
        (["--timeout", "abc", "m"], "Invalid value for '--timeout'"),
        (["--timeout", "0", "m"], "not a positive number of seconds"),
        (["--timeout", "nan", "m"], "not a positive number of seconds"),
        (["-s"], "requires an argument"),
    ],
)
def test_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(("Usage: kamcmd", "Error: "))
    assert message in err


def test_ca_and_insecure_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--ca", "/x", "--insecure", "-s", "https://127.0.0.1:1/RPC", "m"]) == 2
    assert capsys.readouterr().err == "kamcmd: --ca and --insecure exclude each other\n"


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: kamcmd [OPTIONS] [METHOD] [ARGS]...")
    for text in ("-s, --server ADDRESS", "s:TEXT", "i:N", "Exit codes: 0 ok, 1 remote fault"):
        assert text in out
    assert main(["-h"]) == 0
    assert capsys.readouterr().out == out
    assert main(["-V"]) == 0
    assert capsys.readouterr().out.startswith("kamcmd ")


# -- results, faults, aliases ---------------------------------------------------------------


def test_one_call(recorder: RecordingServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-s", recorder.address, "core.version"]) == 0
    assert capsys.readouterr() == ("kamproxy-test 1.0 \n", "")


def test_empty_result_prints_nothing(
    recorder: RecordingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-s", recorder.address, "test.nothing"]) == 0
    assert main(["-s", recorder.address, "test.null"]) == 0
    assert capsys.readouterr() == ("", "")


def test_remote_fault_exit_1(recorder: RecordingServer, capsys: pytest.CaptureFixture[str]) -> None:
    for style in ("text", "json", "table"):
        assert main(["-s", recorder.address, "-F", style, "test.fault"]) == 1
        assert capsys.readouterr() == ("", "error: 500 - AOR not found in location table\n")


@pytest.mark.parametrize(
    ("alias", "method"),
    [
        ("psx", "core.psx"),
        ("ls", "system.listMethods"),
        ("list", "system.listMethods"),
        ("ver", "core.version"),
        ("version", "core.version"),
        ("ps", "core.ps"),
    ],
)
def test_aliases(alias: str, method: str, recorder: RecordingServer) -> None:
    assert main(["-s", recorder.address, alias]) == 0
    assert recorder.requests[-1].method == method


def test_alias_output(recorder: RecordingServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-s", recorder.address, "ls"]) == 0
    assert capsys.readouterr().out == "".join(m + "\n" for m in METHODS)
    assert main(["-s", recorder.address, "-F", "json", "psx"]) == 0
    assert json.loads(capsys.readouterr().out) == PSX


def test_help(recorder: RecordingServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-s", recorder.address, "help", "core.uptime"]) == 0
    assert capsys.readouterr().out == "help for core.uptime\n"
    assert recorder.requests[-1].params == ["core.uptime"]
    assert main(["-s", recorder.address, "help", "psx"]) == 0
    assert recorder.requests[-1].params == ["core.psx"]
    assert main(["-s", recorder.address, "help"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[: len(METHODS) + 1] == ["help for core.psx", *METHODS]
    assert lines[-2].startswith("aliases: ps (core.ps), psx (core.psx), ls (system.listMethods)")
    assert lines[-1].startswith("builtins: help [METHOD]")


def test_address_from_environment(recorder: RecordingServer, home: Path) -> None:
    done = run_kamcmd(["ver"], home, env={"KAMCTL_RPC": recorder.address})
    assert (done.returncode, done.stdout) == (0, "kamproxy-test 1.0 \n")


# -- the server cannot be reached: exit 3, one line ----------------------------------------


def _one_line_exit_3(argv: list[str], home: Path, *, env: dict[str, str] | None = None) -> str:
    done = run_kamcmd(argv, home, env=env, timeout=20)
    assert done.returncode == 3, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("kamcmd: ")
    assert done.stderr.count("\n") == 1 and done.stderr.endswith("\n")
    return done.stderr


def test_unreachable_unix_missing(short_dir: Path, home: Path) -> None:
    err = _one_line_exit_3(["-s", f"unix:{short_dir}/nope.sock", "core.version"], home)
    assert f"unix:{short_dir}/nope.sock (-s flag)" in err
    assert "does not exist" in err


def test_unreachable_unix_stale_socket(short_dir: Path, home: Path) -> None:
    path = short_dir / "stale.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.close()  # the file stays, nobody reads
    err = _one_line_exit_3(["-s", f"unix:{path}", "core.version"], home)
    assert f"unix:{path}" in err


def test_binrpc_stream_socket_is_named(short_dir: Path, home: Path) -> None:
    """kamcmd's habit: -s unix:.../kamailio_ctl (a binrpc stream socket)."""
    path = short_dir / "kamailio_ctl"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)
    try:
        err = _one_line_exit_3(["-s", f"unix:{path}", "core.version"], home)
    finally:
        listener.close()
    assert "not a datagram socket" in err


def test_unreachable_fifo_missing(short_dir: Path, home: Path) -> None:
    err = _one_line_exit_3(["-s", f"fifo:{short_dir}/nope.fifo", "core.version"], home)
    assert f"fifo:{short_dir}/nope.fifo (-s flag)" in err


def test_unreachable_fifo_without_reader(short_dir: Path, home: Path) -> None:
    path = short_dir / "rpc.fifo"
    os.mkfifo(path)
    argv = ["-s", f"fifo:{path}", "--reply-dir", str(short_dir), "core.version"]
    err = _one_line_exit_3(argv, home)
    assert f"fifo:{path}" in err


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_unreachable_http(scheme: str, home: Path) -> None:
    url = f"{scheme}://127.0.0.1:{free_port()}/RPC"
    err = _one_line_exit_3(["-s", url, "core.version"], home)
    assert url in err


def test_unreachable_names_the_environment(short_dir: Path, home: Path) -> None:
    address = f"unix:{short_dir}/nope.sock"
    err = _one_line_exit_3(["core.version"], home, env={"KAMCTL_RPC": address})
    assert f"{address} (environment KAMCTL_RPC)" in err


def test_timeout_exit_3(short_dir: Path, home: Path) -> None:
    path = short_dir / "silent.sock"
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    silent.bind(str(path))  # takes requests, never answers
    try:
        err = _one_line_exit_3(["-s", f"unix:{path}", "--timeout", "0.3", "ver"], home)
    finally:
        silent.close()
    assert "0.3" in err


def test_not_json_rpc_exit_3(recorder: RecordingServer, home: Path) -> None:
    recorder.raw_replies["core.version"] = b'{"not": "jsonrpc"}'
    err = _one_line_exit_3(["-s", recorder.address, "core.version"], home)
    assert "jsonrpc" in err


@pytest.mark.parametrize(
    "address",
    [
        "unixs:/run/kamailio/kamailio_ctl",
        "tcp:127.0.0.1:2049",
        "udp:127.0.0.1:2049",
        "unixd:/tmp/ctl",
    ],
)
def test_binrpc_addresses_exit_2(address: str, home: Path) -> None:
    done = run_kamcmd(["-s", address, "core.version"], home)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "binrpc" in done.stderr and "jsonrpcs" in done.stderr


def test_bad_address_exit_2(home: Path) -> None:
    done = run_kamcmd(["-s", "gopher://x", "core.version"], home)
    assert done.returncode == 2
    assert "unknown RPC address scheme" in done.stderr


def test_address_from_kamctl_config(recorder: RecordingServer, home: Path) -> None:
    config = home / ".config" / "kamctl" / "kamctl.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'rpc = "{recorder.address}"\n')
    done = run_kamcmd(["ver"], home)
    assert (done.returncode, done.stdout) == (0, "kamproxy-test 1.0 \n"), done.stderr
    # -s and KAMCTL_RPC still come first
    done = run_kamcmd(["ver"], home, env={"KAMCTL_RPC": "unix:/nonexistent/x.sock"})
    assert done.returncode == 3
    assert "(environment KAMCTL_RPC)" in done.stderr
    recorder.stop()
    done = run_kamcmd(["ver"], home)
    assert done.returncode == 3
    assert str(config) in done.stderr  # the line names where the address came from


def test_broken_kamctl_config_is_a_usage_error(home: Path) -> None:
    config = home / ".config" / "kamctl" / "kamctl.toml"
    config.parent.mkdir(parents=True)
    config.write_text('rpc = "tcp:127.0.0.1:2049"\n')
    done = run_kamcmd(["ver"], home)
    assert done.returncode == 2
    assert "binrpc" in done.stderr
