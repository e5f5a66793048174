"""The headers an attempt keeps: request headers masked by allow-list, response headers bounded."""

from __future__ import annotations

import json

from hookline.delivery.request import masked_headers
from hookline.delivery.sender import bounded_headers


def test_only_headers_known_to_carry_no_secret_keep_their_value() -> None:
    shown = masked_headers(
        [
            ("Content-Type", "application/json"),
            ("webhook-id", "wh_1"),
            ("webhook-timestamp", "1795981565"),
            ("webhook-signature", "v1,abc= v1a,def="),
            ("Authorization", "Bearer tok_123"),
            ("Proxy-Authorization", "opaque"),
            ("X-Api-Key", "k_live_999"),
            ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        ]
    )
    assert shown == {
        "Content-Type": "application/json",
        "webhook-id": "wh_1",
        "webhook-timestamp": "1795981565",
        "webhook-signature": "v1,••• v1a,•••",
        "Authorization": "Bearer •••",
        "Proxy-Authorization": "•••",
        "X-Api-Key": "•••",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    }


def test_repeated_response_headers_are_joined_and_unstorable_text_replaced() -> None:
    kept = bounded_headers(
        [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("X-Bytes", "caf\udce9"), ("X-Nul", "a\x00b")]
    )
    assert kept == {"Set-Cookie": "a=1, b=2", "X-Bytes": "caf\ufffd", "X-Nul": "a\ufffdb"}
    json.dumps(kept, ensure_ascii=False).encode()  # storable and answerable as UTF-8


def test_response_headers_stop_at_their_bounds() -> None:
    kept = bounded_headers([(f"X-{i}", "v" * 2000) for i in range(100)])
    assert all(len(value) == 1024 and value.endswith("…") for value in kept.values())
    assert sum(len(name) + len(value) for name, value in kept.items()) <= 8192
    assert list(kept) == [f"X-{i}" for i in range(len(kept))]
    many = bounded_headers([(f"X-{i}", "v") for i in range(100)])
    assert len(many) == 50
