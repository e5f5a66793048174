"""How a registration proves itself to its target beyond a static header: the OAuth2 client it
fetches tokens as, and the summary of the client certificate it presents (mutual TLS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class OAuth2Client:
    """OAuth2 client credentials (RFC 6749 §4.4); the client secret travels separately, encrypted."""

    token_url: str
    client_id: str
    scope: str | None = None
    audience: str | None = None


@dataclass(frozen=True, slots=True)
class CertificateSummary:
    """What answers show of a client certificate: never the certificate's key."""

    subject: str
    """RFC 4514, e.g. `CN=hookline,O=Example`."""
    not_after: datetime
