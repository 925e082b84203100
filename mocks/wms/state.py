"""The 3PL's books, ShipBob-shaped: channels, products, warehouses with stock, orders, shipments, returns.

Plain Python, no time: the floor (behaviour.py) moves shipments through their stages and calls in
here. The books keep one invariant the checkers rely on: every unit of every order line sits in
exactly one live shipment (a backordered unit sits in the order's out-of-stock shipment), so per
SKU, the lines of an order's live shipments add up to what was ordered.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mocks.wms.errors import ShipBobError, invalid, not_found

TOPICS = (
    "order_shipped",
    "shipment_delivered",
    "shipment_exception",
    "shipment_onhold",
    "shipment_cancelled",
    "return.completed",
)
"""ShipBob 1.0 webhook topics; returns have no 1.0 topic, so theirs keeps the dated API's name."""

SHIPPING_METHODS = {
    "standard": "GroundAdvantage",
    "ground": "GroundAdvantage",
    "expedited": "Priority",
    "2-day": "Priority",
    "priority": "Priority",
    "overnight": "Express",
    "next day": "Express",
    "express": "Express",
}
"""Ship option -> carrier service; anything else ships ground."""

STAGES_BEFORE_PICKING = frozenset({"Queued", "OnHold", "Backordered"})
LIVE_STAGES = frozenset(
    {"Queued", "OnHold", "Backordered", "Picking", "Picked", "Packing", "Packed", "Shipped", "Delivered"}
)
SHIPPED_STAGES = frozenset({"Shipped", "Delivered"})


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


@dataclass(slots=True)
class Channel:
    id: int
    name: str
    writable: bool


@dataclass(slots=True)
class Product:
    id: int
    reference_id: str
    name: str
    weight_oz: float


@dataclass(slots=True)
class Warehouse:
    id: int
    name: str
    address: dict[str, str]
    on_hand: Counter[str] = field(default_factory=Counter)
    allocated: Counter[str] = field(default_factory=Counter)
    opening: Counter[str] = field(default_factory=Counter)
    """The building's ledger, which conservation per SKU and location is checked against."""
    received: Counter[str] = field(default_factory=Counter)
    shipped: Counter[str] = field(default_factory=Counter)
    written_off: Counter[str] = field(default_factory=Counter)

    def available(self, sku: str) -> int:
        return self.on_hand[sku] - self.allocated[sku]


@dataclass(slots=True)
class Shipment:
    id: int
    order_id: int
    stage: str
    lines: dict[str, int]
    created_date: str
    last_update_at: str
    location: Warehouse | None = None
    hold_reason: str | None = None
    tracking: dict[str, Any] | None = None
    actual_fulfillment_date: str | None = None
    delivery_date: str | None = None

    @property
    def status(self) -> str:
        """The vendor's shipment status for the floor stage."""
        if self.stage == "Backordered":
            return "Exception"
        if self.stage == "OnHold":
            return "OnHold"
        if self.stage == "Cancelled":
            return "Cancelled"
        if self.stage in SHIPPED_STAGES:
            return "Completed"
        if self.stage == "Packed":
            return "LabeledCreated"
        return "Processing"

    @property
    def live(self) -> bool:
        return self.stage in LIVE_STAGES


@dataclass(slots=True)
class OrderLine:
    product: Product
    quantity: int


@dataclass(slots=True)
class Order:
    id: int
    channel: Channel
    reference_id: str
    order_number: str | None
    recipient: dict[str, Any]
    lines: list[OrderLine]
    shipping_method: str
    type: str
    created_date: str
    cancelled: bool = False
    shipments: list[Shipment] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.cancelled:
            return "Cancelled"
        live = [s for s in self.shipments if s.live]
        shipped = [s for s in live if s.stage in SHIPPED_STAGES]
        if live and len(shipped) == len(live):
            return "Fulfilled"
        if shipped:
            return "PartiallyFulfilled"
        if any(s.stage == "Backordered" for s in live):
            return "Exception"
        return "Processing"

    def ordered(self) -> Counter[str]:
        wanted: Counter[str] = Counter()
        for line in self.lines:
            wanted[line.product.reference_id] += line.quantity
        return wanted


