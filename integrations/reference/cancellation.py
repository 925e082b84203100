"""Order cancellation: a customer's request (the Salesforce order's Status ``Cancellation Requested``)
carried downstream, and the outcome written back (``contracts/workflows.md``).

The request races the warehouse. Not yet in the ERP: the order is never captured (W1 reads the status
before it books). In the ERP but not yet released: the ERP order is cancelled, which W3 reads before it
releases. In the WMS: ShipBob cancels it only until picking begins and refuses with 422 after; then the
goods are on their way and the cancellation is refused. Salesforce learns the outcome last: ``Cancelled``,
or back to ``Activated`` with the warehouse's reason.

Every step reads before it writes and repeats harmlessly, so a redelivered or reordered event, or a
retry after a lost answer, lands on what an earlier attempt did. The caller holds the order's W1 lock;
the release lock of the ERP order is taken here, so W3 and a cancellation never interleave.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from integrations.reference.erp import Erp, ErpSalesOrder, external_id_ref
from integrations.reference.ledger import FulfilmentLedger
from integrations.reference.locks import OneAtATime
from integrations.reference.salesforce import Salesforce, SalesforceOrder
from integrations.reference.wms import Wms

log = logging.getLogger(__name__)

CANCELLATION_REQUESTED = "Cancellation Requested"
CANCELLED = "Cancelled"
ACTIVATED = "Activated"
ERP_CANCELLED = "Cancelled"


class Cancellation:
    def __init__(
        self,
        salesforce: Salesforce,
        erps: Mapping[str, Erp],
        wms: Wms | None,
        ledger: FulfilmentLedger,
        releases: OneAtATime,
    ) -> None:
        """``erps``: every ERP account by the name its events carry; ``releases``: the lock W3 holds
        per ``<account>/<ERP internal id>`` while it releases an order."""
        self.salesforce = salesforce
        self.erps = erps
        self.wms = wms
        self.ledger = ledger
        self.releases = releases

    async def settle(self, order: SalesforceOrder) -> None:
        """Cancels the order everywhere it exists, or learns that it cannot be; then tells Salesforce."""
        found = await self.erp_order(order.id)
        refusal = None
        if found is not None:
            account, erp, sales_order = found
            async with self.releases.hold(f"{account}/{sales_order.internal_id}"):
                refusal = await self.stop_in_warehouse(sales_order.internal_id)
                if refusal is None and sales_order.status != ERP_CANCELLED:
                    await erp.cancel_sales_order(sales_order.internal_id, correlation_id=order.id)
        if refusal is None:
            fields = {"Status": CANCELLED, "Fulfillment_Status__c": CANCELLED}
            if found is not None:
                fields["ERP_Status__c"] = ERP_CANCELLED
        else:
            fields = {"Status": ACTIVATED, "Cancellation_Refused_Reason__c": refusal[:255]}
        await self.salesforce.update_order(order.id, fields)
        log.info("order %s: cancellation %s", order.id, "accepted" if refusal is None else f"refused ({refusal})")

    async def erp_order(self, order_id: str) -> tuple[str, Erp, ErpSalesOrder] | None:
        """The account holding the order's ERP sales order and the order; ``None`` when W1 never booked it.
        Asked of the ERP, not the ledger: an attempt whose answer was lost may have booked it."""
        ref = external_id_ref(order_id)
        for account, erp in self.erps.items():
            if await erp.holds_sales_order(ref, correlation_id=order_id):
                return account, erp, await erp.read_sales_order(ref, correlation_id=order_id)
        return None

    async def stop_in_warehouse(self, erp_internal_id: str) -> str | None:
        """Cancels the WMS order released for this ERP order, if there is one: ``None`` when nothing
        will ship, else the warehouse's reason for refusing. A seam for the flawed variants."""
        if self.wms is None:
            return None
        release = self.ledger.release(erp_internal_id)
        if release is not None:
            wms_order_id = release.wms_order_id
        else:
            found = await self.wms.find_order(erp_internal_id, correlation_id=erp_internal_id)
            if found is None:
                return None
            wms_order_id = int(found["id"])
        return await self.wms.cancel_order(wms_order_id, correlation_id=erp_internal_id)
