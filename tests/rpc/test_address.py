"""Address parsing and the default runtime dir (pyfakefs for the file system)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from rpc.address import (
    DEFAULT_HTTP_URL,
    Address,
    default_address,
    default_runtime_dir,
    parse_address,
)
from rpc.errors import AddressError


@pytest.mark.parametrize(
    ("text", "scheme", "target"),
    [
        ("fifo:/run/kamailio/kamailio_rpc.fifo", "fifo", "/run/kamailio/kamailio_rpc.fifo"),
        ("unix:/run/kamailio/kamailio_rpc.sock", "unix", "/run/kamailio/kamailio_rpc.sock"),
        ("FIFO:/x", "fifo", "/x"),
        ("http://127.0.0.1:5071/RPC", "http", "http://127.0.0.1:5071/RPC"),
        ("https://proxy.example.com/RPC", "https", "https://proxy.example.com/RPC"),
        ("HTTP://[::1]:5071/RPC", "http", "HTTP://[::1]:5071/RPC"),
    ],
)
def test_parse(text: str, scheme: str, target: str) -> None:
    assert parse_address(text) == Address(scheme, target)


@pytest.mark.parametrize(
    "text", ["unixs:/run/kamailio/kamailio_ctl", "tcp:127.0.0.1:2049", "unixd:/x"]
)
def test_binrpc_addresses_explain_jsonrpcs(text: str) -> None:
    with pytest.raises(AddressError) as info:
        parse_address(text)
    assert "binrpc" in str(info.value) and "jsonrpcs" in str(info.value)


@pytest.mark.parametrize("text", ["", "  ", "fifo:", "gopher://x", "http://", "http:///RPC"])
def test_bad_addresses(text: str) -> None:
    with pytest.raises(AddressError):
        parse_address(text)


def test_bare_path_is_told_apart_by_file_type(fs: FakeFilesystem) -> None:
    fs.create_file("/run/k/regular")
    fs.create_file("/run/k/kamailio_rpc.fifo", st_mode=stat.S_IFIFO | 0o660)
    assert parse_address("/run/k/kamailio_rpc.fifo") == Address("fifo", "/run/k/kamailio_rpc.fifo")
    with pytest.raises(AddressError, match="neither"):
        parse_address("/run/k/regular")
    with pytest.raises(AddressError, match="no such file"):
        parse_address("/run/k/missing")


def test_default_runtime_dir_rules() -> None:
    assert default_runtime_dir(0, {}) == Path("/run/kamailio")
    assert default_runtime_dir(1000, {"XDG_RUNTIME_DIR": "/run/user/1000"}) == Path(
        "/run/user/1000/kamailio"
    )
    assert default_runtime_dir(1000, {}) == Path("/tmp/kamailio-1000")
    assert default_runtime_dir(1000, {"XDG_RUNTIME_DIR": "relative"}) == Path("/tmp/kamailio-1000")


def test_default_address_prefers_socket_then_fifo_then_http(fs: FakeFilesystem) -> None:
    base = Path("/run/k")
    fs.create_dir(base)
    assert default_address(base) == Address("http", DEFAULT_HTTP_URL)
    fs.create_file(base / "kamailio_rpc.fifo")
    assert default_address(base) == Address("fifo", "/run/k/kamailio_rpc.fifo")
    fs.create_file(base / "kamailio_rpc.sock")
    assert default_address(base) == Address("unix", "/run/k/kamailio_rpc.sock")
