"""The use-case errors: one kind per HTTP status, every field error at once."""

from __future__ import annotations

import dataclasses

import pytest

from hookline.domain.errors import (
    Conflict,
    ErrorCollector,
    FieldError,
    Forbidden,
    HooklineError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
)


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        (InvalidInput, "Invalid input"),
        (NotFound, "Not found"),
        (Conflict, "Conflict"),
        (PayloadTooLarge, "Payload too large"),
        (Forbidden, "Forbidden"),
    ],
)
def test_every_kind_is_a_hookline_error_with_a_title(kind, title):
    assert issubclass(kind, HooklineError)
    assert kind.title == title


def test_detail_and_extra():
    error = Conflict("an identical registration exists", existing_id="r1")
    assert str(error) == error.detail == "an identical registration exists"
    assert error.extra == {"existing_id": "r1"}
    assert NotFound("no such webhook").extra == {}


def test_invalid_input_one():
    error = InvalidInput.one("targetUrl", "must name a host")
    assert error.errors == [FieldError("targetUrl", "must name a host")]
    assert error.detail == "targetUrl: must name a host"


def test_invalid_input_joins_every_field_or_takes_a_detail():
    errors = [FieldError("pageSize", "must be 1..500"), FieldError("pageNumber", "must be >= 1")]
    assert InvalidInput(errors).detail == "pageSize: must be 1..500; pageNumber: must be >= 1"
    assert InvalidInput(errors, detail="bad paging").detail == "bad paging"


def test_field_error_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        FieldError("a", "b").field = "c"  # type: ignore[misc]


def test_collector_with_nothing_raises_nothing():
    ErrorCollector().raise_if_any()


def test_collector_raises_every_error_in_order():
    collector = ErrorCollector()
    collector.add("targetUrl", "must name a host")
    collector.add("enabledEvents", "must not be empty")
    with pytest.raises(InvalidInput) as caught:
        collector.raise_if_any()
    assert caught.value.errors == [
        FieldError("targetUrl", "must name a host"),
        FieldError("enabledEvents", "must not be empty"),
    ]
