"""Target URL rules: what may be registered, and the form duplicates are compared in."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

from hookline.domain.enums import AuthorizationType
from hookline.domain.errors import FieldError

MAX_URL_LENGTH = 2048
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)


def _split(url: str) -> SplitResult:
    if not url or len(url) > MAX_URL_LENGTH:
        raise ValueError(f"must be 1 to {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        raise ValueError("must not contain whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ValueError(f"is not a valid URL: {error}") from None
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        raise ValueError("must be an absolute http:// or https:// URL")
    if not parts.hostname:
        raise ValueError("must name a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry credentials; use targetAuthorization instead")
    if port == 0:
        raise ValueError("must not use port 0")
    if _numeric_but_not_canonical(parts.hostname):
        raise ValueError("must name a host by name or by a canonical IP address such as 192.0.2.10")
    return parts


def _numeric_but_not_canonical(host: str) -> bool:
    """`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`: numeric hosts that resolvers and HTTP
    clients read differently (one resolves them, another refuses them), so none is accepted."""
    if ":" in host:  # an IPv6 literal; `ipaddress` reads those the same way everywhere
        return False
    last_label = host.rstrip(".").rsplit(".", 1)[-1]
    if not _NUMERIC_LABEL.fullmatch(last_label):
        return False
    try:
        return str(ipaddress.IPv4Address(host)) != host
    except ValueError:
        return True


def normalize_target_url(url: str) -> str:
    """Scheme and host lower-cased, default port and fragment dropped, empty path as `/`."""
    parts = _split(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None and parts.port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{parts.port}"
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))


@dataclass(frozen=True, slots=True)
class TransportRules:
    """Which targets may be reached over plain `http://`.

    `require_https` (HOOKLINE_REQUIRE_HTTPS) refuses every `http://` target, at registration
    and at delivery. Otherwise credentials (any authorization but None) travel over `http://`
    only to a target whose every address lies in HOOKLINE_ALLOWED_TARGET_NETWORKS (`exempt`),
    unless `allow_plaintext_credentials` (HOOKLINE_ALLOW_PLAINTEXT_CREDENTIALS) says otherwise.
    """

    require_https: bool = False
    allow_plaintext_credentials: bool = False

    def refusal(
        self,
        url: str,
        authorization: AuthorizationType = AuthorizationType.NONE,
        *,
        exempt: bool = False,
        field: str = "targetUrl",
    ) -> FieldError | None:
        """`field` names the URL: `targetUrl`, or `targetAuthorization.tokenUrl` (OAuth2's
        client secret goes there)."""
        if urlsplit(url).scheme.lower() != "http":
            return None
        if self.require_https:
            return FieldError(field, "must use https:// (HOOKLINE_REQUIRE_HTTPS is on)")
        if authorization.carries_credentials and not (exempt or self.allow_plaintext_credentials):
            return FieldError(
                "targetAuthorization" if field == "targetUrl" else field,
                f"{authorization.label} credentials are only sent over https://, and"
                f" {field.rsplit('.', 1)[-1]} is plain http:// outside HOOKLINE_ALLOWED_TARGET_NETWORKS",
            )
        return None
