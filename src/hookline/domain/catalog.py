"""The entity catalog: the entity names that may be subscribed to."""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_ENTITIES = (
    "Account", "AccountGroup", "Attribute", "Conference", "ConsumptionMeter",
    "ConsumptionReading", "Document", "Entrance", "File", "Inquiry", "Mandate", "Notice",
    "Party", "Process", "Property", "Tenant", "TimeTracking", "Topic", "Unit", "UnitContract",
    "UnitType", "UserTask", "VotingGroup", "WorkOrder",
)  # fmt: skip


class Catalog:
    """Case-insensitive look-up that answers the catalog's own spelling."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(dict.fromkeys(name.strip() for name in names if name.strip()))
        self._by_folded = {name.casefold(): name for name in self.names}

    def canonical(self, name: str) -> str:
        """The catalog spelling of `name`, or ValueError listing the valid names."""
        found = self._by_folded.get(name.strip().casefold())
        if found is None:
            raise ValueError(f"unknown entity {name!r}; valid: {', '.join(self.names)}")
        return found
