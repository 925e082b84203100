"""Provider states a consumer's pact may name, and how each seeds the mocks before an interaction.

A pact interaction says what it assumes of the provider (``given("customer C1 exists")``); the
verifier asks for that state before replaying it. States are matched by their wording, so a pact
written by hand or by any Pact library works; the values in the wording (``C1``, ``SKU-1``) may also
come as the state's parameters. ``contracts/provider-states.md`` lists them for consumer teams.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.stage import Stage
from mocks.erp.errors import NetSuiteError


class UnknownState(LookupError):
    """A pact names a state no handler knows: the interaction cannot be set up, so it fails."""


@dataclass(frozen=True, slots=True)
class ProviderState:
    pattern: re.Pattern[str]
    seed: Callable[[Stage, dict[str, str]], None]
    example: str


def _erp_has(stage: Stage, record_type: str, external_id: str) -> bool:
    erp = stage.erp.state
    try:
        if record_type == "salesOrder":
            erp.transaction(record_type, f"eid:{external_id}")
        else:
            erp.entity(record_type, f"eid:{external_id}")
    except NetSuiteError:
        return False
    return True


def _customer(stage: Stage, values: dict[str, str]) -> None:
    """An ERP customer keyed by the Salesforce account id the consumer uses as external id."""
    external_id = values["customer"]
    if not _erp_has(stage, "customer", external_id):
        stage.erp.state.add_customer(f"Customer {external_id}", external_id)


def _stock(stage: Stage, values: dict[str, str]) -> None:
    """The item at that location in both the ERP's books and the warehouse's shelves."""
    sku, location, quantity = values["sku"], values["location"], int(values["quantity"])
    erp = stage.erp.state
    if not _erp_has(stage, "location", location):
        erp.add_location(location)
    if not _erp_has(stage, "inventoryItem", sku):
        erp.add_item(sku, f"Item {sku}", basePrice=10.0)
    erp.set_opening_stock(erp.item_by_sku(sku).id, erp.location_named(location).id, quantity)
    wms = stage.wms.state
    if sku not in wms.products:
        wms.add_product(sku, f"Item {sku}", 16.0)
    warehouse = next((w for w in wms.warehouses if w.name == location), None)
    if warehouse is None:
        warehouse = wms.add_warehouse(location, {"company": location, "country": "US"})
    warehouse.on_hand[sku] = quantity


def _sales_order(stage: Stage, values: dict[str, str]) -> None:
    """A booked ERP sales order with that external id, one line of an item in stock."""
    external_id = values["order"]
    if _erp_has(stage, "salesOrder", external_id):
        return
    _customer(stage, {"customer": values.get("customer", "C1")})
    _stock(stage, {"sku": values.get("sku", "SKU-1"), "location": values.get("location", "WH-EAST"), "quantity": "5"})
    stage.erp.state.create_sales_order(
        {
            "entity": {"externalId": values.get("customer", "C1")},
            "item": {"items": [{"item": {"externalId": values.get("sku", "SKU-1")}, "quantity": 1}]},
        },
        external_id,
    )


STATES = (
    ProviderState(re.compile(r"customer (?P<customer>\S+) exists"), _customer, "customer C1 exists"),
    ProviderState(
        re.compile(r"item (?P<sku>\S+) has (?P<quantity>\d+) available at (?P<location>\S+)"),
        _stock,
        "item SKU-1 has 5 available at WH-EAST",
    ),
    ProviderState(re.compile(r"sales order (?P<order>\S+) exists"), _sales_order, "sales order SO-1 exists"),
)


def is_known(state: str) -> bool:
    return not state.strip() or any(known.pattern.fullmatch(state.strip()) for known in STATES)


def set_up(stage: Stage, state: str, parameters: dict[str, Any] | None) -> None:
    """Seed the mocks for one named state; its parameters override the values in its wording.

    Pact sends the empty state around every interaction, for a generic set-up: there is none.
    """
    if not state.strip():
        return
    for known in STATES:
        match = known.pattern.fullmatch(state.strip())
        if match is not None:
            values = {**match.groupdict(), **{k: str(v) for k, v in (parameters or {}).items()}}
            try:
                known.seed(stage, values)
            except (NetSuiteError, ValueError) as exc:
                raise UnknownState(f"provider state {state!r} could not be set up: {exc}") from exc
            return
    raise UnknownState(
        f"unknown provider state {state!r}; known: {', '.join(repr(s.example) for s in STATES)}"
        " (see contracts/provider-states.md)"
    )
