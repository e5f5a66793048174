"""Settings from HOOKLINE_* variables: API.md defaults, overrides, and refusals naming the variable."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path

import pytest

from hookline.config import ConfigError, Settings
from hookline.domain.catalog import DEFAULT_ENTITIES
from hookline.domain.retry import RetryPolicy
from hookline.domain.urls import TransportRules


def test_defaults_match_the_contract():
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///./hookline.db"
    assert settings.admin_key is None
    assert settings.retry_policy == RetryPolicy.parse("5m,15m,1h,6h,12h,24h")
    assert settings.retry_policy.max_attempts == 7
    assert settings.delivery_timeout == timedelta(seconds=10)
    assert settings.allowed_target_networks == ()
    assert settings.entities == DEFAULT_ENTITIES
    assert len(settings.entities) == 24
    assert settings.max_event_data_bytes == 256 * 1024
    assert settings.per_registration_concurrency == 32  # a quarter of the worker's 128
    assert settings.graceful_stop_timeout == timedelta(seconds=15)  # the delivery timeout + 5 s
    assert settings.lease == timedelta(seconds=40)  # the delivery timeout + the 30 s margin
    assert (settings.require_https, settings.allow_plaintext_credentials) == (False, False)
    assert settings.rate_limit_per_s == 1000
    assert settings.unknown_key_rate_limit_per_s == 10
    assert settings.throttle_delay == timedelta(seconds=1)
    assert settings.max_header_bytes == 16 * 1024
    assert settings.request_read_timeout == timedelta(seconds=10)
    assert settings.max_connections == 1000
    assert settings.bulk_batch_size == 500
    assert settings == Settings()


def test_empty_values_and_unrelated_variables_are_ignored():
    env = {
        "HOOKLINE_DATABASE_URL": "",
        "HOOKLINE_ENTITIES": "",
        "HOOKLINE_UNKNOWN": "x",
        "PATH": "/usr/bin",
    }
    assert Settings.from_env(env) == Settings()


def test_an_empty_retry_schedule_is_refused_and_none_means_a_single_attempt():
    with pytest.raises(ConfigError, match="set it to `none` for a single attempt"):
        Settings.from_env({"HOOKLINE_RETRY_SCHEDULE": " "})
    assert Settings.from_env({"HOOKLINE_RETRY_SCHEDULE": "none"}).retry_policy.max_attempts == 1


def test_retry_after_ceiling_and_jitter_join_the_schedule():
    default = Settings.from_env({}).retry_policy
    assert (default.max_retry_after, default.jitter) == (timedelta(hours=24), 0.0)
    policy = Settings.from_env(
        {"HOOKLINE_RETRY_SCHEDULE": "1m", "HOOKLINE_MAX_RETRY_AFTER": "10h", "HOOKLINE_RETRY_JITTER": "10%"}
    ).retry_policy
    assert policy == RetryPolicy((timedelta(minutes=1),), max_retry_after=timedelta(hours=10), jitter=0.1)


def test_overrides():
    settings = Settings.from_env(
        {
            "HOOKLINE_DATABASE_URL": "postgresql://hookline@db/hookline",
            "HOOKLINE_ADMIN_KEY": "bootstrap",
            "HOOKLINE_SECRET_KEY_FILE": "/etc/hookline/secret.key",
            "HOOKLINE_RETRY_SCHEDULE": "1s, 2s",
            "HOOKLINE_DELIVERY_TIMEOUT": "500ms",
            "HOOKLINE_ALLOWED_TARGET_NETWORKS": "127.0.0.0/8, ::1/128,10.1.2.3/8",
            "HOOKLINE_ENTITIES": " Invoice , Order ,,",
            "HOOKLINE_MAX_EVENT_DATA_BYTES": "1024",
            "HOOKLINE_WORKER_CONCURRENCY": "8",
            "HOOKLINE_REGISTRATION_CONCURRENCY": "3",
            "HOOKLINE_STOP_TIMEOUT": "2s",
            "HOOKLINE_LEASE_MARGIN": "1500ms",
            "HOOKLINE_BULK_BATCH_SIZE": "25",
            "HOOKLINE_REQUIRE_HTTPS": "true",
            "HOOKLINE_ALLOW_PLAINTEXT_CREDENTIALS": " Yes ",
            "HOOKLINE_UNKNOWN_KEY_RATE_LIMIT": "2.5",
            "HOOKLINE_THROTTLE_DELAY": "0",
            "HOOKLINE_MAX_HEADER_BYTES": "4096",
            "HOOKLINE_REQUEST_READ_TIMEOUT": "1s",
            "HOOKLINE_MAX_CONNECTIONS": "64",
        }
    )
    assert settings.database_url == "postgresql://hookline@db/hookline"
    assert settings.admin_key == "bootstrap"
    assert settings.bulk_batch_size == 25
    assert settings.secret_key_file == Path("/etc/hookline/secret.key")
    assert settings.retry_policy.delays == (timedelta(seconds=1), timedelta(seconds=2))
    assert settings.retry_policy.max_attempts == 3
    assert settings.delivery_timeout == timedelta(milliseconds=500)
    assert settings.allowed_target_networks == (
        ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
        ipaddress.ip_network("10.0.0.0/8"),  # host bits allowed, dropped
    )
    assert settings.entities == ("Invoice", "Order")
    assert settings.max_event_data_bytes == 1024
    assert settings.worker_concurrency == 8
    assert settings.per_registration_concurrency == 3
    assert settings.graceful_stop_timeout == timedelta(seconds=2)
    assert settings.lease == timedelta(seconds=2)  # 500 ms delivery timeout + 1.5 s margin
    assert settings.unknown_key_rate_limit_per_s == 2.5
    assert settings.throttle_delay == timedelta(0)
    assert settings.max_header_bytes == 4096
    assert settings.request_read_timeout == timedelta(seconds=1)
    assert settings.max_connections == 64
    assert settings.transport == TransportRules(require_https=True, allow_plaintext_credentials=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("on", True),
        ("false", False),
        ("0", False),
        ("no", False),
    ],
)
def test_switches_read_true_and_false(value, expected):
    settings = Settings.from_env(
        {"HOOKLINE_REQUIRE_HTTPS": value, "HOOKLINE_ALLOW_PLAINTEXT_CREDENTIALS": value}
    )
    assert (settings.require_https, settings.allow_plaintext_credentials) == (expected, expected)


def test_derived_defaults_follow_what_they_derive_from():
    settings = Settings.from_env({"HOOKLINE_WORKER_CONCURRENCY": "2", "HOOKLINE_DELIVERY_TIMEOUT": "1s"})
    assert settings.per_registration_concurrency == 1  # never 0
    assert settings.graceful_stop_timeout == timedelta(seconds=6)
    assert settings.lease == timedelta(seconds=31)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HOOKLINE_RETRY_SCHEDULE", "5x"),
        ("HOOKLINE_RETRY_SCHEDULE", "5m,soon"),
        ("HOOKLINE_MAX_RETRY_AFTER", "0s"),
        ("HOOKLINE_MAX_RETRY_AFTER", "forever"),
        ("HOOKLINE_RETRY_JITTER", "2"),
        ("HOOKLINE_MAX_PAUSE", "a week"),
        ("HOOKLINE_RESUME_RATE", "0"),
        ("HOOKLINE_RESUME_RATE", "fast"),
        ("HOOKLINE_DELIVERY_TIMEOUT", "10"),
        ("HOOKLINE_DELIVERY_TIMEOUT", "ten seconds"),
        ("HOOKLINE_DELIVERY_TIMEOUT", "0s"),
        ("HOOKLINE_ALLOWED_TARGET_NETWORKS", "localhost"),
        ("HOOKLINE_ALLOWED_TARGET_NETWORKS", "10.0.0.0/33"),
        ("HOOKLINE_ENTITIES", " , ,"),
        ("HOOKLINE_MAX_EVENT_DATA_BYTES", "lots"),
        ("HOOKLINE_WORKER_CONCURRENCY", "many"),
        ("HOOKLINE_WORKER_CONCURRENCY", "0"),
        ("HOOKLINE_WORKER_CONCURRENCY", "-1"),
        ("HOOKLINE_REGISTRATION_CONCURRENCY", "0"),
        ("HOOKLINE_REGISTRATION_CONCURRENCY", "129"),  # more than the worker's 128 slots
        ("HOOKLINE_REGISTRATION_CONCURRENCY", "half"),
        ("HOOKLINE_STOP_TIMEOUT", "soon"),
        ("HOOKLINE_STOP_TIMEOUT", "-1s"),
        ("HOOKLINE_LEASE_MARGIN", "0s"),
        ("HOOKLINE_LEASE_MARGIN", "30"),
        ("HOOKLINE_REQUIRE_HTTPS", "maybe"),  # a typo must not silently mean false
        ("HOOKLINE_REQUIRE_HTTPS", "2"),
        ("HOOKLINE_ALLOW_PLAINTEXT_CREDENTIALS", "enabled"),
        ("HOOKLINE_UNKNOWN_KEY_RATE_LIMIT", "-1"),
        ("HOOKLINE_UNKNOWN_KEY_RATE_LIMIT", "inf"),
        ("HOOKLINE_UNKNOWN_KEY_RATE_LIMIT", "few"),
        ("HOOKLINE_THROTTLE_DELAY", "11s"),
        ("HOOKLINE_THROTTLE_DELAY", "1"),
        ("HOOKLINE_MAX_HEADER_BYTES", "16k"),
        ("HOOKLINE_MAX_HEADER_BYTES", "1023"),  # below what a browser's ordinary request needs
        ("HOOKLINE_REQUEST_READ_TIMEOUT", "0s"),
        ("HOOKLINE_REQUEST_READ_TIMEOUT", "10"),
        ("HOOKLINE_MAX_CONNECTIONS", "0"),
        ("HOOKLINE_MAX_CONNECTIONS", "lots"),
        ("HOOKLINE_EGRESS_PROXY", "proxy.internal:3128"),  # no scheme
        ("HOOKLINE_EGRESS_PROXY", "https://proxy.internal:3128"),  # an HTTP proxy only
        ("HOOKLINE_EGRESS_PROXY", "socks5://proxy.internal:1080"),
        ("HOOKLINE_EGRESS_PROXY", "http://proxy.internal"),  # no port
        ("HOOKLINE_EGRESS_PROXY", "http://proxy.internal:99999"),
        ("HOOKLINE_EGRESS_PROXY", "http://user:pw@proxy.internal:3128"),
        ("HOOKLINE_EGRESS_PROXY", "http://proxy.internal:3128/path"),
        ("HOOKLINE_REGISTRATION_METRICS_LIMIT", "-1"),
        ("HOOKLINE_REGISTRATION_METRICS_LIMIT", "10001"),
        ("HOOKLINE_REGISTRATION_METRICS_LIMIT", "all"),
        ("HOOKLINE_BULK_BATCH_SIZE", "0"),
        ("HOOKLINE_BULK_BATCH_SIZE", "10001"),
        ("HOOKLINE_LOG_FORMAT", "xml"),
        ("HOOKLINE_LOG_LEVEL", "chatty"),
    ],
)
def test_invalid_values_raise_config_error_naming_the_variable(variable, value):
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env({variable: value})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://proxy.internal:3128", "http://proxy.internal:3128"),
        ("http://10.0.0.5:3128/", "http://10.0.0.5:3128"),
        ("HTTP://Proxy.Internal:3128", "http://proxy.internal:3128"),
        ("http://[fd00::5]:3128", "http://[fd00::5]:3128"),
    ],
)
def test_egress_proxy_is_an_http_host_and_port(value, expected):
    assert Settings.from_env({"HOOKLINE_EGRESS_PROXY": value}).egress_proxy == expected


def test_observability_settings():
    assert Settings.from_env({}).egress_proxy is None
    assert Settings.from_env({}).registration_metrics_limit == 0
    assert (Settings.from_env({}).log_format, Settings.from_env({}).log_level) == ("text", "INFO")
    settings = Settings.from_env(
        {
            "HOOKLINE_LOG_FORMAT": "JSON",
            "HOOKLINE_LOG_LEVEL": "debug",
            "HOOKLINE_REGISTRATION_METRICS_LIMIT": "50",
        }
    )
    assert (settings.log_format, settings.log_level, settings.registration_metrics_limit) == (
        "json",
        "DEBUG",
        50,
    )


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


def test_reads_the_process_environment_by_default(monkeypatch):
    monkeypatch.setenv("HOOKLINE_DELIVERY_TIMEOUT", "3s")
    assert Settings.from_env().delivery_timeout == timedelta(seconds=3)
