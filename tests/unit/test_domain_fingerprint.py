"""What makes two registrations identical."""

from __future__ import annotations

import re

import pytest

from hookline.domain.enums import AuthorizationType as A
from hookline.domain.enums import WebhookEventType as T
from hookline.domain.fingerprint import registration_fingerprint

URL = "https://example.com/hook"
EVENTS = [("Process", T.CREATED), ("Process", T.UPDATED), ("Unit", T.DELETED)]


def fingerprint(url=URL, events=EVENTS, authorization_type=A.BASIC, username="bob"):
    return registration_fingerprint(url, events, authorization_type, username)


def test_is_a_sha256_hex_digest():
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint())


def test_is_stable():
    assert fingerprint() == fingerprint()


def test_order_of_events_is_irrelevant():
    assert fingerprint(events=list(reversed(EVENTS))) == fingerprint()


def test_case_of_entity_names_is_irrelevant():
    shouted = [(name.upper(), kind) for name, kind in EVENTS]
    assert fingerprint(events=shouted) == fingerprint()


def test_a_repeated_event_is_the_same_set():
    assert fingerprint(events=[*EVENTS, ("process", T.CREATED)]) == fingerprint()


def test_accepts_any_iterable_of_events():
    assert fingerprint(events=iter(EVENTS)) == fingerprint()


def test_no_username_is_no_username():
    assert fingerprint(authorization_type=A.NONE, username=None) == fingerprint(
        authorization_type=A.NONE, username=""
    )


@pytest.mark.parametrize(
    "changed",
    [
        {"url": "https://example.com/other"},
        {"url": "https://example.org/hook"},
        {"username": "alice"},
        {"username": "Bob"},
        {"username": None},
        {"authorization_type": A.NONE},
        {"events": EVENTS[:2]},
        {"events": [*EVENTS, ("Unit", T.CREATED)]},
        {"events": [("Process", T.CREATED), ("Process", T.UPDATED), ("Unit", T.UPDATED)]},
        {"events": [("Process", T.CREATED), ("Process", T.UPDATED), ("Tenant", T.DELETED)]},
    ],
)
def test_differs_by_url_username_authorization_and_events(changed):
    assert fingerprint(**changed) != fingerprint()


def test_custom_headers_count_only_when_there_are_some():
    """No headers: the fingerprint registrations had before headers existed."""
    assert registration_fingerprint(URL, EVENTS, A.BASIC, "bob", "") == fingerprint()
    with_headers = registration_fingerprint(URL, EVENTS, A.BASIC, "bob", "digest-a")
    assert with_headers != fingerprint()
    assert with_headers != registration_fingerprint(URL, EVENTS, A.BASIC, "bob", "digest-b")
