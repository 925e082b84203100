"""A day in the warehouse, in simulated time.

Orders are routed to warehouses the moment they arrive (split across buildings, or short of stock
and backordered). Pickers and packers work their shifts; between shifts nobody picks, so a surge
in the afternoon is still waiting the next morning and the backlog is visible. A packer buys the
label from the carrier; the parcel waits at the dock for the carrier's scan, which is when ShipBob
says the order shipped. Deliveries come back from the carrier's tracking. Returns arrive days
later, are inspected, and restockable units go back on the shelf.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import simpy

from mocks.base import MockContext
from mocks.carrier.errors import EasyPostError
from mocks.carrier.state import Tracker
from mocks.wms.events import SYSTEM, WebhookDesk
from mocks.wms.shapes import order_json, return_json, shipment_json
from mocks.wms.state import SHIPPING_METHODS, TOPICS, Order, Return, Shipment, Warehouse, WmsState

if TYPE_CHECKING:
    from mocks.carrier import CarrierMock

HOUR = 3600.0
DAY = 86400.0
BUSY_STAGES = ("Queued", "Picking", "Picked", "Packing")


@dataclass(frozen=True, slots=True)
class Shift:
    start_hour: int
    end_hour: int
    pickers: int
    packers: int


@dataclass(frozen=True, slots=True)
class WmsKnobs:
    """What a scenario may turn: the floor's capacity and how often orders split or run short."""

    shifts: tuple[Shift, ...] = (Shift(6, 14, 4, 3), Shift(14, 22, 3, 2))
    pick_minutes_per_shipment: float = 2.0
    pick_minutes_per_unit: float = 0.5
    pack_minutes_per_shipment: float = 3.0
    dock_minutes: tuple[float, float] = (20.0, 120.0)
    """From label to the carrier's scan at the dock."""
    split_probability: float = 0.1
    """An order spread over warehouses although one could serve it."""
    partial_probability: float = 0.03
    """An order with a line found short in its bin: those units are written off and backordered."""
    backorder_probability: float = 0.05
    """Per SKU at seeding: the SKU starts out of stock everywhere."""
    restock_after_hours: float | None = 36.0
    """Replenishment for a backordered SKU arrives this long after it first runs short (None: never)."""
    restock_quantity: int = 100
    onhold_probability: float = 0.01
    onhold_hours: tuple[float, float] = (2.0, 24.0)
    return_transit_days: tuple[float, float] = (2.0, 6.0)
    inspection_hours: tuple[float, float] = (4.0, 48.0)
    return_dispositions: tuple[float, float, float] = (0.85, 0.10, 0.05)
    """Weights of restock, damaged and wrong item, per returned unit."""
    topics: tuple[str, ...] = TOPICS
    """Topics sent to the SUT's receiver without an API subscription (the harness's own config)."""
    backlog_sample_minutes: float = 15.0


