"""Mock WMS: a ShipBob-flavoured 3PL whose warehouses pick, pack and ship in simulated time."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp

from harness.population import Population
from mocks.base import Mock, MockContext
from mocks.carrier import CarrierMock
from mocks.wms.api import CHANNEL_HEADER, build_app
from mocks.wms.behaviour import Fulfilment, Shift, WmsKnobs
from mocks.wms.events import RETRY_SCHEDULE, SYSTEM, WebhookDesk
from mocks.wms.state import WmsState

__all__ = ["CHANNEL_HEADER", "TOKEN", "Shift", "WmsKnobs", "WmsMock"]

TOKEN = "rehearse-wms-personal-access-token"
"""A fixed, documented personal access token: a mock guards nothing."""

WAREHOUSE_ADDRESSES = {
    "WH-EAST": {
        "company": "Rehearse Fulfilment East",
        "street1": "100 Dock Rd",
        "city": "Edison",
        "state": "NJ",
        "zip": "08817",
        "country": "US",
    },
    "WH-WEST": {
        "company": "Rehearse Fulfilment West",
        "street1": "200 Harbor Blvd",
        "city": "Ontario",
        "state": "CA",
        "zip": "91761",
        "country": "US",
    },
    "WH-CENTRAL": {
        "company": "Rehearse Fulfilment Central",
        "street1": "300 Freight Ave",
        "city": "Joliet",
        "state": "IL",
        "zip": "60436",
        "country": "US",
    },
}


class WmsMock(Mock):
    system = SYSTEM

    def __init__(self, context: MockContext, carrier: CarrierMock, knobs: WmsKnobs = WmsKnobs()) -> None:
        super().__init__(context)
        world = context.world
        self.knobs = knobs
        self.token = TOKEN
        self.state = WmsState(lambda: world.clock.datetime_at(world.env.now))
        self.channel = self.state.add_channel("rehearse integration", writable=True)
        self.state.add_channel("Storefront", writable=False)
        self.desk = WebhookDesk(self.state, context.outbox, knobs.topics)
        self.fulfilment = Fulfilment(context, self.state, carrier, self.desk, knobs)
        self.opening_stock: dict[str, int] = {}
        context.outbox.open_channel(SYSTEM, RETRY_SCHEDULE)

    def seed(self, population: Population) -> None:
        """The catalogue and opening stock per warehouse, as the 3PL's onboarding left them; then the
        floor opens. Each SKU starts out of stock everywhere with ``backorder_probability``."""
        rng = self.context.world.rng("wms.seed")
        for n, name in enumerate(population.locations):
            default = {
                "company": f"Rehearse Fulfilment {name}",
                "street1": f"{n + 1}00 Dock Rd",
                "city": "Edison",
                "state": "NJ",
                "zip": "08817",
                "country": "US",
            }
            self.state.add_warehouse(name, WAREHOUSE_ADDRESSES.get(name, default))
        for product in population.products:
            self.state.add_product(product.sku, product.name, product.weight_oz)
            short = rng.random() < self.knobs.backorder_probability
            for warehouse in self.state.warehouses:
                warehouse.on_hand[product.sku] = 0 if short else product.stock.get(warehouse.name, 0)
                warehouse.opening[product.sku] = warehouse.on_hand[product.sku]
        self.opening_stock = {sku: sum(w.on_hand[sku] for w in self.state.warehouses) for sku in self.state.products}
        self.fulfilment.open()

    def receive_stock(self, location: str, sku: str, quantity: int) -> None:
        """Inbound stock put away at a warehouse (a receiving order): backorders waiting on it ship."""
        warehouse = next(w for w in self.state.warehouses if w.name == location)
        self.fulfilment.receive_stock(warehouse, sku, quantity)

    def backlog(self) -> dict[str, int]:
        return self.fulfilment.backlog()

    def asgi_app(self) -> ASGIApp:
        return build_app(self.state, self.fulfilment, self.token)

    def sut_environment(self, base_url: str) -> dict[str, str]:
        return {
            "REHEARSE_WMS_URL": f"{base_url}/1.0",
            "REHEARSE_WMS_TOKEN": self.token,
            "REHEARSE_WMS_CHANNEL_ID": str(self.channel.id),
        }

    def snapshot(self) -> dict[str, Any]:
        state = self.state
        return {
            "orders": [
                {
                    "id": o.id,
                    "reference_id": o.reference_id,
                    "status": o.status,
                    "ordered": dict(o.ordered()),
                    "shipments": [
                        {
                            "id": s.id,
                            "status": s.status,
                            "stage": s.stage,
                            "location": s.location.name if s.location else None,
                            "lines": dict(s.lines),
                            "tracking_number": s.tracking["tracking_number"] if s.tracking else None,
                        }
                        for s in o.shipments
                    ],
                }
                for o in state.orders.values()
            ],
            "returns": [
                {
                    "id": r.id,
                    "reference_id": r.reference_id,
                    "status": r.status,
                    "original_shipment_id": r.shipment.id,
                    "items": [
                        {"sku": i.product.reference_id, "quantity": i.quantity, "actions": i.actions} for i in r.items
                    ],
                }
                for r in state.returns.values()
            ],
            "inventory": {w.name: {sku: w.on_hand[sku] for sku in state.products} for w in state.warehouses},
            "opening_stock": self.opening_stock,
            "shipped": dict(state.shipped),
            "received": dict(state.received),
            "written_off": dict(state.written_off),
            "ledger": [
                {
                    "sku": sku,
                    "location": w.name,
                    "opening": w.opening[sku],
                    "received": w.received[sku],
                    "shipped": w.shipped[sku],
                    "writtenOff": w.written_off[sku],
                    "onHand": w.on_hand[sku],
                    "allocated": w.allocated[sku],
                }
                for w in state.warehouses
                for sku in state.products
            ],
        }
