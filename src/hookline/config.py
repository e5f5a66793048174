"""Typed settings read once from HOOKLINE_* environment variables."""

from __future__ import annotations

import ipaddress
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from hookline.domain.catalog import DEFAULT_ENTITIES
from hookline.domain.retry import DEFAULT_SCHEDULE, RetryPolicy, parse_duration, parse_jitter, parse_schedule
from hookline.domain.urls import TransportRules

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_THROTTLE_DELAY = timedelta(seconds=10)
"""A held 429 keeps its connection busy: at most this long, well within the read timeout."""
MIN_HEADER_BYTES = 1024
"""Below this a browser's ordinary request (cookies, user agent) would be refused."""
STOP_GRACE = timedelta(seconds=5)
"""Default stop timeout beyond the delivery timeout: time to record what finished last."""


LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MAX_REGISTRATION_METRICS = 10_000
MAX_BULK_BATCH_SIZE = 10_000
"""Series per registration: 3 (one per outcome), so at most 30,003 series per process."""


class ConfigError(ValueError):
    """A HOOKLINE_* variable that cannot be used; the message names it."""


def _networks(text: str) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def _proxy_url(text: str) -> str:
    """`http://host:port`, exactly: the proxy hookline sends every attempt through."""
    try:
        url = urlsplit(text.strip())
        port = url.port
    except ValueError:
        raise ValueError("expected http://host:port") from None
    if url.scheme != "http" or not url.hostname or port is None:
        raise ValueError("expected http://host:port (an HTTP proxy; https targets go through CONNECT)")
    if url.username is not None or url.path not in ("", "/") or url.query or url.fragment:
        raise ValueError("expected http://host:port, without credentials, path or query")
    host = f"[{url.hostname}]" if ":" in url.hostname else url.hostname
    return f"http://{host}:{port}"


