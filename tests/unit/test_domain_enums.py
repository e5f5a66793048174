"""The contract's enumerations: numeric ids exactly as API.md, parsed from id or name."""

from __future__ import annotations

import json

import pytest

from hookline.domain.enums import AuthorizationType, Role, WebhookEventType, WebhookState


@pytest.mark.parametrize(
    ("enum", "expected"),
    [
        (
            WebhookEventType,
            {
                "Created": 1,
                "Updated": 2,
                "Deleted": 3,
                "ReplaceRelation": 4,
                "AddToRelation": 5,
                "RemoveFromRelation": 6,
            },
        ),
        (
            WebhookState,
            {
                "Created": 1,
                "Retrying": 2,
                "Successful": 3,
                "Failed": 4,
                "Aborted": 5,
                "Pending": 6,
                "Resolved": 7,
            },
        ),
        (AuthorizationType, {"None": 0, "Basic": 1, "Bearer": 2, "OAuth2": 3}),
        (Role, {"Admin": 1, "Publisher": 2, "Subscriber": 3, "Owner": 4}),
    ],
)
def test_labels_and_ids_are_exactly_the_contract(enum, expected):
    assert {member.label: member.value for member in enum} == expected


def test_members_serialize_as_their_numeric_id():
    body = {"type": WebhookEventType.ADD_TO_RELATION, "state": WebhookState.FAILED}
    assert json.dumps(body) == '{"type": 5, "state": 4}'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5, WebhookEventType.ADD_TO_RELATION),
        ("5", WebhookEventType.ADD_TO_RELATION),
        (" 5 ", WebhookEventType.ADD_TO_RELATION),
        ("05", WebhookEventType.ADD_TO_RELATION),
        ("addtorelation", WebhookEventType.ADD_TO_RELATION),
        ("AddToRelation", WebhookEventType.ADD_TO_RELATION),
        ("add_to_relation", WebhookEventType.ADD_TO_RELATION),
        ("ADD_TO_RELATION", WebhookEventType.ADD_TO_RELATION),
        ("Add To Relation", WebhookEventType.ADD_TO_RELATION),
        ("  addToRelation\t", WebhookEventType.ADD_TO_RELATION),
        (WebhookEventType.ADD_TO_RELATION, WebhookEventType.ADD_TO_RELATION),
        (1, WebhookEventType.CREATED),
        ("created", WebhookEventType.CREATED),
        ("RemoveFromRelation", WebhookEventType.REMOVE_FROM_RELATION),
        ("replace_relation", WebhookEventType.REPLACE_RELATION),
    ],
)
def test_event_type_parses_from_id_or_case_insensitive_name(value, expected):
    assert WebhookEventType.parse(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, AuthorizationType.NONE),
        ("0", AuthorizationType.NONE),
        ("none", AuthorizationType.NONE),
        ("None", AuthorizationType.NONE),
        (1, AuthorizationType.BASIC),
        ("BASIC", AuthorizationType.BASIC),
        ("bearer", AuthorizationType.BEARER),
        (2, AuthorizationType.BEARER),
    ],
)
def test_authorization_type_parses_zero_and_none(value, expected):
    assert AuthorizationType.parse(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (6, WebhookState.PENDING),
        (6.0, WebhookState.PENDING),  # JSON (and JSON Schema) read 6.0 as the integer 6
        ("7", WebhookState.RESOLVED),
        ("successful", WebhookState.SUCCESSFUL),
    ],
)
def test_state_parses(value, expected):
    assert WebhookState.parse(value) is expected


@pytest.mark.parametrize(
    "value",
    [
        True,  # a bool is an int in Python, but never an enum id
        False,
        0,
        7,
        -1,
        10**30,
        "0",
        "7",
        "-1",
        "+1",
        "1.0",
        "",
        "   ",
        "Create",
        "add-to-relation",
        "AddToRelations",
        "²",  # str.isdigit() says yes, int() says no
        "٣",  # an Arabic-Indic three is not an id
        "9" * 5000,  # past int()'s 4300-digit limit
        1.5,
        7.0,
        float("nan"),
        None,
        [1],
        b"1",
    ],
)
def test_event_type_rejects_anything_else_listing_valid_values(value):
    with pytest.raises(ValueError) as caught:
        WebhookEventType.parse(value)
    assert str(caught.value) == (
        "must be one of 1 (Created), 2 (Updated), 3 (Deleted), 4 (ReplaceRelation), "
        "5 (AddToRelation), 6 (RemoveFromRelation)"
    )


def test_unknown_state_message_lists_every_state():
    with pytest.raises(ValueError, match=r"must be one of 1 \(Created\), .*7 \(Resolved\)$"):
        WebhookState.parse(8)


def test_authorization_type_message_lists_zero():
    with pytest.raises(
        ValueError, match=r"^must be one of 0 \(None\), 1 \(Basic\), 2 \(Bearer\), 3 \(OAuth2\)$"
    ):
        AuthorizationType.parse("digest")
