"""The ERP number write-back given up when Salesforce is rate-limited.

The ERP order is placed, and then writing its number back to Salesforce is treated as a nicety:
when the org's API allowance is spent, the write is logged and dropped rather than retried, so
the order stays without its ERP number in Salesforce for good, and the service desk cannot find
it in the ERP.
"""

from __future__ import annotations

import logging
from functools import partial

from integrations.reference.app import build_app as build_reference_app
from integrations.reference.erp import ErpSalesOrder
from integrations.reference.order_capture import OrderCapture
from integrations.reference.retrying import RATE_LIMIT_ERROR_CODE, TransientFailure
from integrations.reference.salesforce import SalesforceOrder

log = logging.getLogger(__name__)


class WriteBackWhenAllowed(OrderCapture):
    async def write_back(self, order: SalesforceOrder, sales_order: ErpSalesOrder) -> None:
        try:
            await super().write_back(order, sales_order)
        except TransientFailure as failure:
            if RATE_LIMIT_ERROR_CODE not in str(failure):
                raise
            log.warning("Salesforce is rate-limited: order %s left without its ERP number", order.id)


build_app = partial(build_reference_app, order_capture=WriteBackWhenAllowed)