def _ca_file(text: str) -> Path:
    """A readable PEM bundle of one or more CA certificates (checked at start, not at the first
    attempt that needs it)."""
    path = Path(text)
    try:
        pem = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot be read: {getattr(error, 'strerror', None) or error}") from None
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise ValueError("holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    try:
        ssl.create_default_context(cadata=pem)
    except ssl.SSLError as error:
        raise ValueError(f"is not a valid PEM bundle: {error.reason or error}") from None
    return path


def _one_of(text: str, choices: tuple[str, ...]) -> str:
    if text not in choices:
        raise ValueError(f"expected one of {', '.join(choices)}")
    return text


_FLAGS = {
    "true": True,
    "1": True,
    "yes": True,
    "on": True,
    "false": False,
    "0": False,
    "no": False,
    "off": False,
}


def _flag(text: str) -> bool:
    """`true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`); anything else is a mistake, not false."""
    try:
        return _FLAGS[text.strip().lower()]
    except KeyError:
        raise ValueError("must be true or false") from None


def _duration_or_off(text: str) -> timedelta:
    """A duration, where a bare `0` means "never" (the feature is off)."""
    return timedelta(0) if text.strip() == "0" else parse_duration(text)


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///./hookline.db"
    admin_key: str | None = None
    secret_key: str | None = None
    secret_key_file: Path = Path(".hookline/secret.key")
    retry_policy: RetryPolicy = field(default_factory=RetryPolicy.parse)
    """HOOKLINE_RETRY_SCHEDULE, HOOKLINE_MAX_RETRY_AFTER and HOOKLINE_RETRY_JITTER together."""
    delivery_timeout: timedelta = timedelta(seconds=10)
    allowed_target_networks: tuple[Network, ...] = ()
    require_https: bool = False
    """Refuse every plain http:// target, at registration and at delivery."""
    allow_plaintext_credentials: bool = False
    """Let credentials travel over plain http:// to targets outside the allowed networks."""
    entities: tuple[str, ...] = DEFAULT_ENTITIES
    max_event_data_bytes: int = 256 * 1024
    worker_concurrency: int = 128
    registration_concurrency: int | None = None
    """Attempts one worker keeps in flight for any one registration; None: a quarter of
    `worker_concurrency`, so one slow or dead target cannot take every slot."""
    stop_timeout: timedelta | None = None
    """How long a stopping worker lets in-flight attempts run; None: the delivery timeout + 5 s."""
    lease_margin: timedelta = timedelta(seconds=30)
    """How long after an attempt's timeout its worker still holds the Webhook to record it."""
    rate_limit_per_s: float = 1000.0
    """API requests per second per key (bursts of one second's worth); 0 turns it off."""
    unknown_key_rate_limit_per_s: float = 10.0
    """Requests with an unknown key per second per client address (bursts of ten seconds'
    worth); beyond it 429 without a look-up; 0 turns it off."""
    disable_after_failing: timedelta = timedelta(days=5)
    """Deactivate a registration whose attempts have all failed for this long; 0 never does."""
    max_pause: timedelta = timedelta(days=7)
    """Deactivate a registration paused longer than this (aborting what it holds); 0 never does."""
    resume_rate_per_s: float = 20.0
    """How fast a resume releases what a pause held: Webhooks per second, per registration."""
    retention: timedelta = timedelta(days=30)
    """Purge Webhooks (with their attempts) that ended this long ago; 0 keeps them forever."""
    maintenance_interval: timedelta = timedelta(minutes=1)
    throttle_delay: timedelta = timedelta(seconds=1)
    """A 429 is held this long before it is sent, so a client that ignores Retry-After slows
    itself down rather than the process; 0 answers at once."""
    max_header_bytes: int = 16 * 1024
    """A request's line and headers in all; more is refused (431) before anything is parsed."""
    request_read_timeout: timedelta = timedelta(seconds=10)
    """A client that has not sent its whole request (head and body) within this is disconnected."""
    max_connections: int = 1000
    """Open client connections one API process keeps; one more is closed at once."""
    egress_proxy: str | None = None
    """`http://host:port`: every attempt goes through this HTTP proxy (CONNECT for https)."""
    target_ca_file: Path | None = None
    """A PEM bundle of roots trusted for targets' certificates, beside the system's."""
    registration_metrics_limit: int = 0
    """Registrations that get their own attempt counters in this process; 0: none (off)."""
    bulk_batch_size: int = 500
    """Webhooks per transaction of a bulk action or a recovery; one of more runs in the
    background with its progress shown in the UI."""
    log_format: str = "text"
    """`text` (for people) or `json` (one object per line, for log pipelines)."""
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        readers = {
            "HOOKLINE_DATABASE_URL": ("database_url", str),
            "HOOKLINE_ADMIN_KEY": ("admin_key", str),
            "HOOKLINE_SECRET_KEY": ("secret_key", str),
            "HOOKLINE_SECRET_KEY_FILE": ("secret_key_file", Path),
            "HOOKLINE_RETRY_SCHEDULE": ("retry_schedule", parse_schedule),
            "HOOKLINE_MAX_RETRY_AFTER": ("max_retry_after", parse_duration),
            "HOOKLINE_RETRY_JITTER": ("retry_jitter", parse_jitter),
            "HOOKLINE_DELIVERY_TIMEOUT": ("delivery_timeout", parse_duration),
            "HOOKLINE_ALLOWED_TARGET_NETWORKS": ("allowed_target_networks", _networks),
            "HOOKLINE_REQUIRE_HTTPS": ("require_https", _flag),
            "HOOKLINE_ALLOW_PLAINTEXT_CREDENTIALS": ("allow_plaintext_credentials", _flag),
            "HOOKLINE_ENTITIES": ("entities", lambda t: tuple(n.strip() for n in t.split(",") if n.strip())),
            "HOOKLINE_MAX_EVENT_DATA_BYTES": ("max_event_data_bytes", int),
            "HOOKLINE_WORKER_CONCURRENCY": ("worker_concurrency", int),
            "HOOKLINE_REGISTRATION_CONCURRENCY": ("registration_concurrency", int),
            "HOOKLINE_STOP_TIMEOUT": ("stop_timeout", parse_duration),
            "HOOKLINE_LEASE_MARGIN": ("lease_margin", parse_duration),
            "HOOKLINE_RATE_LIMIT": ("rate_limit_per_s", float),
            "HOOKLINE_UNKNOWN_KEY_RATE_LIMIT": ("unknown_key_rate_limit_per_s", float),
            "HOOKLINE_DISABLE_AFTER_FAILING": ("disable_after_failing", _duration_or_off),
            "HOOKLINE_MAX_PAUSE": ("max_pause", _duration_or_off),
            "HOOKLINE_RESUME_RATE": ("resume_rate_per_s", float),
            "HOOKLINE_RETENTION": ("retention", _duration_or_off),
            "HOOKLINE_MAINTENANCE_INTERVAL": ("maintenance_interval", parse_duration),
            "HOOKLINE_THROTTLE_DELAY": ("throttle_delay", _duration_or_off),
            "HOOKLINE_MAX_HEADER_BYTES": ("max_header_bytes", int),
            "HOOKLINE_REQUEST_READ_TIMEOUT": ("request_read_timeout", parse_duration),
            "HOOKLINE_MAX_CONNECTIONS": ("max_connections", int),
            "HOOKLINE_EGRESS_PROXY": ("egress_proxy", _proxy_url),
            "HOOKLINE_TARGET_CA_FILE": ("target_ca_file", _ca_file),
            "HOOKLINE_REGISTRATION_METRICS_LIMIT": ("registration_metrics_limit", int),
            "HOOKLINE_BULK_BATCH_SIZE": ("bulk_batch_size", int),
            "HOOKLINE_LOG_FORMAT": ("log_format", lambda t: _one_of(t.strip().lower(), LOG_FORMATS)),
            "HOOKLINE_LOG_LEVEL": ("log_level", lambda t: _one_of(t.strip().upper(), LOG_LEVELS)),
        }
        if env.get("HOOKLINE_RETRY_SCHEDULE", "unset").strip() == "":
            raise ConfigError(
                "HOOKLINE_RETRY_SCHEDULE is empty: set it to `none` for a single attempt without "
                f"retries, or leave it unset for the default {DEFAULT_SCHEDULE}"
            )
        for variable, (name, read) in readers.items():
            raw = env.get(variable)
            if raw is None or raw == "":
                continue
            try:
                values[name] = read(raw)  # type: ignore[operator]
            except ValueError as error:
                raise ConfigError(f"{variable}={raw!r}: {error}") from None
        default = RetryPolicy.parse()
        values["retry_policy"] = RetryPolicy(
            values.pop("retry_schedule", default.delays),  # type: ignore[arg-type]
            values.pop("max_retry_after", default.max_retry_after),  # type: ignore[arg-type]
            values.pop("retry_jitter", default.jitter),  # type: ignore[arg-type]
        )
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        if not self.entities:
            raise ConfigError("HOOKLINE_ENTITIES must name at least one entity")
        if self.delivery_timeout <= timedelta(0):
            raise ConfigError("HOOKLINE_DELIVERY_TIMEOUT must be positive")
        if not 0 <= self.rate_limit_per_s < float("inf"):
            raise ConfigError("HOOKLINE_RATE_LIMIT must be a number of requests per second, 0 for none")
        if not 0 <= self.unknown_key_rate_limit_per_s < float("inf"):
            raise ConfigError(
                "HOOKLINE_UNKNOWN_KEY_RATE_LIMIT must be a number of requests per second, 0 for none"
            )
        if self.worker_concurrency < 1:
            raise ConfigError("HOOKLINE_WORKER_CONCURRENCY must be at least 1")
        if self.maintenance_interval <= timedelta(0):
            raise ConfigError("HOOKLINE_MAINTENANCE_INTERVAL must be positive")
        if not 1 <= self.per_registration_concurrency <= self.worker_concurrency:
            raise ConfigError(
                "HOOKLINE_REGISTRATION_CONCURRENCY must be between 1 and HOOKLINE_WORKER_CONCURRENCY"
                f" ({self.worker_concurrency})"
            )
        if self.graceful_stop_timeout < timedelta(0):
            raise ConfigError("HOOKLINE_STOP_TIMEOUT must not be negative")
        if not 0 < self.resume_rate_per_s < float("inf"):
            raise ConfigError("HOOKLINE_RESUME_RATE must be a positive number of webhooks per second")
        if self.retry_policy.max_retry_after <= timedelta(0):
            raise ConfigError("HOOKLINE_MAX_RETRY_AFTER must be positive")
        if self.lease_margin <= timedelta(0):
            raise ConfigError("HOOKLINE_LEASE_MARGIN must be positive")
        if not timedelta(0) <= self.throttle_delay <= MAX_THROTTLE_DELAY:
            raise ConfigError(f"HOOKLINE_THROTTLE_DELAY must be between 0 and {MAX_THROTTLE_DELAY.seconds}s")
        if self.max_header_bytes < MIN_HEADER_BYTES:
            raise ConfigError(f"HOOKLINE_MAX_HEADER_BYTES must be at least {MIN_HEADER_BYTES}")
        if self.request_read_timeout <= timedelta(0):
            raise ConfigError("HOOKLINE_REQUEST_READ_TIMEOUT must be positive")
        if self.max_connections < 1:
            raise ConfigError("HOOKLINE_MAX_CONNECTIONS must be at least 1")
        if not 0 <= self.registration_metrics_limit <= MAX_REGISTRATION_METRICS:
            raise ConfigError(
                f"HOOKLINE_REGISTRATION_METRICS_LIMIT must be between 0 (off) and {MAX_REGISTRATION_METRICS}"
            )

        if not 1 <= self.bulk_batch_size <= MAX_BULK_BATCH_SIZE:
            raise ConfigError(f"HOOKLINE_BULK_BATCH_SIZE must be between 1 and {MAX_BULK_BATCH_SIZE}")

    @property
    def transport(self) -> TransportRules:
        return TransportRules(self.require_https, self.allow_plaintext_credentials)

    @property
    def per_registration_concurrency(self) -> int:
        if self.registration_concurrency is not None:
            return self.registration_concurrency
        return max(1, self.worker_concurrency // 4)

    @property
    def graceful_stop_timeout(self) -> timedelta:
        """Long enough by default for an attempt started just before the stop to end by itself."""
        return self.stop_timeout if self.stop_timeout is not None else self.delivery_timeout + STOP_GRACE

    @property
    def lease(self) -> timedelta:
        """How long a claim holds a Webhook: a crashed worker's claims come back after this."""
        return self.delivery_timeout + self.lease_margin


__all__ = ["DEFAULT_SCHEDULE", "ConfigError", "Network", "Settings"]
