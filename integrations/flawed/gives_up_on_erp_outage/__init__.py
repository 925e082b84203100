"""No retry on ERP 503: an order whose ERP call fails while the ERP is down is given up for good.

A common shortcut: treat any ERP failure as the order's problem and move it to a dead-letter
table for someone to look at on Monday. The customer's order is lost in the meantime.
"""

from __future__ import annotations

from functools import partial

from integrations.reference.app import build_app as build_reference_app
from integrations.reference.erp import ErpSalesOrder
from integrations.reference.order_capture import OrderCapture
from integrations.reference.retrying import PermanentFailure, TransientFailure
from integrations.reference.salesforce import SalesforceOrder


class GiveUpWhenErpIsDown(OrderCapture):
    async def place_in_erp(self, order: SalesforceOrder) -> ErpSalesOrder:
        try:
            return await super().place_in_erp(order)
        except TransientFailure as failure:
            raise PermanentFailure(f"ERP unavailable, order parked: {failure}") from failure


build_app = partial(build_reference_app, order_capture=GiveUpWhenErpIsDown)
