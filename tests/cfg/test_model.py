"""Declarations and value checks of single parameters (proxy.cfg.model)."""

from __future__ import annotations

import pytest

from proxy.cfg.core_params import GROUP as CORE
from proxy.cfg.model import (
    BadValue,
    Flag,
    Group,
    Int,
    Str,
    UnknownVar,
    Var,
    describe,
    parse_int,
)
from proxy.cfg.tcp_params import GROUP as TCP


def test_int_accepts_integers_and_decimal_text() -> None:
    var = Int("n", 5, "a number", min=-5, max=10)
    assert var.convert(3, "g.n") == 3
    assert var.convert("-4", "g.n") == -4
    assert var.convert(" 7 ", "g.n") == 7
    assert var.convert(2.0, "g.n") == 2


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("notanint", "got string 'notanint'"),
        ("", "got string ''"),
        ("3.5", "got string '3.5'"),
        (2.5, "got number 2.5"),
        (None, "got null"),
        ([1], "got array"),
        ({"a": 1}, "got object"),
        (True, "got boolean true"),
    ],
)
def test_int_refuses_what_is_not_an_integer(value: object, said: str) -> None:
    var = Int("n", 5, "a number")
    with pytest.raises(BadValue) as info:
        var.convert(value, "core.n")
    assert str(info.value) == f"core.n must be an integer, {said}"


def test_range_is_checked_and_named() -> None:
    var = Int("n", 0, "x", min=-5, max=3)
    with pytest.raises(BadValue, match=r"^g.n must be between -5 and 3, got 4$"):
        var.convert(4, "g.n")
    with pytest.raises(BadValue, match="must be at least 1, got 0"):
        Int("m", 1, "x", min=1).convert(0, "g.m")
    with pytest.raises(BadValue, match="must be at most 9, got 10"):
        Int("m", 1, "x", max=9).convert(10, "g.m")


def test_flag_takes_true_and_false() -> None:
    flag = Flag("f", 0, "switch")
    assert flag.convert(True, "g.f") == 1
    assert flag.convert(False, "g.f") == 0
    with pytest.raises(BadValue):
        flag.convert(2, "g.f")


def test_string_var_takes_numbers_as_text_and_checks_choices() -> None:
    var = Str("s", "a", "text")
    assert var.convert(12, "g.s") == "12"
    with pytest.raises(BadValue, match="must be a string, got null"):
        var.convert(None, "g.s")
    facility = CORE.var("log_facility")
    assert facility.convert("local0", "core.log_facility") == "LOG_LOCAL0"
    assert facility.convert("LOG_local1", "core.log_facility") == "LOG_LOCAL1"
    with pytest.raises(BadValue, match="must be one of LOG_AUTH, .*got 'nonsense'"):
        facility.convert("nonsense", "core.log_facility")


def test_bad_declarations_are_refused() -> None:
    with pytest.raises(BadValue):
        Int("n", 50, "default out of range", max=10)
    with pytest.raises(ValueError, match="bad runtime parameter name"):
        Int("has space", 1, "x")
    with pytest.raises(ValueError, match="duplicate"):
        Group("g", "x", (Int("a", 1, "x"), Int("a", 2, "y")))
    with pytest.raises(ValueError, match="min/max are for integer"):
        Var("s", "str", "x", "y", min=1)
    with pytest.raises(ValueError, match="choices/normalize are for string"):
        Var("n", "int", 1, "y", choices=("1",))


def test_unknown_var_suggests_a_close_name() -> None:
    with pytest.raises(
        UnknownVar, match=r"unknown variable core.debg \(did you mean core.debug\?\)"
    ):
        CORE.var("debg")
    with pytest.raises(UnknownVar, match=r"see cfg.list core"):
        CORE.var("zzz")


def test_kamailio_defaults_and_ranges() -> None:
    assert CORE.var("debug").default == 0
    assert CORE.var("log_facility").default == "LOG_DAEMON"
    assert CORE.var("dns_try_ipv6").default == 1
    assert CORE.var("force_rport").default == 0
    assert CORE.var("max_while_loops").default == 100
    assert TCP.var("connect_timeout").default == 10
    assert TCP.var("send_timeout").default == 10
    assert TCP.var("connection_lifetime").default == 120
    assert TCP.var("max_connections").default == 2048
    assert TCP.var("keepalive").default == 1
    rd = TCP.var("rd_buf_size")
    assert (rd.default, rd.min, rd.max) == (16384, 512, 16777216)
    assert TCP.var("async").read_only and TCP.var("async").default == 1
    assert not TCP.var("connect_timeout").read_only


def test_helpers() -> None:
    assert parse_int("12") == 12 and parse_int("1x") is None and parse_int(True) is None
    assert describe("x" * 50).endswith("...'")