@dataclass(slots=True)
class ReturnItem:
    product: Product
    quantity: int
    actions: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class Return:
    id: int
    channel: Channel
    reference_id: str
    shipment: Shipment
    location: Warehouse
    items: list[ReturnItem]
    tracking_number: str | None
    insert_date: str
    status: str = "Awaiting Arrival"
    arrived_date: str | None = None
    completed_date: str | None = None


@dataclass(slots=True)
class Subscription:
    id: int
    topic: str
    subscription_url: str
    created_at: str


class WmsState:
    def __init__(self, stamp: Callable[[], datetime]) -> None:
        self._stamp = stamp
        self._ids = {"order": 100_000, "shipment": 200_000, "return": 300_000, "product": 4_000, "webhook": 50}
        self.channels: dict[int, Channel] = {}
        self.products: dict[str, Product] = {}
        self.warehouses: list[Warehouse] = []
        self.orders: dict[int, Order] = {}
        self.shipments: dict[int, Shipment] = {}
        self.returns: dict[int, Return] = {}
        self.subscriptions: dict[int, Subscription] = {}
        self._by_reference: dict[tuple[int, str], int] = {}
        self._returns_by_reference: dict[tuple[int, str], int] = {}
        self.by_tracking: dict[str, Shipment] = {}
        self.backorders: dict[int, Shipment] = {}
        """Shipments waiting for stock, oldest first."""
        self.written_off: Counter[str] = Counter()
        """Units found missing in their bins at picking (cycle-count adjustments), per SKU."""
        self.received: Counter[str] = Counter()
        """Units received into stock after seeding (replenishment and restocked returns), per SKU."""
        self.shipped: Counter[str] = Counter()

    def mint(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def now(self) -> str:
        return iso(self._stamp())

    # -- master data -------------------------------------------------------------------------------

    def add_channel(self, name: str, *, writable: bool) -> Channel:
        channel = Channel(len(self.channels) + 100, name, writable)
        self.channels[channel.id] = channel
        return channel

    def add_product(self, sku: str, name: str, weight_oz: float) -> Product:
        product = Product(self.mint("product"), sku, name, weight_oz)
        self.products[sku] = product
        return product

    def add_warehouse(self, name: str, address: dict[str, str]) -> Warehouse:
        warehouse = Warehouse(len(self.warehouses) + 1, name, address)
        self.warehouses.append(warehouse)
        return warehouse

    def product_by_id(self, product_id: Any) -> Product | None:
        return next((p for p in self.products.values() if p.id == product_id), None)

    # -- orders ------------------------------------------------------------------------------------

    def order(self, order_id: int, channel: Channel | None = None) -> Order:
        found = self.orders.get(order_id)
        if found is None or (channel is not None and found.channel.id != channel.id):
            raise not_found("Order")
        return found

    def create_order(self, channel: Channel, body: dict[str, Any]) -> Order:
        """Validate everything first: a refused order leaves no trace in the books."""
        reference = body.get("reference_id")
        if not isinstance(reference, str) or not reference.strip():
            raise invalid("reference_id", "The ReferenceId field is required.")
        if (channel.id, reference) in self._by_reference:
            existing = self._by_reference[(channel.id, reference)]
            raise ShipBobError(
                422,
                {"reference_id": [f"Order with reference id {reference} already exists (order id {existing})."]},
                title="Duplicate reference ID",
            )
        recipient = _recipient(body.get("recipient"))
        method = body.get("shipping_method")
        if not isinstance(method, str) or not method.strip():
            raise invalid("shipping_method", "The ShippingMethod field is required.")
        kind = body.get("type", "DTC")
        if kind not in ("DTC", "B2B"):
            raise invalid("type", "The Type field must be DTC or B2B.")
        number = body.get("order_number")
        if number is not None and not isinstance(number, str | int):
            raise invalid("order_number", "The OrderNumber field must be a string.")
        lines, new_products = self._lines(body.get("products"))
        for product in new_products:
            self.products[product.reference_id] = product
        order = Order(
            id=self.mint("order"),
            channel=channel,
            reference_id=reference,
            order_number=None if number is None else str(number),
            recipient=recipient,
            lines=lines,
            shipping_method=method,
            type=kind,
            created_date=self.now(),
        )
        self.orders[order.id] = order
        self._by_reference[(channel.id, reference)] = order.id
        return order

    def _lines(self, raw: Any) -> tuple[list[OrderLine], list[Product]]:
        if not isinstance(raw, list) or not raw:
            raise invalid("products", "The Products field is required.")
        lines: list[OrderLine] = []
        created: dict[str, Product] = {}
        for n, item in enumerate(raw):
            path = f"products[{n}]"
            if not isinstance(item, dict):
                raise invalid(path, "Each product must be an object.")
            quantity = item.get("quantity")
            if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity <= 100_000:
                raise invalid(f"{path}.quantity", "Quantity must be a whole number between 1 and 100000.")
            product: Product | None
            if "id" in item and item["id"] is not None:
                product = self.product_by_id(item["id"])
                if product is None:
                    raise invalid(f"{path}.id", f"Product with id {item['id']} does not exist.")
            else:
                sku = item.get("reference_id")
                if not isinstance(sku, str) or not sku.strip():
                    raise invalid(f"{path}.reference_id", "Either Id or ReferenceId is required.")
                product = self.products.get(sku) or created.get(sku)
                if product is None:
                    # The ReferenceId model creates an unknown product, but only with a name for it.
                    name = item.get("name")
                    if not isinstance(name, str) or not name.strip():
                        raise invalid(
                            f"{path}.reference_id",
                            f"Product with reference id {sku} does not exist; pass a name to create it.",
                        )
                    product = created[sku] = Product(self.mint("product"), sku, name, 16.0)
            lines.append(OrderLine(product, quantity))
        return lines, list(created.values())

    # -- allocation --------------------------------------------------------------------------------

    def allocate(self, order: Order, rng: random.Random, *, split: bool, short: dict[str, int]) -> list[Shipment]:
        """Route an order to warehouses: one shipment per warehouse used, plus one for any backorder.

        ``split`` spreads lines over warehouses even when one could serve them all (a 3PL balancing
        its network); ``short`` units per SKU are found missing in the bin and backordered.
        """
        wanted = order.ordered()
        whole = [w for w in self.warehouses if all(w.available(s) >= q for s, q in wanted.items())]
        plan: dict[int, Counter[str]] = {}
        backorder: Counter[str] = Counter(short)
        if whole and not short and not (split and len(self.warehouses) > 1):
            plan[whole[0].id] = Counter(wanted)
        else:
            first = rng.randrange(len(self.warehouses))
            for n, (sku, quantity) in enumerate(wanted.items()):
                remaining = quantity - short.get(sku, 0)
                candidates = sorted(self.warehouses, key=lambda w: -w.available(sku))
                if split:
                    offset = (first + n) % len(self.warehouses)
                    candidates = self.warehouses[offset:] + self.warehouses[:offset]
                for warehouse in candidates:
                    take = min(remaining, max(warehouse.available(sku), 0))
                    if take:
                        plan.setdefault(warehouse.id, Counter())[sku] += take
                        remaining -= take
                backorder[sku] += remaining
        made = []
        for warehouse in self.warehouses:
            lines = plan.get(warehouse.id)
            if lines:
                warehouse.allocated.update(lines)
                made.append(self._new_shipment(order, "Queued", dict(lines), warehouse))
        missing = {s: q for s, q in backorder.items() if q > 0}
        if missing:
            made.append(self._new_shipment(order, "Backordered", missing, None))
        return made

    def _new_shipment(self, order: Order, stage: str, lines: dict[str, int], where: Warehouse | None) -> Shipment:
        now = self.now()
        shipment = Shipment(self.mint("shipment"), order.id, stage, lines, now, now, where)
        order.shipments.append(shipment)
        self.shipments[shipment.id] = shipment
        if stage == "Backordered":
            self.backorders[shipment.id] = shipment
        return shipment

    def receive_stock(self, warehouse: Warehouse, sku: str, quantity: int) -> list[Shipment]:
        """Put units away, then fill backorders oldest first; returns the shipments now ready to pick."""
        warehouse.on_hand[sku] += quantity
        warehouse.received[sku] += quantity
        self.received[sku] += quantity
        ready = []
        for shipment in list(self.backorders.values()):
            if sku not in shipment.lines:
                continue
            take = {s: min(q, max(warehouse.available(s), 0)) for s, q in shipment.lines.items()}
            take = {s: q for s, q in take.items() if q > 0}
            if not take:
                continue
            for s, q in take.items():
                warehouse.allocated[s] += q
            if take == shipment.lines:
                shipment.location = warehouse
                self.move(shipment, "Queued")
                ready.append(shipment)
                continue
            for s, q in take.items():
                shipment.lines[s] -= q
            shipment.lines = {s: q for s, q in shipment.lines.items() if q > 0}
            ready.append(self._new_shipment(self.orders[shipment.order_id], "Queued", take, warehouse))
        return ready

    # -- the floor's moves -------------------------------------------------------------------------

    def move(self, shipment: Shipment, stage: str) -> None:
        if stage != "Backordered":
            self.backorders.pop(shipment.id, None)
        shipment.stage = stage
        shipment.last_update_at = self.now()

    def ship(self, shipment: Shipment) -> None:
        """The carrier scanned the parcel at the dock: stock leaves the building."""
        assert shipment.location is not None
        for sku, quantity in shipment.lines.items():
            shipment.location.on_hand[sku] -= quantity
            shipment.location.allocated[sku] -= quantity
            shipment.location.shipped[sku] += quantity
            self.shipped[sku] += quantity
        self.move(shipment, "Shipped")
        shipment.actual_fulfillment_date = shipment.last_update_at
        if shipment.tracking is not None:
            shipment.tracking["shipping_date"] = shipment.last_update_at

    def cancel(self, order: Order) -> list[Shipment]:
        """Cancel an order not yet picked; returns the shipments cancelled. Refused once picking began."""
        if order.cancelled:
            return []
        started = [s for s in order.shipments if s.live and s.stage not in STAGES_BEFORE_PICKING]
        if started:
            raise ShipBobError(
                422,
                {
                    "order": [
                        f"Order {order.id} cannot be cancelled: shipment {s.id} is already {s.stage.lower()}."
                        for s in started
                    ]
                },
                title="Order cannot be cancelled",
            )
        cancelled = []
        for shipment in order.shipments:
            if not shipment.live:
                continue
            if shipment.location is not None:
                for sku, quantity in shipment.lines.items():
                    shipment.location.allocated[sku] -= quantity
            self.move(shipment, "Cancelled")
            cancelled.append(shipment)
        order.cancelled = True
        return cancelled

    def label(self, shipment: Shipment, tracking: dict[str, Any]) -> None:
        shipment.tracking = tracking
        self.by_tracking[tracking["tracking_number"]] = shipment
        self.move(shipment, "Packed")

    def write_off(self, warehouse: Warehouse, sku: str, quantity: int) -> None:
        warehouse.on_hand[sku] -= quantity
        warehouse.written_off[sku] += quantity
        self.written_off[sku] += quantity

    # -- returns -----------------------------------------------------------------------------------

    def create_return(self, channel: Channel, body: dict[str, Any]) -> Return:
        reference = body.get("reference_id")
        if not isinstance(reference, str) or not reference.strip():
            raise invalid("reference_id", "The ReferenceId field is required.")
        if (channel.id, reference) in self._returns_by_reference:
            raise ShipBobError(
                422,
                {"reference_id": [f"Return with reference id {reference} already exists."]},
                title="Duplicate reference ID",
            )
        shipment_id = body.get("original_shipment_id")
        shipment = self.shipments.get(shipment_id) if isinstance(shipment_id, int) else None
        if shipment is None or self.orders[shipment.order_id].channel.id != channel.id:
            raise invalid("original_shipment_id", f"Shipment {shipment_id} does not exist.")
        if shipment.stage not in SHIPPED_STAGES or shipment.location is None:
            raise invalid("original_shipment_id", f"Shipment {shipment.id} has not shipped yet.")
        raw = body.get("inventory")
        if not isinstance(raw, list) or not raw:
            raise invalid("inventory", "The Inventory field is required.")
        returnable = Counter(shipment.lines) - self.returned_from(shipment)
        items: list[ReturnItem] = []
        asked: Counter[str] = Counter()
        for n, entry in enumerate(raw):
            path = f"inventory[{n}]"
            if not isinstance(entry, dict):
                raise invalid(path, "Each inventory item must be an object.")
            product = self.product_by_id(entry.get("id"))
            if product is None or product.reference_id not in shipment.lines:
                raise invalid(f"{path}.id", f"Inventory {entry.get('id')} is not in shipment {shipment.id}.")
            quantity = entry.get("quantity")
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
                raise invalid(f"{path}.quantity", "Quantity must be a whole number greater than 0.")
            asked[product.reference_id] += quantity
            if asked[product.reference_id] > returnable[product.reference_id]:
                raise invalid(
                    f"{path}.quantity",
                    f"Only {returnable[product.reference_id]} of {product.reference_id} can still be returned.",
                )
            items.append(ReturnItem(product, quantity))
        tracking = body.get("tracking_number")
        record = Return(
            id=self.mint("return"),
            channel=channel,
            reference_id=reference,
            shipment=shipment,
            location=shipment.location,
            items=items,
            tracking_number=tracking if isinstance(tracking, str) else None,
            insert_date=self.now(),
        )
        self.returns[record.id] = record
        self._returns_by_reference[(channel.id, reference)] = record.id
        return record

    def returned_from(self, shipment: Shipment) -> Counter[str]:
        counted: Counter[str] = Counter()
        for record in self.returns.values():
            if record.shipment is shipment and record.status != "Cancelled":
                for item in record.items:
                    counted[item.product.reference_id] += item.quantity
        return counted

    def inspect(self, item: ReturnItem, dispositions: Iterable[str]) -> int:
        """Record what inspection decided per unit; returns how many units can go back on the shelf."""
        tally = Counter(dispositions)
        for disposition, quantity in sorted(tally.items()):
            action = {"restock": "Restock", "damaged": "Dispose", "wrong_item": "Quarantine"}[disposition]
            item.actions.append({"action": action, "action_reason": disposition, "quantity_processed": quantity})
        return tally["restock"]

    # -- subscriptions -----------------------------------------------------------------------------

    def subscribe(self, body: dict[str, Any]) -> Subscription:
        topic, url = body.get("topic"), body.get("subscription_url")
        if topic not in TOPICS:
            raise invalid("topic", f"Topic must be one of: {', '.join(TOPICS)}.")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise invalid("subscription_url", "The SubscriptionUrl field must be an absolute URL.")
        subscription = Subscription(self.mint("webhook"), topic, url, self.now())
        self.subscriptions[subscription.id] = subscription
        return subscription


def _recipient(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise invalid("recipient", "The Recipient field is required.")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise invalid("recipient.name", "The Name field is required.")
    address = raw.get("address")
    if not isinstance(address, dict):
        raise invalid("recipient.address", "The Address field is required.")
    for key in ("address1", "city", "country"):
        value = address.get(key)
        if not isinstance(value, str) or not value.strip():
            raise invalid(f"recipient.address.{key}", f"The {key} field is required.")
    if address["country"].upper() in ("US", "USA"):
        zip_code = address.get("zip_code")
        if not isinstance(zip_code, str | int) or isinstance(zip_code, bool) or not str(zip_code).strip():
            raise invalid("recipient.address.zip_code", "A zip code is required for US addresses.")
    kept = {
        k: (None if address.get(k) is None else str(address.get(k)))
        for k in ("address1", "address2", "company_name", "city", "state", "country", "zip_code")
    }
    return {
        "name": name,
        "address": kept,
        "email": raw.get("email") if isinstance(raw.get("email"), str) else None,
        "phone_number": raw.get("phone_number") if isinstance(raw.get("phone_number"), str) else None,
    }
