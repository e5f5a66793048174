"""What every use case shares: the process's parts, and look-ups that confine to an organization."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hookline.clock import Clock
from hookline.crypto import SecretBox, hash_api_key
from hookline.domain.catalog import Catalog
from hookline.domain.enums import Role
from hookline.domain.errors import InvalidInput, NotFound
from hookline.domain.records import Registration, Webhook
from hookline.service.fanout import FanOut
from hookline.service.health import Health
from hookline.service.ports import ProbeSender, TargetCheck
from hookline.store import registrations as reg_store
from hookline.store import webhooks as webhooks_store
from hookline.store.db import Connection, Database


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a role, and the organization it is confined to (None: admin, any)."""

    role: Role
    organization_id: str | None
    key_id: str | None = None


class UseCases:
    """The parts a use case works with; the runtime builds them once per process."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        box: SecretBox,
        catalog: Catalog,
        guard: TargetCheck,
        probe_sender: ProbeSender,
        fanout: FanOut,
        health: Health,
        max_event_data_bytes: int,
        admin_key: str | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.box = box
        self.catalog = catalog
        self.guard = guard
        self.probe_sender = probe_sender
        self.max_event_data_bytes = max_event_data_bytes
        self._admin_key_hash = hash_api_key(admin_key) if admin_key else None
        self._fanout = fanout
        self._health = health
        self._checked_keys: dict[str, tuple[Principal, datetime]] = {}

    async def _registration(
        self, conn: Connection, registration_id: str, organization_id: str | None
    ) -> Registration:
        found = await reg_store.get_registration(conn, registration_id, organization_id)
        if found is None:
            raise NotFound(f"no webhook registration {registration_id!r}")
        return found

    async def _webhook(self, conn: Connection, webhook_id: str, organization_id: str | None) -> Webhook:
        found = await webhooks_store.get_webhook(conn, webhook_id, organization_id)
        if found is None:
            raise NotFound(f"no webhook {webhook_id!r}")
        return found

    def _canonical_entity(self, name: str, field_name: str) -> str:
        try:
            return self.catalog.canonical(name)
        except ValueError as error:
            raise InvalidInput.one(field_name, str(error)) from None
