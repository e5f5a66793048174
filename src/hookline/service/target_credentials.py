"""The credentials a registration presents beyond Basic and Bearer: OAuth2 client credentials
(type 3) and a client certificate for mutual TLS, checked in full before anything is written."""

from __future__ import annotations

import re
from datetime import datetime

from hookline import client_certificates
from hookline.domain.credentials import CertificateSummary, OAuth2Client
from hookline.domain.enums import AuthorizationType
from hookline.domain.errors import ErrorCollector
from hookline.service.drafts import ClientCertificate, TargetAuthorization

_SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*")
"""RFC 6749 §3.3: scope tokens separated by single spaces."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_oauth2(
    auth: TargetAuthorization, errors: ErrorCollector, prefix: str, *, keeps_secret: bool
) -> None:
    """The OAuth2 fields: required for type 3 (the secret unless a PATCH keeps the stored one),
    refused for every other type. The token URL's host is checked by the caller, like a target's."""
    fields = {
        "tokenUrl": auth.token_url,
        "clientId": auth.client_id,
        "clientSecret": auth.client_secret,
        "scope": auth.scope,
        "audience": auth.audience,
    }
    if auth.authorization_type is not AuthorizationType.OAUTH2:
        for name, value in fields.items():
            if value is not None:
                errors.add(f"{prefix}.{name}", "is only for OAuth2 authorization (3)")
        return
    if not auth.token_url:
        errors.add(f"{prefix}.tokenUrl", "is required for OAuth2 authorization")
    if not auth.client_id:
        errors.add(f"{prefix}.clientId", "is required for OAuth2 authorization")
    if not auth.client_secret and not keeps_secret:
        errors.add(f"{prefix}.clientSecret", "is required for OAuth2 authorization")
    for name in ("clientId", "clientSecret", "audience"):
        value = fields[name]
        if value and _CONTROL.search(value):
            errors.add(f"{prefix}.{name}", "must not contain control characters")
    if auth.scope is not None and not _SCOPE.fullmatch(auth.scope):
        errors.add(f"{prefix}.scope", "must be scope tokens separated by single spaces (RFC 6749 §3.3)")


def oauth2_client(auth: TargetAuthorization) -> OAuth2Client | None:
    if auth.authorization_type is not AuthorizationType.OAUTH2 or not auth.token_url:
        return None
    return OAuth2Client(auth.token_url, auth.client_id or "", auth.scope or None, auth.audience or None)


def check_client_certificate(
    certificate: ClientCertificate, now: datetime, errors: ErrorCollector
) -> CertificateSummary:
    summary, problems = client_certificates.inspect(certificate.certificate, certificate.private_key, now)
    errors.errors.extend(problems)
    return summary


def certificate_refusal(target_url: str) -> str | None:
    """A client certificate is only ever presented in a TLS handshake."""
    if target_url.lower().startswith("https://"):
        return None
    return "is only presented over https://, and targetUrl is plain http://"
