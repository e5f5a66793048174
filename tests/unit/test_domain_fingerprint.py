"""What makes two registrations identical."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from hookline.domain.enums import AuthorizationType as A
from hookline.domain.enums import WebhookEventType as T
from hookline.domain.fingerprint import registration_fingerprint
from hookline.domain.subscriptions import EventSelection as S
from hookline.domain.subscriptions import check_filter

URL = "https://example.com/hook"
EVENTS = [S("Process", T.CREATED), S("Process", T.UPDATED), S("Unit", T.DELETED)]


def fingerprint(url=URL, events=EVENTS, authorization_type=A.BASIC, username="bob"):
    return registration_fingerprint(url, events, authorization_type, username)


def test_is_a_sha256_hex_digest():
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint())


def test_is_stable():
    assert fingerprint() == fingerprint()


def test_order_of_events_is_irrelevant():
    assert fingerprint(events=list(reversed(EVENTS))) == fingerprint()


def test_case_of_entity_names_is_irrelevant():
    shouted = [S(e.entity_name.upper(), e.type) for e in EVENTS]
    assert fingerprint(events=shouted) == fingerprint()


def test_a_repeated_event_is_the_same_set():
    assert fingerprint(events=[*EVENTS, S("process", T.CREATED)]) == fingerprint()


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
        {"events": [*EVENTS, S("Unit", T.CREATED)]},
        {"events": [S("Process", T.CREATED), S("Process", T.UPDATED), S("Unit", T.UPDATED)]},
        {"events": [S("Process", T.CREATED), S("Process", T.UPDATED), S("Tenant", T.DELETED)]},
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


def test_a_plain_set_keeps_the_fingerprint_of_the_pairs_it_always_was():
    """Registrations made before wildcards and filters are still found as duplicates."""
    parts = [URL, str(A.BASIC.value), "bob", *sorted(["process:1", "process:2", "unit:3"])]
    assert fingerprint() == hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _filtered(text):
    canonical, problems = check_filter(json.loads(text))
    assert problems == []
    return [S("Process", T.UPDATED, canonical)]


@pytest.mark.parametrize(
    "spelled",
    [
        '{"status": "done", "n": 1}',
        '{"n": 1.0, "status": ["done"]}',
        '{"status": ["done", "done"], "n": 1}',
    ],
)
def test_a_filter_spelled_differently_is_the_same_set(spelled):
    assert fingerprint(events=_filtered(spelled)) == fingerprint(events=_filtered('{"status":"done","n":1}'))


@pytest.mark.parametrize(
    "other",
    [
        '{"status": "open", "n": 1}',
        '{"status": "done", "n": true}',
        '{"status": "done"}',
        '{"status": ["done", "open"], "n": 1}',
    ],
)
def test_registrations_differing_only_in_filter_are_not_duplicates(other):
    assert fingerprint(events=_filtered(other)) != fingerprint(events=_filtered('{"status":"done","n":1}'))


def test_a_filter_differs_from_none_and_wildcards_from_names():
    plain = fingerprint(events=[S("Process", T.UPDATED)])
    assert fingerprint(events=_filtered('{"status": "done"}')) != plain
    assert fingerprint(events=[S("*", T.UPDATED)]) != plain
    assert fingerprint(events=[S("Process", None)]) != plain
    assert fingerprint(events=[S("*", None)]) == fingerprint(events=[S("*", None)])
    assert fingerprint(events=[S("*", None)]) != fingerprint(events=[S("Process", None)])
