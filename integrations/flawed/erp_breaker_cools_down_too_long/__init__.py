"""A circuit breaker whose cool-down was sized for a pager, not for an outage.

Breakers are a sound idea: after the ERP fails, stop hammering it. The bug is the fixed cool-down
with no probe: whatever the ERP does in the meantime, no order is sent to it until the cool-down
has run out, and every failure during the cool-down starts it again. Nothing is lost or doubled;
orders simply wait long after the ERP has recovered, which only the timeliness checker sees.
"""

from __future__ import annotations

import time
from functools import partial

from integrations.reference.app import build_app as build_reference_app
from integrations.reference.erp import ErpSalesOrder
from integrations.reference.order_capture import OrderCapture
from integrations.reference.retrying import TransientFailure
from integrations.reference.salesforce import SalesforceOrder

COOL_DOWN = 40.0
"""Wall seconds the breaker stays open: 80 simulated minutes at erp-outage's 120x."""


class BreakerOnErpCalls(OrderCapture):
    _open_until = 0.0

    async def place_in_erp(self, order: SalesforceOrder) -> ErpSalesOrder:
        if self.ledger.find(order.id) is None:
            wait = self._open_until - time.monotonic()
            if wait > 0:
                raise TransientFailure("ERP breaker open", retry_after=wait)
        try:
            return await super().place_in_erp(order)
        except TransientFailure:
            self._open_until = time.monotonic() + COOL_DOWN
            raise


build_app = partial(build_reference_app, order_capture=BreakerOnErpCalls)
