"""The entity catalog: case-insensitive look-up, answering the catalog's own spelling."""

from __future__ import annotations

import pytest

from hookline.domain.catalog import DEFAULT_ENTITIES, OPERATIONAL_ENTITIES, Catalog

# DESIGN.md, "Entity catalog (built-in default)"
DESIGNED = (
    "Account, AccountGroup, Attribute, Conference, ConsumptionMeter, ConsumptionReading, "
    "Document, Entrance, File, Inquiry, Mandate, Notice, Party, Process, Property, Tenant, "
    "TimeTracking, Topic, Unit, UnitContract, UnitType, UserTask, VotingGroup, WorkOrder"
)


def test_default_catalog_is_the_designed_one():
    assert tuple(DESIGNED.split(", ")) == DEFAULT_ENTITIES
    assert len(DEFAULT_ENTITIES) == 24
    assert Catalog(DEFAULT_ENTITIES).names == DEFAULT_ENTITIES + OPERATIONAL_ENTITIES


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("Process", "Process"),
        ("process", "Process"),
        ("PROCESS", "Process"),
        (" Process ", "Process"),
        ("workorder", "WorkOrder"),
        ("UNITCONTRACT", "UnitContract"),
        ("consumptionreading", "ConsumptionReading"),
    ],
)
def test_canonical_spelling(name, canonical):
    assert Catalog(DEFAULT_ENTITIES).canonical(name) == canonical


@pytest.mark.parametrize("name", ["Proces", "Processes", "", "  ", "Work Order", "Unit Contract"])
def test_unknown_name_lists_the_valid_ones(name):
    with pytest.raises(ValueError) as caught:
        Catalog(DEFAULT_ENTITIES).canonical(name)
    message = str(caught.value)
    assert message.startswith(f"unknown entity {name!r}; valid: ")
    assert message.endswith(", ".join(DEFAULT_ENTITIES + OPERATIONAL_ENTITIES))


def test_custom_catalog_strips_drops_blanks_and_keeps_first_order():
    catalog = Catalog([" Invoice ", "", "  ", "Order", "Invoice"])
    assert catalog.names == ("Invoice", "Order", *OPERATIONAL_ENTITIES)
    assert catalog.canonical("invoice") == "Invoice"
    with pytest.raises(ValueError, match=r"valid: Invoice, Order, Webhook, WebhookRegistration$"):
        catalog.canonical("Process")


@pytest.mark.parametrize("name", ["Webhook", "webhookregistration"])
def test_operational_entities_are_subscribable_but_not_publishable(name):
    catalog = Catalog(["Invoice", "Webhook"])  # naming one in HOOKLINE_ENTITIES changes nothing
    assert catalog.names == ("Invoice", *OPERATIONAL_ENTITIES)
    assert catalog.canonical(name) in OPERATIONAL_ENTITIES
    with pytest.raises(ValueError, match=r"published by hookline itself; valid: Invoice$"):
        catalog.publishable(name)
    assert catalog.publishable("INVOICE") == "Invoice"
