"""Tracking applied in arrival order: the latest carrier event to arrive sets the parcel's status,
and the order's status is written from it, whichever way it moves.

Carriers' webhooks arrive late and out of order, so an ``in_transit`` delayed past ``delivered``
takes a delivered order back to "Shipped" and the customer is told the parcel is still on its way.
"""

from __future__ import annotations

import time
from functools import partial

from integrations.reference.app import build_app as build_reference_app
from integrations.reference.fulfilment import TRACKER_STATUS_RANK, Fulfilment, units
from integrations.reference.fulfilment_events import TrackerEvent


class LatestEventWins(Fulfilment):
    async def handle_tracker(self, event: TrackerEvent) -> None:
        if event.status not in TRACKER_STATUS_RANK:
            return
        self.ledger.advance_tracker(event.tracking_code, event.status, time.time_ns())  # arrival, not progress
        for salesforce_order_id in self.ledger.orders_shipped_with(event.tracking_code):
            async with self._per_order.hold(salesforce_order_id):
                await self.show_status(salesforce_order_id)

    async def show_status(self, salesforce_order_id: str) -> None:
        recorded = self.ledger.shipments_of(salesforce_order_id)
        shipped = units((sku, q) for shipment in recorded for sku, q in shipment.lines.items())
        trackers = [self.ledger.tracker_status(s.tracking_number) if s.tracking_number else None for s in recorded]
        items = await self.salesforce.read_order_item_states(salesforce_order_id)
        status = self.status_for(items, shipped, trackers)
        order = await self.salesforce.read_order(salesforce_order_id)
        if status is not None and status != order.fulfillment_status:
            record = {"attributes": {"type": "Order"}, "id": salesforce_order_id, "Fulfillment_Status__c": status}
            await self.salesforce.update_records([record], correlation_id=salesforce_order_id)


build_app = partial(build_reference_app, fulfilment=LatestEventWins)
