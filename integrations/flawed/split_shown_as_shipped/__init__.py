"""Split shipment collapsed to one status: the order shows "Shipped" as soon as any parcel ships.

The classic peak-season complaint: half the order is backordered, Salesforce says Shipped, the
customer waits for a parcel that is not coming yet and calls the service desk.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from integrations.reference.app import build_app as build_reference_app
from integrations.reference.fulfilment import Fulfilment, order_status
from integrations.reference.salesforce import OrderItem


class AnyParcelMeansShipped(Fulfilment):
    def status_for(
        self, items: list[OrderItem], shipped: Mapping[str, float], tracking: list[str | None]
    ) -> str | None:
        status = order_status(items, shipped, tracking)
        return "Shipped" if status == "Partially Shipped" else status


build_app = partial(build_reference_app, fulfilment=AnyParcelMeansShipped)
