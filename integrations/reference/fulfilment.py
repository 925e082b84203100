"""W3 fulfilment release, W4 shipment confirmation and W5 tracking (``contracts/workflows.md``).

Each is brought about exactly once by a key the other system enforces, so a redelivered event, a
retried delivery or a lost answer lands on what an earlier attempt made:

- W3: the WMS order's ``reference_id`` is the ERP sales order's internal id (ShipBob refuses a
  second one with 422, which means "created already": the order is looked up by reference); an order
  whose customer asked to cancel is held back until the cancellation settles;
- W4: each WMS shipment becomes one item fulfilment (``externalId`` ``shp-<shipment id>``) and one
  invoice (``inv-<shipment id>``), looked up by external id before they are made and again after
  an attempt fails (its answer may be lost while the record landed);
- W5: statuses only move forward: each tracking code keeps the furthest status it reached, each
  order the furthest ``Fulfillment_Status__c`` written, so a late or reordered event changes nothing.

Salesforce is updated from what the ledger recorded (every shipment of the order, not only the one
an event announced), so the lines and the status always describe the whole order.

Across an ERP cutover, an order is released, fulfilled and invoiced in the account that booked it
(its ``order.booked`` event names the ``account``; the ledger keeps it with the release): an order
in flight at the cutover finishes in the legacy account, while new orders live in the successor.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from integrations.reference.cancellation import CANCELLATION_REQUESTED
from integrations.reference.erp import Erp, ErpOrderDetail, TransformedLine
from integrations.reference.fulfilment_events import ErpEvent, TrackerEvent
from integrations.reference.ledger import FulfilmentLedger, Release
from integrations.reference.locks import OneAtATime
from integrations.reference.retrying import Failure, PermanentFailure, TransientFailure
from integrations.reference.salesforce import OrderItem, Salesforce
from integrations.reference.wms import Wms

log = logging.getLogger(__name__)

SHIPPING_METHOD = "Standard"
"""Salesforce orders carry no ship option; every order ships the WMS's standard (ground) service."""

FULFILMENT_STATUS_RANK = {"Partially Shipped": 1, "Shipped": 2, "Partially Delivered": 3, "Delivered": 4}
"""``Fulfillment_Status__c`` values W4 and W5 write, in the only order they may follow."""

TRACKER_STATUS_RANK = {
    "unknown": 0,
    "pre_transit": 1,
    "in_transit": 2,
    "out_for_delivery": 3,
    "available_for_pickup": 4,
    "failure": 5,
    "error": 5,
    "cancelled": 5,
    "return_to_sender": 5,
    "delivered": 6,
}
"""EasyPost tracker statuses by how far a parcel got; a failed attempt that goes back to ``in_transit``
ranks below ``out_for_delivery`` and is ignored, which is harmless: only ``delivered`` changes Salesforce."""

WMS_SHIPPED = "Completed"
WMS_BACKORDERED = "Exception"
"""ShipBob shipment statuses: shipped or delivered; out of stock (its ``status_details`` say ``OutOfStock``)."""

_EPS = 1e-9
LEGACY_ERP = "erp"
"""The account name the ERP's events carry without a cutover (``REHEARSE_ERP_*``)."""


def fulfilment_external_id(shipment_id: int) -> str:
    return f"shp-{shipment_id}"


def invoice_external_id(shipment_id: int) -> str:
    return f"inv-{shipment_id}"


@dataclass(frozen=True)
class WmsShipment:
    id: int
    status: str
    lines: dict[str, float]
    tracking_number: str | None
    location: str | None = None
    """The warehouse that shipped it, by name: the ERP location the units leave."""

    @classmethod
    def from_json(cls, shipment: dict[str, Any]) -> WmsShipment:
        lines = units((str(p["reference_id"]), float(p["quantity"])) for p in shipment.get("products") or [])
        tracking = shipment.get("tracking")
        number = tracking.get("tracking_number") if isinstance(tracking, dict) else None
        where = shipment.get("location")
        location = str(where["name"]) if isinstance(where, dict) and where.get("name") else None
        return cls(int(shipment["id"]), str(shipment["status"]), dict(lines), number or None, location)


