"""The entity catalog: the entity names that may be subscribed to."""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_ENTITIES = (
    "Account", "AccountGroup", "Attribute", "Conference", "ConsumptionMeter",
    "ConsumptionReading", "Document", "Entrance", "File", "Inquiry", "Mandate", "Notice",
    "Party", "Process", "Property", "Tenant", "TimeTracking", "Topic", "Unit", "UnitContract",
    "UnitType", "UserTask", "VotingGroup", "WorkOrder",
)  # fmt: skip

OPERATIONAL_ENTITIES = ("Webhook", "WebhookRegistration")
"""hookline's own entities (a Webhook that Failed, a registration it deactivated): subscribable
like any other, so an organization can watch its webhooks' health, but published only by
hookline itself."""


class Catalog:
    """Case-insensitive look-up that answers the catalog's own spelling."""

    def __init__(self, names: Iterable[str]) -> None:
        domain = dict.fromkeys(name.strip() for name in names if name.strip())
        self.domain_names = tuple(name for name in domain if name not in OPERATIONAL_ENTITIES)
        self.names = self.domain_names + OPERATIONAL_ENTITIES
        self._by_folded = {name.casefold(): name for name in self.names}

    def canonical(self, name: str) -> str:
        """The catalog spelling of `name`, or ValueError listing the valid names."""
        found = self._by_folded.get(name.strip().casefold())
        if found is None:
            raise ValueError(f"unknown entity {name!r}; valid: {', '.join(self.names)}")
        return found

    def publishable(self, name: str) -> str:
        """`canonical`, refusing the operational entities, which only hookline publishes."""
        found = self.canonical(name)
        if found in OPERATIONAL_ENTITIES:
            raise ValueError(
                f"{found} events are published by hookline itself; valid: {', '.join(self.domain_names)}"
            )
        return found
