"""Client certificates for mutual TLS: checked when registered, kept as one encrypted PEM bundle.

The bundle (certificate chain, then the private key) is what `ssl.SSLContext.load_cert_chain`
reads from a single file, so delivery hands it over as it is stored (delivery/tls.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)

from hookline.domain.credentials import CertificateSummary
from hookline.domain.errors import FieldError

FIELD = "clientCertificate"


def inspect(certificate: str, private_key: str, now: datetime) -> tuple[CertificateSummary, list[FieldError]]:
    """The summary answers show, and what is wrong with the pair: each PEM must parse, the
    key must be unencrypted and belong to the (first) certificate, which must be valid now."""
    errors: list[FieldError] = []
    try:
        chain = x509.load_pem_x509_certificates(certificate.encode())
    except ValueError:
        chain = []
        errors.append(FieldError(f"{FIELD}.certificate", "must be a certificate in PEM (BEGIN CERTIFICATE)"))
    try:
        key = load_pem_private_key(private_key.encode(), password=None)
    except TypeError:
        key = None
        errors.append(FieldError(f"{FIELD}.privateKey", "must not be encrypted with a passphrase"))
    except (ValueError, UnsupportedAlgorithm):
        key = None
        errors.append(FieldError(f"{FIELD}.privateKey", "must be a private key in PEM (BEGIN PRIVATE KEY)"))
    if not chain:
        return CertificateSummary("", now), errors
    leaf = chain[0]
    summary = CertificateSummary(leaf.subject.rfc4514_string(), leaf.not_valid_after_utc)
    if key is not None and _public(key.public_key()) != _public(leaf.public_key()):
        errors.append(FieldError(f"{FIELD}.privateKey", "does not belong to the certificate"))
    if leaf.not_valid_after_utc <= now:
        errors.append(FieldError(f"{FIELD}.certificate", f"expired at {_iso(leaf.not_valid_after_utc)}"))
    elif leaf.not_valid_before_utc > now:
        errors.append(
            FieldError(f"{FIELD}.certificate", f"is not valid before {_iso(leaf.not_valid_before_utc)}")
        )
    return summary, errors


def bundle(certificate: str, private_key: str) -> str:
    """The PEM text delivery loads: the chain first, then the key."""
    return f"{certificate.strip()}\n{private_key.strip()}\n"


def _public(key: PublicKeyTypes) -> bytes:
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