def erp_lines_for(
    order: ErpOrderDetail, shipped: dict[str, float], location: str | None = None
) -> list[TransformedLine]:
    """The sales order lines a shipment fulfils: per SKU, its open lines in order, each up to what is
    still unfulfilled on it, shipped from ``location`` (so ERP stock leaves the warehouse that
    picked it, and the two systems' stock per location stay comparable)."""
    lines: list[TransformedLine] = []
    for sku, quantity in shipped.items():
        left = quantity
        for line in order.lines:
            if line.sku != sku or left <= _EPS:
                continue
            take = min(left, line.quantity - line.fulfilled)
            if take > _EPS:
                lines.append(TransformedLine(line.line, take, location))
                left -= take
        if left > _EPS:
            raise PermanentFailure(
                f"ERP {order.tran_id} has {quantity - left:g} of {sku} left to fulfil, the shipment has {quantity:g}"
            )
    return sorted(lines, key=lambda line: line.order_line)


def units(pairs: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Quantities per SKU, summed."""
    total: defaultdict[str, float] = defaultdict(float)
    for sku, quantity in pairs:
        total[sku] += quantity
    return dict(total)


def order_status(items: list[OrderItem], shipped: Mapping[str, float], tracking: list[str | None]) -> str | None:
    """``Fulfillment_Status__c`` for what has shipped and been delivered; ``None`` before anything shipped.

    "Shipped" needs every unit shipped, "Delivered" every unit shipped and every parcel delivered:
    an order half backordered is at most "Partially Shipped" or "Partially Delivered".
    """
    if not tracking:
        return None
    ordered = units((item.sku, item.quantity) for item in items)
    everything = all(shipped.get(sku, 0.0) >= quantity - _EPS for sku, quantity in ordered.items())
    delivered = [status == "delivered" for status in tracking]
    if everything and all(delivered):
        return "Delivered"
    if any(delivered):
        return "Partially Delivered"
    return "Shipped" if everything else "Partially Shipped"


def spread(items: list[OrderItem], per_sku: Mapping[str, float]) -> dict[str, float]:
    """Splits per-SKU quantities over the order's lines with that SKU, first lines first; the last
    such line takes any excess, so nothing is lost from the totals."""
    left = defaultdict(float, per_sku)
    given: dict[str, float] = {}
    for n, item in enumerate(items):
        last = not any(other.sku == item.sku for other in items[n + 1 :])
        take = left[item.sku] if last else min(left[item.sku], item.quantity)
        given[item.id] = max(take, 0.0)
        left[item.sku] -= given[item.id]
    return given


class Fulfilment:
    def __init__(
        self,
        salesforce: Salesforce,
        erp: Erp,
        wms: Wms | None,
        ledger: FulfilmentLedger,
        per_order: OneAtATime,
        successors: Mapping[str, Erp] | None = None,
    ) -> None:
        """``erp`` is the ERP account named ``erp`` in its events; ``successors`` any other account by
        its name (a cutover's ``erp-next``)."""
        self.salesforce = salesforce
        self.erp = erp
        self.erps = {LEGACY_ERP: erp, **(successors or {})}
        self._wms = wms
        self.ledger = ledger
        self._per_order = per_order

    def erp_named(self, account: str) -> Erp:
        erp = self.erps.get(account)
        if erp is None:
            raise PermanentFailure(f"ERP account {account!r} is not configured (REHEARSE_ERP_NEXT_* for erp-next)")
        return erp

    def handed_over(self, account: str) -> bool:
        """Whether ``account`` is the legacy one of a cutover: from the cutover on it holds only the stock
        its open orders committed (the rest moved to the successor), so a split shipment from another
        warehouse cannot leave from there in its books; it leaves from the order's own commitment,
        as the cutover promises (``contracts/sut-environment.md``)."""
        return account == LEGACY_ERP and len(self.erps) > 1

    def erp_holding(self, account: str) -> Erp:
        """The account a shipment of an order booked in ``account`` is recorded in: that same one.
        A seam for the flawed variants."""
        return self.erp_named(account)

    @property
    def wms(self) -> Wms:
        if self._wms is None:
            raise PermanentFailure("the WMS is not configured: set REHEARSE_WMS_URL, _TOKEN and _CHANNEL_ID")
        return self._wms

    # -- W3 ----------------------------------------------------------------------------------------

    async def handle_erp(self, event: ErpEvent) -> None:
        if event.event_type != "order.booked" or event.record_type != "salesOrder":
            return
        async with self._per_order.hold(f"{event.account}/{event.record_id}"):
            await self.release(event.record_id, event.account)

    async def release(self, erp_internal_id: str, erp_account: str = LEGACY_ERP) -> Release:
        """Creates the WMS order for a sales order of the ``erp_account``, unless it exists already."""
        known = self.ledger.release(erp_internal_id)
        if known is not None:
            return known
        correlation = erp_internal_id
        erp = self.erp_named(erp_account)
        order = await erp.read_sales_order_detail(erp_internal_id, correlation_id=correlation)
        salesforce_order_id = order.salesforce_order_id
        if salesforce_order_id is None:
            raise PermanentFailure(f"ERP {order.tran_id} names no Salesforce order (externalId, otherRefNum)")
        if order.status in ("Cancelled", "Closed", "Pending Approval"):
            raise PermanentFailure(f"ERP {order.tran_id} is {order.status}: not released to the warehouse")
        sf_order = await self.salesforce.read_order(salesforce_order_id)
        if sf_order.status == CANCELLATION_REQUESTED:
            # Released now, the pickers would likely win the race; the cancellation cancels the ERP order
            # (nothing is in the warehouse yet), and this retry then finds it Cancelled.
            raise TransientFailure(f"Salesforce order {salesforce_order_id} awaits its cancellation: not released")
        account = await self.salesforce.read_account(sf_order.account_id, correlation_id=salesforce_order_id)
        products = []
        for line in order.lines:
            if line.quantity != int(line.quantity):
                raise PermanentFailure(f"ERP {order.tran_id} line {line.line}: {line.quantity:g} is not whole units")
            products.append({"reference_id": line.sku, "quantity": int(line.quantity)})
        body = {
            "reference_id": order.internal_id,
            "order_number": order.tran_id,
            "shipping_method": SHIPPING_METHOD,
            "type": "DTC",
            "recipient": {
                "name": account.name,
                "address": {
                    "address1": account.street,
                    "city": account.city,
                    "state": account.state,
                    "country": account.country,
                    "zip_code": account.postal_code,
                },
                "email": account.email,
                "phone_number": account.phone,
            },
            "products": products,
        }
        created = await self.wms.create_order(body, correlation_id=correlation)
        if created is None:
            created = await self.wms.find_order(order.internal_id, correlation_id=correlation)
            if created is None:
                raise TransientFailure(f"WMS says reference {order.internal_id} exists but does not list it")
            log.info("ERP %s was released before: WMS order %s", order.tran_id, created["id"])
        release = Release(order.internal_id, order.tran_id, salesforce_order_id, int(created["id"]), erp_account)
        self.ledger.record_release(release)
        log.info("ERP %s released to the WMS as order %s", order.tran_id, release.wms_order_id)
        return release

    # -- W4 ----------------------------------------------------------------------------------------

    async def handle_order_shipped(self, order: dict[str, Any]) -> None:
        erp_internal_id = str(order["reference_id"])
        release = self.ledger.release(erp_internal_id)
        if release is not None:
            salesforce_order_id, account = release.salesforce_order_id, release.erp_account
        else:
            account = await self.account_holding(erp_internal_id)
            detail = await self.erp_named(account).read_sales_order_detail(
                erp_internal_id, correlation_id=erp_internal_id
            )
            if detail.salesforce_order_id is None:
                raise PermanentFailure(f"ERP {detail.tran_id} names no Salesforce order")
            salesforce_order_id = detail.salesforce_order_id
        async with self._per_order.hold(salesforce_order_id):
            await self.confirm_shipments(int(order["id"]), erp_internal_id, salesforce_order_id, account)

    async def account_holding(self, erp_internal_id: str) -> str:
        """Which ERP account has the sales order, for a WMS order the ledger did not see released."""
        for account, erp in self.erps.items():
            if len(self.erps) == 1 or await erp.holds_sales_order(erp_internal_id, correlation_id=erp_internal_id):
                return account
        raise PermanentFailure(f"no ERP account has sales order {erp_internal_id}")

    async def confirm_shipments(
        self, wms_order_id: int, erp_internal_id: str, salesforce_order_id: str, account: str = LEGACY_ERP
    ) -> None:
        """Records every shipped, unrecorded shipment of the order in the ERP account holding it, then
        brings Salesforce up to date. The WMS order is read afresh: a webhook is a snapshot, and may be late."""
        current = await self.wms.read_order(wms_order_id, correlation_id=erp_internal_id)
        shipments = [WmsShipment.from_json(s) for s in current.get("shipments") or []]
        refused: list[str] = []
        for shipment in shipments:
            if shipment.status != WMS_SHIPPED or self.ledger.shipment_recorded(shipment.id):
                continue
            try:
                await self.record_in_erp(erp_internal_id, shipment, account)
            except PermanentFailure as failure:  # the other shipments still get recorded
                log.error("WMS shipment %d of ERP order %s: %s", shipment.id, erp_internal_id, failure)
                refused.append(f"shipment {shipment.id}: {failure}")
                continue
            self.ledger.record_shipment(
                shipment.id,
                erp_internal_id=erp_internal_id,
                salesforce_order_id=salesforce_order_id,
                lines=shipment.lines,
                tracking_number=shipment.tracking_number,
            )
        backordered = units(
            (sku, quantity)
            for shipment in shipments
            if shipment.status == WMS_BACKORDERED
            for sku, quantity in shipment.lines.items()
        )
        erp = self.erp_holding(account)
        erp_status = (await erp.read_sales_order(erp_internal_id, correlation_id=salesforce_order_id)).status
        await self.update_salesforce(salesforce_order_id, backordered=backordered, erp_status=erp_status)
        if refused:
            raise PermanentFailure("; ".join(refused))

    async def record_in_erp(self, erp_internal_id: str, shipment: WmsShipment, account: str = LEGACY_ERP) -> None:
        """One item fulfilment and one invoice for the shipment, each made only if not made before."""
        erp = self.erp_holding(account)

        async def fulfilment_lines(location: str | None = shipment.location) -> list[TransformedLine]:
            order = await erp.read_sales_order_detail(erp_internal_id, correlation_id=erp_internal_id)
            return erp_lines_for(order, shipment.lines, location)

        fulfilment_id = fulfilment_external_id(shipment.id)
        try:
            fulfilled = await self.transform_once(
                erp, erp_internal_id, "itemFulfillment", fulfilment_id, fulfilment_lines
            )
        except PermanentFailure as failure:
            if not self.handed_over(account) or shipment.location is None:
                raise
            log.warning("legacy ERP order %s ships from its own commitment: %s", erp_internal_id, failure)
            fulfilled = await self.transform_once(
                erp, erp_internal_id, "itemFulfillment", fulfilment_id, lambda: fulfilment_lines(None)
            )

        async def invoice_lines() -> list[TransformedLine]:
            return list(fulfilled)

        invoice_id = invoice_external_id(shipment.id)
        await self.transform_once(erp, erp_internal_id, "invoice", invoice_id, invoice_lines)
        log.info("WMS shipment %d recorded in the ERP as %s and %s", shipment.id, fulfilment_id, invoice_id)

    async def transform_once(
        self,
        erp: Erp,
        erp_internal_id: str,
        record_type: str,
        external_id: str,
        lines_for: Callable[[], Awaitable[list[TransformedLine]]],
    ) -> tuple[TransformedLine, ...]:
        """The lines of the sales order's ``record_type`` with this external id, made now unless it exists.

        A failed attempt is not the end of the story: when its answer was lost (a reset, a timeout)
        it may have landed, and the call's own retry is then refused because nothing is left to
        fulfil ("only 0 remain"), not as a duplicate. So after any failure the record is looked up
        by its external id once more: found, it is what this attempt made; only when it is still
        missing does the failure stand, and the delivery is retried or given up on its merits.
        """
        correlation = erp_internal_id
        made = await erp.find_transformed(record_type, external_id, correlation_id=correlation)
        if made is not None:
            return made
        try:
            lines = await lines_for()
            created = await erp.transform_sales_order(
                erp_internal_id, record_type, external_id=external_id, lines=lines, correlation_id=correlation
            )
        except Failure:
            made = await erp.find_transformed(record_type, external_id, correlation_id=correlation)
            if made is None:
                raise
            log.info("ERP %s %s was made by an attempt whose answer was lost", record_type, external_id)
            return made
        if not created:
            made = await erp.find_transformed(record_type, external_id, correlation_id=correlation)
        return made if made is not None else tuple(lines)

    # -- W5 ----------------------------------------------------------------------------------------

    async def handle_tracker(self, event: TrackerEvent) -> None:
        rank = TRACKER_STATUS_RANK.get(event.status)
        if rank is None:
            return
        self.ledger.advance_tracker(event.tracking_code, event.status, rank)
        if event.status != "delivered":
            return
        for salesforce_order_id in self.ledger.orders_shipped_with(event.tracking_code):
            async with self._per_order.hold(salesforce_order_id):
                await self.update_salesforce(salesforce_order_id, backordered=None, erp_status=None)

    # -- Salesforce, for W4 and W5 -----------------------------------------------------------------

    def status_for(
        self, items: list[OrderItem], shipped: Mapping[str, float], tracking: list[str | None]
    ) -> str | None:
        """The order's ``Fulfillment_Status__c``; a seam for the flawed variants."""
        return order_status(items, shipped, tracking)

    async def update_salesforce(
        self, salesforce_order_id: str, *, backordered: Mapping[str, float] | None, erp_status: str | None
    ) -> None:
        """Writes the order's lines (shipped, backordered, tracking numbers; not when ``backordered``
        is None) and its status, in one all-or-none call, only what changed and never backwards."""
        recorded = self.ledger.shipments_of(salesforce_order_id)
        shipped = units((sku, q) for shipment in recorded for sku, q in shipment.lines.items())
        tracking_per_sku: dict[str, list[str]] = {}
        for shipment in recorded:
            if shipment.tracking_number:
                for sku in shipment.lines:
                    tracking_per_sku.setdefault(sku, []).append(shipment.tracking_number)
        items = await self.salesforce.read_order_item_states(salesforce_order_id)
        records: list[dict[str, Any]] = []
        if backordered is not None:
            shipped_per_line = spread(items, shipped)
            backordered_per_line = spread(items, backordered)
            for item in items:
                wanted: dict[str, Any] = {
                    "Quantity_Shipped__c": shipped_per_line[item.id],
                    "Quantity_Backordered__c": backordered_per_line[item.id],
                    "Tracking_Numbers__c": "\n".join(tracking_per_sku.get(item.sku, [])) or None,
                }
                have = {
                    "Quantity_Shipped__c": item.shipped,
                    "Quantity_Backordered__c": item.backordered,
                    "Tracking_Numbers__c": item.tracking_numbers,
                }
                changed = {k: v for k, v in wanted.items() if v != have[k]}
                if changed:
                    records.append({"attributes": {"type": "OrderItem"}, "id": item.id, **changed})
        order_fields: dict[str, Any] = {}
        trackers = [self.ledger.tracker_status(s.tracking_number) if s.tracking_number else None for s in recorded]
        status = self.status_for(items, shipped, trackers)
        rank = FULFILMENT_STATUS_RANK.get(status or "", -1)
        if status is not None and rank > self.ledger.order_status_rank(salesforce_order_id):
            order = await self.salesforce.read_order(salesforce_order_id)
            if rank > FULFILMENT_STATUS_RANK.get(order.fulfillment_status or "", -1):
                order_fields["Fulfillment_Status__c"] = status
            if erp_status is not None and erp_status != order.erp_status:
                order_fields["ERP_Status__c"] = erp_status
        elif erp_status is not None:
            order = await self.salesforce.read_order(salesforce_order_id)
            if erp_status != order.erp_status:
                order_fields["ERP_Status__c"] = erp_status
        if order_fields:
            records.append({"attributes": {"type": "Order"}, "id": salesforce_order_id, **order_fields})
        await self.salesforce.update_records(records, correlation_id=salesforce_order_id)
        if status is not None:
            self.ledger.advance_order_status(salesforce_order_id, status, rank)
        if records:
            log.info("Salesforce order %s: %d record(s) updated, status %s", salesforce_order_id, len(records), status)
