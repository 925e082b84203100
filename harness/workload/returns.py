"""Customers sending back part of a delivered order: a service agent opens the return case (W6).

A customer can only return what reached them, so the desk watches the warehouse for orders whose
every parcel was delivered. Whether an order comes back, when, and what is in the parcel are
drawn from a stream of the order's own, so the same order returns the same way in every run of a
seed, whatever order the deliveries happened in.
"""

from __future__ import annotations

import random
from collections.abc import Generator, Sequence
from typing import Any

import simpy

from harness.world import World
from mocks.erp import ErpMock
from mocks.salesforce import ReturnedLine, SalesforceMock
from mocks.wms import WmsMock
from mocks.wms.state import Order, Shipment
from scenarios import ReturnWorkload

WATCH_SECONDS = 300.0
"""How often (simulated) the desk looks for newly delivered orders."""


class ReturnRequests:
    def __init__(
        self,
        world: World,
        salesforce: SalesforceMock,
        erps: Sequence[ErpMock],
        wms: WmsMock,
        spec: ReturnWorkload,
        duration: float,
    ) -> None:
        self.world = world
        self.salesforce = salesforce
        self.erps = erps
        """Every ERP account: across a cutover an order is booked in the legacy one or its successor."""
        self.wms = wms
        self.spec = spec
        self.duration = duration
        self.considered: set[int] = set()
        self.opened = 0

    def run(self) -> Generator[simpy.Event, Any, None]:
        env = self.world.env
        while env.now < self.duration:
            for order in list(self.wms.state.orders.values()):
                if order.id in self.considered or not _delivered(order):
                    continue
                self.considered.add(order.id)
                self._decide(order)
            yield env.timeout(WATCH_SECONDS)

    def _decide(self, order: Order) -> None:
        salesforce_order_id = self._salesforce_order(order)
        if salesforce_order_id is None:
            return
        rng = self.world.rng(f"workload.returns.{salesforce_order_id}")
        if rng.random() >= self.spec.share:
            return
        delay = self.spec.delay.sample(rng)
        parcel = rng.choice([s for s in order.shipments if s.stage == "Delivered"])
        lines = self._lines(salesforce_order_id, parcel, rng.randint(*self.spec.lines), rng)
        if not lines:
            return

        def story() -> Generator[simpy.Event, Any, None]:
            yield self.world.env.timeout(delay)
            if self.world.env.now < self.duration:
                self.salesforce.service.open_return(salesforce_order_id, lines)
                self.opened += 1

        self.world.process(story())

    def _salesforce_order(self, order: Order) -> str | None:
        """The WMS order's reference is the ERP order's internal id (W3), which names the Salesforce order (W1)."""
        for erp in self.erps:
            erp_order = erp.state.sales_orders.get(order.reference_id)
            if erp_order is not None:
                return erp_order.external_id or erp_order.other_ref_num
        return None

    def _lines(self, order_id: str, parcel: Shipment, count: int, rng: random.Random) -> list[ReturnedLine]:
        """Order lines whose SKU the parcel carried, each 1 to all of the units the parcel brought."""
        items = [
            item
            for item in self.salesforce.state.where("OrderItem", OrderId=order_id)
            if parcel.lines.get(item["SKU__c"], 0) > 0
        ]
        items.sort(key=lambda item: str(item["Id"]))
        chosen = rng.sample(items, min(count, len(items)))
        left = dict(parcel.lines)
        lines = []
        for item in chosen:
            most = min(int(item["Quantity"]), left[item["SKU__c"]])
            if most < 1:
                continue
            quantity = rng.randint(1, most)
            left[item["SKU__c"]] -= quantity
            lines.append(ReturnedLine(str(item["Id"]), quantity, rng.choice(REASONS)))
        return lines


REASONS = ("Changed mind", "Wrong size", "Damaged in transit", "Not as described")


def _delivered(order: Order) -> bool:
    """Every live parcel delivered and nothing still to come: the order as the customer holds it."""
    live = [s for s in order.shipments if s.live]
    return bool(live) and all(s.stage == "Delivered" for s in live)
