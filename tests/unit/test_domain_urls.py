"""Target URL rules: what may be registered, and its normalized form."""

from __future__ import annotations

import pytest

from hookline.domain.urls import MAX_URL_LENGTH, normalize_target_url

NORMALIZED = [
    ("https://example.com/hook", "https://example.com/hook"),
    ("HTTP://Example.COM/Path/To", "http://example.com/Path/To"),  # the path keeps its case
    ("HTTPS://API.Example.com:443", "https://api.example.com/"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("http://example.com:080/a", "http://example.com/a"),
    ("http://example.com:443/a", "http://example.com:443/a"),  # default only for https
    ("https://example.com:80/a", "https://example.com:80/a"),
    ("https://example.com:8443/a", "https://example.com:8443/a"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com:/a", "https://example.com/a"),
    ("https://example.com?x=1", "https://example.com/?x=1"),
    ("https://example.com/a?b=2&a=1#frag", "https://example.com/a?b=2&a=1"),  # query kept as is
    ("https://example.com/#frag", "https://example.com/"),
    ("http://127.0.0.1:80/", "http://127.0.0.1/"),
    ("http://[::1]:8080/hook", "http://[::1]:8080/hook"),
    ("https://[2001:DB8::1]:443/x", "https://[2001:db8::1]/x"),
    ("http://[2001:db8::1]:80", "http://[2001:db8::1]/"),
]


@pytest.mark.parametrize(("url", "normalized"), NORMALIZED)
def test_normalize(url, normalized):
    assert normalize_target_url(url) == normalized


@pytest.mark.parametrize(("url", "normalized"), NORMALIZED)
def test_normalize_is_idempotent(url, normalized):
    assert normalize_target_url(normalized) == normalized


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "1 to 2048 characters"),
        ("ftp://example.com/", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("mailto:ops@example.com", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("/relative/path", "http:// or https://"),
        ("example.com/hook", "http:// or https://"),
        ("//example.com/hook", "http:// or https://"),
        ("http://user:pass@example.com/", "credentials"),
        ("https://user@example.com/", "credentials"),
        ("https://@example.com/", "credentials"),
        ("http:///path", "host"),
        ("http://", "host"),
        ("https://:443/", "host"),
        ("http://exa mple.com/", "whitespace"),
        (" http://example.com/", "whitespace"),
        ("http://example.com/ ", "whitespace"),
        ("http://example.com/a\nb", "whitespace"),
        ("http://example.com/\t", "whitespace"),
        ("http://example.com/\x00", "control"),
        ("http://example.com/\u00a0", "whitespace"),
        ("http://example.com:99999/", "not a valid URL"),
        ("http://example.com:abc/", "not a valid URL"),
        ("http://[::1/", "not a valid URL"),
        ("http://example.com:0/", "port 0"),
    ],
)
def test_refused(url, reason):
    with pytest.raises(ValueError, match=reason):
        normalize_target_url(url)


def test_credentials_are_pointed_at_target_authorization():
    with pytest.raises(ValueError, match="targetAuthorization"):
        normalize_target_url("https://user:pass@example.com/")


def test_length_limit_is_2048_characters():
    assert MAX_URL_LENGTH == 2048
    prefix = "https://example.com/"
    longest = prefix + "a" * (MAX_URL_LENGTH - len(prefix))
    assert len(longest) == 2048
    assert normalize_target_url(longest) == longest
    with pytest.raises(ValueError, match="1 to 2048 characters"):
        normalize_target_url(longest + "a")


@pytest.mark.parametrize(
    "host", ["2130706433", "0177.0.0.1", "0x7f.0.0.1", "127.1", "010.0.0.1", "1.2.3.04", "0x7f", "1.2.3.4."]
)
def test_numeric_hosts_must_be_canonical(host):
    with pytest.raises(ValueError, match="canonical IP address"):
        normalize_target_url(f"http://{host}/")


@pytest.mark.parametrize(
    "host", ["1.2.3.4", "example.com", "a1.example", "123.example", "host-1", "xn--bcher-kva.ch"]
)
def test_names_and_canonical_addresses_pass(host):
    assert normalize_target_url(f"http://{host}/") == f"http://{host}/"
