"""Which custom headers a registration may set."""

from __future__ import annotations

from hookline.domain.headers import MASK, bad_token, header_problems, is_protocol_owned


def test_protocol_owned_names_in_any_case_and_by_prefix() -> None:
    for name in ("HOST", "Webhook-Foo", "PROXY-Authorization", "Proxy-Foo", "Traceparent", "TE", "trailer"):
        assert is_protocol_owned(name), name
    for name in ("X-Tenant", "Webhooks", "Proxyish", "Tee", "X-Webhook-Id"):
        assert not is_protocol_owned(name), name


def test_each_problem_names_its_header() -> None:
    problems = dict(
        header_problems(
            {
                "X-Ok": "fine; with spaces and ünïcode",
                "X-Keep": None,
                "bad name": "v",
                "X-Nul": "a\0b",
                "X-Cr": "a\rb",
                "X-Masked": MASK,
                "x-ok": "again",
            }
        )
    )
    assert set(problems) == {
        "headers.bad name",
        "headers.X-Nul",
        "headers.X-Cr",
        "headers.X-Masked",
        "headers.x-ok",
    }


def test_at_most_twenty() -> None:
    assert not list(header_problems({f"X-{index}": "v" for index in range(20)}))
    assert ("headers", "must have at most 20 entries") in header_problems({f"X-{i}": "v" for i in range(21)})


def test_a_bearer_token_is_one_header_value_without_spaces() -> None:
    assert bad_token("abc.DEF-123_~+/=") is None
    assert bad_token("a\nb") and bad_token("a b") and bad_token(" ab")
