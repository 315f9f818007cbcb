"""Dispatcher algorithms with fixed inputs: the chosen destination and the failover list."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from typing import Any

import pytest

from proxy.modules.dispatcher.destinations import DestSet, build
from proxy.modules.dispatcher.select import (
    Cursor,
    MessageKeys,
    UnsupportedAlgorithm,
    hash_index,
    select,
    uri_key,
)
from proxy.modules.dispatcher.state import DISABLED, INACTIVE, TRYING


def make_set(*specs: tuple[str, int, str], flags: int = 0) -> DestSet:
    """A set of destinations from (uri, priority, attrs)."""
    rows: list[dict[str, Any]] = [
        {
            "id": i + 1,
            "setid": 1,
            "destination": uri,
            "flags": flags,
            "priority": prio,
            "attrs": attrs,
            "description": "",
        }
        for i, (uri, prio, attrs) in enumerate(specs)
    ]
    dest_set = build(rows).get(1)
    assert dest_set is not None
    return dest_set


A, B, C, D = (f"sip:10.0.0.{n}" for n in range(1, 5))
FOUR = make_set((A, 0, ""), (B, 0, ""), (C, 0, ""), (D, 0, ""))


def uris(dests: list[Any]) -> list[str]:
    return [d.uri for d in dests]


def pick(
    dest_set: DestSet, algorithm: int, keys: MessageKeys | None = None, **kw: Any
) -> list[str]:
    return uris(
        select(dest_set, algorithm, keys or MessageKeys(), kw.pop("cursor", Cursor()), **kw)
    )


def test_set_order_is_priority_then_row() -> None:
    dest_set = make_set((A, 0, ""), (B, 10, ""), (C, 5, ""), (D, 10, ""))
    assert uris(list(dest_set.destinations)) == [B, D, C, A]
    assert pick(dest_set, 8) == [B, D, C, A]


def test_priority_order_skips_inactive_and_disabled_but_not_trying() -> None:
    dest_set = make_set((A, 3, ""), (B, 2, ""), (C, 1, ""), (D, 0, ""))
    dest_set.destinations[0].live.set(INACTIVE, True)
    dest_set.destinations[1].live.set(TRYING, True)
    dest_set.destinations[2].live.set(DISABLED, False)
    assert pick(dest_set, 8) == [B, D]


def test_nothing_usable_gives_an_empty_list() -> None:
    dest_set = make_set((A, 0, ""), (B, 0, ""), flags=1)
    for algorithm in (0, 4, 8, 9):
        assert pick(dest_set, algorithm) == []


def test_call_id_hash_is_stable_and_the_rest_follow_in_order() -> None:
    keys = MessageKeys(call_id="a84b4c76e66710@pc33.example.com")
    start = hash_index(keys.call_id, 4)
    expected = [A, B, C, D][start:] + [A, B, C, D][:start]
    assert pick(FOUR, 0, keys) == expected
    assert pick(FOUR, 0, keys) == expected  # same call, same destination


def test_call_id_hash_spreads_over_every_destination() -> None:
    firsts = Counter(pick(FOUR, 0, MessageKeys(call_id=f"call-{n}@host"))[0] for n in range(400))
    assert set(firsts) == {A, B, C, D}
    assert min(firsts.values()) > 50


def test_hash_moves_to_the_next_usable_when_its_choice_is_down() -> None:
    dest_set = make_set((A, 0, ""), (B, 0, ""), (C, 0, ""), (D, 0, ""))
    keys = MessageKeys(call_id="x")
    first = pick(dest_set, 0, keys)
    down = next(d for d in dest_set.destinations if d.uri == first[0])
    down.live.set(INACTIVE, True)
    assert pick(dest_set, 0, keys) == first[1:]


@pytest.mark.parametrize(
    ("algorithm", "same"),
    [
        (
            1,
            [
                MessageKeys(from_uri="sip:alice@Example.com"),
                MessageKeys(from_uri="<sip:alice@example.com:5070;transport=tcp>"),
            ],
        ),
        (2, [MessageKeys(to_uri="sip:bob@b.org"), MessageKeys(to_uri="sips:bob@B.ORG")]),
        (3, [MessageKeys(ruri_user="1001"), MessageKeys(ruri_user="1001", call_id="other")]),
        (5, [MessageKeys(auth_user="carol"), MessageKeys(auth_user="carol", from_uri="sip:x@y")]),
        (7, [MessageKeys(value="v1"), MessageKeys(value="v1", to_uri="sip:z@y")]),
    ],
)
def test_other_hashes_read_their_key(algorithm: int, same: list[MessageKeys]) -> None:
    results = [pick(FOUR, algorithm, keys) for keys in same]
    assert results[0] == results[1]


def test_uri_key_is_user_at_lower_case_host() -> None:
    assert uri_key("<sip:alice@Example.COM:5060;tag=x>") == "alice@example.com"
    assert uri_key("sip:example.com") == "example.com"
    assert uri_key("not a uri") == "not a uri"


def test_round_robin_cycles_over_the_usable_ones() -> None:
    dest_set = make_set((A, 0, ""), (B, 0, ""), (C, 0, ""))
    cursor = Cursor()
    firsts = [pick(dest_set, 4, cursor=cursor)[0] for _ in range(6)]
    assert firsts == [A, B, C, A, B, C]
    assert pick(dest_set, 4, cursor=cursor) == [A, B, C]  # the rest in set order
    dest_set.destinations[1].live.set(INACTIVE, True)
    firsts = [pick(dest_set, 4, cursor=cursor)[0] for _ in range(4)]
    assert sorted(Counter(firsts).values()) == [2, 2] and B not in firsts


def test_weights_give_exact_shares_without_bursts() -> None:
    dest_set = make_set((A, 0, "weight=50"), (B, 0, "weight=30"), (C, 0, "weight=20"))
    cursor = Cursor()
    firsts = [pick(dest_set, 9, cursor=cursor)[0] for _ in range(100)]
    assert Counter(firsts) == {A: 50, B: 30, C: 20}
    assert max(len(list(run)) for _, run in itertools.groupby(firsts)) <= 2  # no bursts
    assert pick(dest_set, 9, cursor=cursor)[1:] in ([B, C], [A, C], [A, B])


def test_without_weights_all_share_equally_and_weight_0_is_failover_only() -> None:
    plain = make_set((A, 0, ""), (B, 0, ""))
    cursor = Cursor()
    assert Counter(pick(plain, 9, cursor=cursor)[0] for _ in range(10)) == {A: 5, B: 5}
    mixed = make_set((A, 0, "weight=10"), (B, 0, "weight=0"))
    cursor = Cursor()
    assert {pick(mixed, 9, cursor=cursor)[0] for _ in range(10)} == {A}
    assert pick(mixed, 9, cursor=cursor) == [A, B]
    mixed.destinations[0].live.set(INACTIVE, True)
    assert pick(mixed, 9, cursor=cursor) == [B]


def test_random_with_a_seeded_generator() -> None:
    dest_set = make_set((A, 0, ""), (B, 0, ""), (C, 0, ""))
    rng = random.Random(7)
    chosen = [pick(dest_set, 6, rng=rng) for _ in range(30)]
    assert {c[0] for c in chosen} == {A, B, C}
    assert all(sorted(c) == [A, B, C] for c in chosen)


@pytest.mark.parametrize(
    ("algorithm", "words"),
    [(10, "call load"), (12, "parallel"), (99, "no dispatcher algorithm 99")],
)
def test_unsupported_algorithms_say_so(algorithm: int, words: str) -> None:
    with pytest.raises(UnsupportedAlgorithm) as info:
        pick(FOUR, algorithm)
    assert words in str(info.value) and "supported: 0 hash over Call-ID" in str(info.value)
