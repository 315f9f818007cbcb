"""Destination states: table flags, Kamailio's state words and letters, probe results."""

from __future__ import annotations

import pytest

from proxy.modules.dispatcher.state import (
    ACTIVE,
    DISABLED,
    INACTIVE,
    TRYING,
    DestState,
    StateError,
    parse_state,
)


@pytest.mark.parametrize(
    ("flags", "letters"),
    # what Kamailio 5.6 shows for these flags (checked against a real one)
    [(0, "AX"), (1, "IX"), (2, "TX"), (4, "DX"), (8, "AP"), (9, "IP"), (12, "DX"), (16, "AX")],
)
def test_table_flags_to_letters(flags: int, letters: str) -> None:
    assert DestState.from_flags(flags).letters() == letters


def test_probe_all_shows_p_except_on_disabled() -> None:
    assert DestState.from_flags(0).letters(probe_all=True) == "AP"
    assert DestState.from_flags(4).letters(probe_all=True) == "DX"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("a", (ACTIVE, False)),
        ("A", (ACTIVE, False)),
        ("1", (ACTIVE, False)),
        ("ip", (INACTIVE, True)),
        ("0P", (INACTIVE, True)),
        ("t", (TRYING, False)),
        ("3p", (TRYING, True)),
        ("d", (DISABLED, False)),
        ("2", (DISABLED, False)),
    ],
)
def test_state_words(word: str, expected: tuple[str, bool]) -> None:
    assert parse_state(word) == expected


@pytest.mark.parametrize("word", ["x", "5", "ax", "apx", "p"])
def test_unknown_state_words(word: str) -> None:
    with pytest.raises(StateError) as info:
        parse_state(word)
    assert not info.value.empty and "unknown state" in str(info.value)


def test_empty_state_word() -> None:
    with pytest.raises(StateError) as info:
        parse_state("")
    assert info.value.empty


def test_disabled_drops_probing() -> None:
    state = DestState()
    state.set(DISABLED, True)
    assert state.letters() == "DX"  # as Kamailio answers set_state Dp


def test_failures_go_through_trying_to_inactive_at_the_threshold() -> None:
    state = DestState()
    seen = []
    for _ in range(3):
        state.probe_failed(threshold=3)
        seen.append(state.letters())
    assert seen == ["TP", "TP", "IP"]
    state.probe_failed(threshold=3)
    assert state.letters() == "IP"


def test_answers_bring_an_inactive_destination_back_at_the_threshold() -> None:
    state = DestState(INACTIVE, probing=True)
    state.probe_answered(threshold=2)
    assert state.state == INACTIVE
    state.probe_failed(threshold=1)  # a failure in between starts the count again
    state.probe_answered(threshold=2)
    assert state.state == INACTIVE
    state.probe_answered(threshold=2)
    assert state.letters() == "AP"  # probing stays on after recovery


def test_trying_recovers_on_one_answer() -> None:
    state = DestState()
    state.probe_failed(threshold=5)
    assert state.state == TRYING
    state.probe_answered(threshold=5)
    assert state.state == ACTIVE and state.failures == 0


def test_disabled_ignores_probe_results() -> None:
    state = DestState(DISABLED)
    state.probe_failed(1)
    state.probe_answered(1)
    assert state.letters() == "DX"


def test_usable_states() -> None:
    assert [DestState(s).usable for s in (ACTIVE, TRYING, INACTIVE, DISABLED)] == [
        True,
        True,
        False,
        False,
    ]
