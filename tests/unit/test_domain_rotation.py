from datetime import UTC, datetime, timedelta

from hookline.domain.rotation import (
    GRACE,
    MAX_RETIRED,
    RetiredSecret,
    decode,
    encode,
    retire,
    signing_secrets,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_retired_secret_signs_for_the_grace_period_only():
    retired = retire("whsec_old", [], T0)
    assert signing_secrets("whsec_new", retired, T0 + GRACE - timedelta(microseconds=1)) == [
        "whsec_new",
        "whsec_old",
    ]
    assert signing_secrets("whsec_new", retired, T0 + GRACE) == ["whsec_new"]


def test_rotating_often_keeps_the_newest_few_and_drops_expired_ones():
    retired: list[RetiredSecret] = []
    for n in range(5):
        retired = retire(f"whsec_{n}", retired, T0 + timedelta(minutes=n))
    assert [entry.secret for entry in retired] == ["whsec_4", "whsec_3", "whsec_2"][:MAX_RETIRED]
    later = retire("whsec_5", retired, T0 + GRACE + timedelta(minutes=3, seconds=1))
    assert [entry.secret for entry in later] == ["whsec_5", "whsec_4"]


def test_the_stored_form_round_trips():
    retired = retire("whsec_b", retire("whsec_a", [], T0), T0 + timedelta(hours=1))
    assert decode(encode(retired)) == retired
