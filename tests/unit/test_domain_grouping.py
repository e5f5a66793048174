"""Grouping: which Webhooks share an ordered lane."""

from __future__ import annotations

import pytest

from hookline.domain.grouping import group_key_of


@pytest.mark.parametrize(
    ("entity_name", "entity_id", "group_key", "expected"),
    [
        ("Process", "42", None, "Process:42"),
        ("Process", "42", "", "Process:42"),
        ("Process", "42", "tenant-7", "tenant-7"),
        ("Unit", "a:b", None, "Unit:a:b"),
        ("Process", "42", "Process:43", "Process:43"),
    ],
)
def test_group_key_of(entity_name, entity_id, group_key, expected):
    assert group_key_of(entity_name, entity_id, group_key) == expected


def test_one_entity_shares_one_lane_and_another_does_not():
    assert group_key_of("Process", "42", None) == group_key_of("Process", "42", None)
    assert group_key_of("Process", "42", None) != group_key_of("Process", "43", None)
    assert group_key_of("Process", "42", None) != group_key_of("Unit", "42", None)
