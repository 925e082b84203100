"""No idempotency on order webhooks: every delivery of an order event creates another ERP order.

The inbox keeps every delivery (no de-duplication by replay id), and W1 creates the ERP sales
order with ``POST`` and the Salesforce order id only in ``otherRefNum``, which the ERP does not
enforce as unique. The last ERP order created is the one written back to Salesforce.
"""

from __future__ import annotations

from functools import partial

from integrations.reference.app import build_app as build_reference_app
from integrations.reference.erp import ErpSalesOrder
from integrations.reference.order_capture import OrderCapture, sales_order_for
from integrations.reference.salesforce import SalesforceOrder


class CreateOnEveryDelivery(OrderCapture):
    async def place_in_erp(self, order: SalesforceOrder) -> ErpSalesOrder:
        lines = await self.salesforce.read_order_items(order.id)
        internal_id = await self.erp.create_sales_order(sales_order_for(order, lines), correlation_id=order.id)
        return await self.erp.read_sales_order(internal_id, correlation_id=order.id)


build_app = partial(build_reference_app, deduplicate_events=False, order_capture=CreateOnEveryDelivery)