class Floor:
    """One warehouse's work queues."""

    def __init__(self, env: simpy.Environment, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.to_pick: simpy.Store = simpy.Store(env)
        self.to_pack: simpy.Store = simpy.Store(env)


class Fulfilment:
    def __init__(
        self, context: MockContext, state: WmsState, carrier: CarrierMock, desk: WebhookDesk, knobs: WmsKnobs
    ) -> None:
        self.context = context
        self.world = context.world
        self.state = state
        self.carrier = carrier
        self.desk = desk
        self.knobs = knobs
        self.rng = self.world.rng("wms.floor")
        self.floors: dict[int, Floor] = {}
        self.replenishing: set[str] = set()
        carrier.on_tracker_update(self.tracking_update)

    # -- opening the building ----------------------------------------------------------------------

    def open(self) -> None:
        """Start every warehouse's crew and the backlog gauge (after seeding made the warehouses)."""
        env = self.world.env
        for warehouse in self.state.warehouses:
            floor = self.floors[warehouse.id] = Floor(env, warehouse)
            for slot in range(max((s.pickers for s in self.knobs.shifts), default=0)):
                self.world.process(self.picker(floor, slot))
            for slot in range(max((s.packers for s in self.knobs.shifts), default=0)):
                self.world.process(self.packer(floor, slot))
        if self.knobs.backlog_sample_minutes > 0:
            self.world.process(self.gauge())

    # -- orders arrive -----------------------------------------------------------------------------

    def accept(self, order: Order) -> None:
        short: dict[str, int] = {}
        if self.rng.random() < self.knobs.partial_probability:
            line = self.rng.choice(order.lines)
            sku = line.product.reference_id
            fullest = max(self.state.warehouses, key=lambda w: w.available(sku))
            missing = min(self.rng.randint(1, line.quantity), max(fullest.available(sku), 0))
            if missing:
                self.state.write_off(fullest, sku, missing)
                self.context.record(SYSTEM, "stock.written_off", sku, {"location": fullest.name, "units": missing})
                short[sku] = missing
        split = self.rng.random() < self.knobs.split_probability
        shipments = self.state.allocate(order, self.rng, split=split, short=short)
        self.context.record(
            SYSTEM,
            "order.routed",
            order.reference_id,
            {"order": order.id, "shipments": {s.id: s.lines for s in shipments}, "split": split, "short": short},
        )
        for shipment in shipments:
            if shipment.stage == "Backordered":
                self.backordered(shipment)
            elif self.rng.random() < self.knobs.onhold_probability:
                self.hold(shipment, "Address needs validation", self.rng.uniform(*self.knobs.onhold_hours) * HOUR)
            else:
                self.release(shipment)

    def release(self, shipment: Shipment) -> None:
        assert shipment.location is not None
        self.floors[shipment.location.id].to_pick.put(shipment)

    def hold(self, shipment: Shipment, reason: str, for_seconds: float | None) -> None:
        self.state.move(shipment, "OnHold")
        shipment.hold_reason = reason
        self.publish_shipment("shipment_onhold", shipment)
        if for_seconds is not None:
            self.world.process(self.lift_hold(shipment, for_seconds))

    def lift_hold(self, shipment: Shipment, after: float) -> Generator[simpy.Event, Any, None]:
        yield self.world.env.timeout(after)
        if shipment.stage == "OnHold":
            self.state.move(shipment, "Queued")
            shipment.hold_reason = None
            self.release(shipment)

    def backordered(self, shipment: Shipment) -> None:
        self.publish_shipment("shipment_exception", shipment)
        after = self.knobs.restock_after_hours
        if after is None:
            return
        for sku in shipment.lines:
            if sku not in self.replenishing:
                self.replenishing.add(sku)
                self.world.process(self.replenish(sku, after * HOUR))

    def replenish(self, sku: str, after: float) -> Generator[simpy.Event, Any, None]:
        """A purchase order for a short SKU lands at the first warehouse."""
        yield self.world.env.timeout(after)
        self.replenishing.discard(sku)
        waiting = sum(s.lines.get(sku, 0) for s in self.state.backorders.values())
        self.receive_stock(self.state.warehouses[0], sku, max(self.knobs.restock_quantity, waiting))

    def receive_stock(self, warehouse: Warehouse, sku: str, quantity: int) -> None:
        ready = self.state.receive_stock(warehouse, sku, quantity)
        self.context.record(
            SYSTEM,
            "stock.received",
            sku,
            {"location": warehouse.name, "units": quantity, "released": [s.id for s in ready]},
        )
        for shipment in ready:
            self.release(shipment)

    # -- the crew ----------------------------------------------------------------------------------

    def shift_window(self, slot: int, role: str) -> tuple[float, float]:
        """Seconds until this worker's next shift starts (0 when on shift now) and until it ends."""
        moment = self.world.clock.datetime_at(self.world.env.now)
        midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        for day in range(3):
            for shift in sorted(self.knobs.shifts, key=lambda s: s.start_hour):
                if slot >= getattr(shift, role):
                    continue
                start = midnight + timedelta(days=day, hours=shift.start_hour)
                end = midnight + timedelta(days=day, hours=shift.end_hour)
                if end <= moment:
                    continue
                return max((start - moment).total_seconds(), 0.0), (end - moment).total_seconds()
        return math.inf, math.inf

    def next_task(self, store: simpy.Store, slot: int, role: str) -> Generator[simpy.Event, Any, Shipment | None]:
        """Wait for the shift, then for work until the shift ends; None when the shift ended first."""
        env = self.world.env
        wait, until_end = self.shift_window(slot, role)
        if wait > 0:
            yield env.timeout(wait)
            return None
        request = store.get()
        yield request | env.timeout(until_end)
        if not request.triggered:
            request.cancel()
            return None
        shipment = request.value
        assert isinstance(shipment, Shipment)
        return shipment

    def picker(self, floor: Floor, slot: int) -> Generator[simpy.Event, Any, None]:
        knobs = self.knobs
        while True:
            shipment = yield from self.next_task(floor.to_pick, slot, "pickers")
            if shipment is None or shipment.stage != "Queued":
                continue
            self.state.move(shipment, "Picking")
            units = sum(shipment.lines.values())
            minutes = knobs.pick_minutes_per_shipment + knobs.pick_minutes_per_unit * units
            yield self.world.env.timeout(minutes * 60 * self.rng.uniform(0.7, 1.3))
            self.state.move(shipment, "Picked")
            floor.to_pack.put(shipment)

    def packer(self, floor: Floor, slot: int) -> Generator[simpy.Event, Any, None]:
        while True:
            shipment = yield from self.next_task(floor.to_pack, slot, "packers")
            if shipment is None:
                continue
            self.state.move(shipment, "Packing")
            yield self.world.env.timeout(self.knobs.pack_minutes_per_shipment * 60 * self.rng.uniform(0.7, 1.3))
            self.buy_label(shipment)

    def buy_label(self, shipment: Shipment) -> None:
        order = self.state.orders[shipment.order_id]
        warehouse = shipment.location
        assert warehouse is not None
        address = order.recipient["address"]
        weight = sum(self.state.products[sku].weight_oz * q for sku, q in shipment.lines.items()) + 4.0
        service = SHIPPING_METHODS.get(order.shipping_method.strip().lower(), "GroundAdvantage")
        try:
            label = self.carrier.purchase_label(
                {
                    "name": order.recipient["name"],
                    "street1": address["address1"],
                    "street2": address["address2"],
                    "city": address["city"],
                    "state": address["state"],
                    "zip": address["zip_code"],
                    "country": address["country"],
                },
                warehouse.address,
                weight,
                service,
                f"{order.reference_id}/{shipment.id}",
            )
        except EasyPostError as refused:
            self.hold(shipment, f"Carrier refused the label: {refused.message}", None)
            return
        self.state.label(
            shipment,
            {
                "carrier": label.carrier,
                "carrier_service": label.service,
                "tracking_number": label.tracking_code,
                "tracking_url": label.tracking_url,
                "bol": None,
                "shipping_date": None,
            },
        )
        self.context.record(
            SYSTEM, "shipment.labelled", order.reference_id, {"shipment": shipment.id, "tracking": label.tracking_code}
        )
        self.world.process(self.dock(shipment))

    def dock(self, shipment: Shipment) -> Generator[simpy.Event, Any, None]:
        yield self.world.env.timeout(self.rng.uniform(*self.knobs.dock_minutes) * 60)
        self.state.ship(shipment)
        order = self.state.orders[shipment.order_id]
        self.context.record(
            SYSTEM, "shipment.shipped", order.reference_id, {"shipment": shipment.id, "lines": shipment.lines}
        )
        tracking = shipment.tracking["tracking_number"] if shipment.tracking else ""
        self.desk.publish(
            "order_shipped", order_json(self.state, order), order.reference_id, str(shipment.id), tracking
        )

    # -- news from outside -------------------------------------------------------------------------

    def tracking_update(self, tracker: Tracker, previous: str) -> None:
        shipment = self.state.by_tracking.get(tracker.tracking_code)
        if shipment is None or tracker.status != "delivered" or shipment.stage == "Delivered":
            return
        self.state.move(shipment, "Delivered")
        shipment.delivery_date = shipment.last_update_at
        self.publish_shipment("shipment_delivered", shipment)

    def cancel(self, order: Order) -> list[Shipment]:
        cancelled = self.state.cancel(order)
        if cancelled:
            self.context.record(SYSTEM, "order.cancelled", order.reference_id, {"shipments": [s.id for s in cancelled]})
        for shipment in cancelled:
            self.publish_shipment("shipment_cancelled", shipment)
        return cancelled

    # -- returns -----------------------------------------------------------------------------------

    def returned(self, record: Return) -> None:
        self.world.process(self.return_journey(record))

    def return_journey(self, record: Return) -> Generator[simpy.Event, Any, None]:
        env = self.world.env
        knobs = self.knobs
        yield env.timeout(self.rng.uniform(*knobs.return_transit_days) * DAY)
        if record.status == "Cancelled":
            return
        record.status, record.arrived_date = "Arrived", self.state.now()
        yield env.timeout(self.rng.uniform(*knobs.inspection_hours) * HOUR / 2)
        record.status = "Processing"
        yield env.timeout(self.rng.uniform(*knobs.inspection_hours) * HOUR / 2)
        for item in record.items:
            verdicts = self.rng.choices(
                ("restock", "damaged", "wrong_item"), knobs.return_dispositions, k=item.quantity
            )
            restocked = self.state.inspect(item, verdicts)
            if restocked:
                self.receive_stock(record.location, item.product.reference_id, restocked)
        record.status, record.completed_date = "Completed", self.state.now()
        self.context.record(SYSTEM, "return.completed", record.reference_id, {"return": record.id})
        self.desk.publish("return.completed", return_json(record), record.reference_id, str(record.id))

    # -- gauges ------------------------------------------------------------------------------------

    def backlog(self) -> dict[str, int]:
        """Shipments waiting for or being worked by the crew, per warehouse."""
        counts = {w.name: 0 for w in self.state.warehouses}
        for shipment in self.state.shipments.values():
            if shipment.stage in BUSY_STAGES and shipment.location is not None:
                counts[shipment.location.name] += 1
        return counts

    def gauge(self) -> Generator[simpy.Event, Any, None]:
        while True:
            self.context.record(SYSTEM, "wms.backlog", None, self.backlog())
            yield self.world.env.timeout(self.knobs.backlog_sample_minutes * 60)

    def publish_shipment(self, topic: str, shipment: Shipment) -> None:
        order = self.state.orders[shipment.order_id]
        self.desk.publish(topic, shipment_json(self.state, shipment), order.reference_id, str(shipment.id))
