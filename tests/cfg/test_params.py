"""Live values, snapshots, watchers, reset and staging (proxy.cfg.params, .staging)."""

from __future__ import annotations

import pytest

from proxy.cfg.catalog import all_groups, new_params
from proxy.cfg.model import BadValue, Group, Int, ReadOnly, UnknownGroup, UnknownVar
from proxy.cfg.params import Params, changed_values
from proxy.cfg.staging import Staging


def test_defaults_are_live_after_declaration() -> None:
    params = new_params()
    assert [g.name for g in params.groups()][:2] == ["core", "tcp"]  # modules add theirs
    assert params.get("core", "debug") == 0
    assert params.get_int("tcp", "connect_timeout") == 10
    assert params.get_str("core", "log_facility") == "LOG_DAEMON"


def test_set_applies_at_once_and_snapshots_keep_their_values() -> None:
    params = new_params()
    before = params.snapshot()
    assert params.set("tcp", "connect_timeout", "3") == 3
    assert params.get_int("tcp", "connect_timeout") == 3
    assert before.get_int("tcp", "connect_timeout") == 10  # work in progress undisturbed
    assert params.snapshot().get("tcp", "connect_timeout") == 3


@pytest.mark.parametrize(
    ("group", "var", "value", "error", "text"),
    [
        ("nosuch", "x", 1, UnknownGroup, "unknown group 'nosuch' (groups: core, tcp"),
        ("core", "nosuchvar", 1, UnknownVar, "unknown variable core.nosuchvar"),
        ("core", "debug", "notanint", BadValue, "core.debug must be an integer, got string"),
        ("core", "debug", 4, BadValue, "core.debug must be between -5 and 3, got 4"),
        ("tcp", "rd_buf_size", 100, BadValue, "between 512 and 16777216, got 100"),
        ("tcp", "async", 0, ReadOnly, "tcp.async is read-only at run time"),
        ("core[1]", "debug", 1, UnknownGroup, "group instances (core[1]) are not supported"),
    ],
)
def test_errors_leave_every_value_unchanged(
    group: str, var: str, value: object, error: type[Exception], text: str
) -> None:
    params = new_params()
    params.set("core", "debug", 2)
    state = {g.name: params.values(g.name) for g in params.groups()}
    with pytest.raises(error) as info:
        params.set(group, var, value)
    assert text in str(info.value)
    assert {g.name: params.values(g.name) for g in params.groups()} == state


def test_load_allows_read_only_and_is_all_or_nothing() -> None:
    params = new_params()
    params.load({"tcp": {"async": 0, "connect_timeout": 4}})
    assert params.get("tcp", "async") == 0
    assert params.get("tcp", "connect_timeout") == 4
    with pytest.raises(BadValue):
        params.load({"tcp": {"connect_timeout": 7, "rd_buf_size": 1}})
    assert params.get("tcp", "connect_timeout") == 4


def test_watchers_run_after_each_change() -> None:
    params = new_params()
    seen: list[object] = []
    params.watch("core", "debug", seen.append)
    params.set("core", "debug", 3)
    params.set("core", "debug", "1")
    assert seen == [3, 1]
    with pytest.raises(UnknownVar):
        params.watch("core", "nosuch", seen.append)


def test_a_failing_watcher_does_not_undo_the_change() -> None:
    params = new_params()

    def broken(_value: object) -> None:
        raise RuntimeError("boom")

    params.watch("core", "debug", broken)
    params.set("core", "debug", 2)
    assert params.get("core", "debug") == 2


def test_reset_returns_to_startup_values() -> None:
    params = new_params()
    params.load({"core": {"debug": 2}})
    params.mark_startup()
    params.set("core", "debug", 3)
    params.set("core", "force_rport", 1)
    params.set("tcp", "connect_timeout", 2)
    assert sorted(params.reset("core")) == ["debug", "force_rport"]
    assert params.get("core", "debug") == 2  # the config file's value, not the default
    assert params.get("core", "force_rport") == 0
    assert params.get("tcp", "connect_timeout") == 2  # other groups untouched
    with pytest.raises(UnknownGroup):
        params.reset("nosuch")


def test_staged_changes_are_invisible_until_commit() -> None:
    params = new_params()
    staging = Staging(params)
    staging.stage("core", "debug", 3)
    staging.stage("tcp", "connect_timeout", 5)
    staging.stage("core", "debug", 2)  # re-staging keeps the last value
    assert params.get("core", "debug") == 0
    assert staging.diff() == [
        {"group name": "tcp", "variable name": "connect_timeout", "old value": 10, "new value": 5},
        {"group name": "core", "variable name": "debug", "old value": 0, "new value": 2},
    ]
    assert staging.commit() == 2
    assert params.get("core", "debug") == 2 and params.get("tcp", "connect_timeout") == 5
    assert staging.diff() == []


def test_rollback_drops_staged_changes() -> None:
    params = new_params()
    staging = Staging(params)
    staging.stage("core", "debug", 3)
    assert staging.rollback() == 1
    assert staging.commit() == 0
    assert params.get("core", "debug") == 0


def test_staging_checks_at_once() -> None:
    staging = Staging(new_params())
    with pytest.raises(BadValue):
        staging.stage("core", "debug", 9)
    with pytest.raises(ReadOnly):
        staging.stage("tcp", "async", 0)
    assert len(staging) == 0


def test_a_module_declares_its_own_group() -> None:
    params = Params(all_groups())
    params.declare(Group("example", "transactions", (Int("fr_timer", 30000, "x", min=1),)))
    assert params.get("example", "fr_timer") == 30000
    params.set("example", "fr_timer", 5000)
    assert params.startup_value("example", "fr_timer") == 30000
    with pytest.raises(ValueError, match="already declared"):
        params.declare(Group("example", "again", ()))


def test_changed_values_lists_differences_only() -> None:
    params = new_params()
    base = params.snapshot()
    params.set("core", "debug", 3)
    params.set("tcp", "keepalive", 1)  # same as before
    assert changed_values(params, base) == {"core": {"debug": 3}}
