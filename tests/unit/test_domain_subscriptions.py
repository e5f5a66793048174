"""Data filters of subscriptions: what they accept, their canonical form, and JSON equality."""

from __future__ import annotations

import json

import pytest

from hookline.domain.subscriptions import MAX_FILTER_KEYS, MAX_FILTER_VALUES, check_filter, matches, same_json


def canonical(raw: object) -> str | None:
    found, problems = check_filter(raw)
    assert problems == []
    return found


@pytest.mark.parametrize("nothing", [None, {}])
def test_no_filter_and_an_empty_one_take_every_event(nothing: object) -> None:
    assert canonical(nothing) is None
    assert matches(None, {"anything": 1})
    assert matches(None, None)


def test_the_canonical_form_sorts_keys_and_values_and_drops_repeats() -> None:
    assert canonical({"b": [2, 1.0, 2], "a": ["x"]}) == '{"a":"x","b":[1,2]}'
    assert canonical({"n": 1e300}) == '{"n":1e+300}'  # not an integer of 301 digits


@pytest.mark.parametrize(
    ("data_value", "filter_value", "expected"),
    [
        (1, 1, True),
        (1.0, 1, True),
        (1, 1.5, False),
        (True, 1, False),
        (1, True, False),
        (False, 0, False),
        (0, False, False),
        (True, True, True),
        (None, None, True),
        (None, False, False),
        ("1", 1, False),
        ("done", "Done", False),
        ({"status": "done"}, "done", False),
        (["done"], "done", False),
    ],
)
def test_equality_is_jsons(data_value: object, filter_value: object, expected: bool) -> None:
    assert matches(canonical({"k": filter_value}), {"k": data_value}) is expected
    assert same_json(data_value, filter_value) is expected


def test_every_key_must_match_one_of_its_values() -> None:
    rule = canonical({"status": ["done", "failed"], "priority": 1})
    assert matches(rule, {"status": "failed", "priority": 1, "other": [1]})
    assert not matches(rule, {"status": "open", "priority": 1})
    assert not matches(rule, {"status": "done"})  # a missing key never matches


def test_null_matches_an_explicit_null_only() -> None:
    rule = canonical({"owner": None})
    assert matches(rule, {"owner": None})
    assert not matches(rule, {})
    assert not matches(rule, None)
    assert not matches(rule, ["owner"])


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ([], ""),
        ("status", ""),
        ({"a": {"b": 1}}, ".a"),
        ({"a": []}, ".a"),
        ({"a": [1, [2]]}, ".a[1]"),
        ({"a": [{"b": 1}]}, ".a[0]"),
        ({"a": "x" * 1001}, ".a"),
        ({"a": "\x00"}, ".a"),
        ({"a": "\ud800"}, ".a"),
        ({"a": float("nan")}, ".a"),
        ({"": 1}, ""),
        ({"k" * 201: 1}, ""),
        ({f"k{i}": 1 for i in range(MAX_FILTER_KEYS + 1)}, ""),
        ({"a": list(range(MAX_FILTER_VALUES + 1))}, ".a"),
    ],
)
def test_refuses_what_is_not_a_bounded_map_of_scalars(raw: object, path: str) -> None:
    found, problems = check_filter(raw)
    assert found is None
    assert path in [p for p, _ in problems], problems


def test_the_bounds_themselves_are_accepted() -> None:
    wide = {f"k{i}": list(range(MAX_FILTER_VALUES)) for i in range(MAX_FILTER_KEYS)}
    kept = json.loads(canonical(wide) or "")
    assert {key: sorted(values) for key, values in kept.items()} == wide
