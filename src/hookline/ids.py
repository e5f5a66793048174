"""Opaque public ids: a kind prefix and 128 random bits, e.g. `wh_3kTq...`."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(16)}"
