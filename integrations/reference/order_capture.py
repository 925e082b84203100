"""W1, order capture: an activated Salesforce order becomes one ERP sales order, whose number and
status are written back to Salesforce (``contracts/workflows.md``); an order whose customer asked to
cancel is handed to the cancellation instead, under the same per-order lock.

"Exactly once" rests on the ERP upsert keyed by the Salesforce order id: however many times an
event is delivered, and even when the ERP commits an order but the answer is lost, every attempt
lands on the same ERP record. The ledger remembers what was captured so that repeats are cheap.

Across an ERP cutover the legacy account is still asked first: it updates an order it booked before
the cutover (so a retry never books it again in the successor) and refuses a new one as retired,
which is what sends new orders to the successor account.
"""

from __future__ import annotations

import logging
from typing import Any

from integrations.reference.cancellation import CANCELLATION_REQUESTED, Cancellation
from integrations.reference.change_events import OrderChangeEvent
from integrations.reference.erp import AccountRetired, Erp, ErpSalesOrder, external_id_ref
from integrations.reference.ledger import Ledger
from integrations.reference.locks import OneAtATime
from integrations.reference.retrying import PermanentFailure
from integrations.reference.salesforce import OrderLine, Salesforce, SalesforceOrder

log = logging.getLogger(__name__)


def sales_order_for(order: SalesforceOrder, lines: list[OrderLine]) -> dict[str, Any]:
    """The ERP sales order for a Salesforce order. The customer and items are referred to by the
    external ids they already carry in the ERP (Salesforce Account Id, SKU)."""
    return {
        "entity": {"externalId": order.account_id},
        "otherRefNum": order.id,
        "tranDate": order.effective_date,
        "memo": order.number,
        "item": {
            "items": [
                {"item": {"externalId": line.sku}, "quantity": line.quantity, "rate": line.unit_price} for line in lines
            ]
        },
    }


class OrderCapture:
    def __init__(
        self,
        salesforce: Salesforce,
        erp: Erp,
        ledger: Ledger,
        successor: Erp | None = None,
        cancellation: Cancellation | None = None,
    ) -> None:
        """``successor``: the ERP account that takes new orders once ``erp`` is retired by a cutover;
        ``cancellation``: what answers a customer's request to cancel (none: such requests wait)."""
        self.salesforce = salesforce
        self.erp = erp
        self.successor = successor
        self.ledger = ledger
        self.cancellation = cancellation
        self._per_order = OneAtATime()

    async def handle(self, event: OrderChangeEvent) -> None:
        if not event.may_activate:
            return
        for order_id in event.record_ids:
            async with self._per_order.hold(order_id):
                await self.capture(order_id)

    async def capture(self, order_id: str) -> None:
        """Brings one order through W1, from wherever an earlier attempt left it.

        The order's status, read now, decides: activation and cancellation events arrive in any order
        and any number of times, and an order whose customer asked to cancel is never booked."""
        order = await self.salesforce.read_order(order_id)
        if order.status == CANCELLATION_REQUESTED and self.cancellation is not None:
            await self.cancellation.settle(order)
            return
        if order.status != "Activated":
            log.info("order %s is %s, not Activated: nothing to capture", order.id, order.status)
            return
        sales_order = await self.place_in_erp(order)
        # Only the number is compared: once it is written back, later workflows own ERP_Status__c,
        # and writing the capture-time status again would move it backwards.
        if order.erp_order_number == sales_order.tran_id:
            return
        await self.write_back(order, sales_order)
        log.info("order %s captured as ERP %s (%s)", order.id, sales_order.tran_id, sales_order.status)

    async def write_back(self, order: SalesforceOrder, sales_order: ErpSalesOrder) -> None:
        """The ERP number and status onto the Salesforce order; a seam for the flawed variants."""
        await self.salesforce.update_order(
            order.id, {"ERP_Order_Number__c": sales_order.tran_id, "ERP_Status__c": sales_order.status}
        )

    def sales_order(self, order: SalesforceOrder, lines: list[OrderLine]) -> dict[str, Any]:
        """The ERP sales order to upsert; a seam for the flawed variants."""
        return sales_order_for(order, lines)

    async def place_in_erp(self, order: SalesforceOrder) -> ErpSalesOrder:
        """The ERP sales order for this Salesforce order, created only if it does not exist yet.

        This is where W1's exactly-once lives: the ledger answers for orders captured before,
        and the upsert by external id makes a retry after a lost answer land on the same record.
        """
        known = self.ledger.find(order.id)
        if known is not None:
            return known
        lines = await self.salesforce.read_order_items(order.id)
        try:
            erp = await self.book(order.id, self.sales_order(order, lines))
        except PermanentFailure as refusal:
            erp = await self.booked_earlier(order.id, refusal)
        sales_order = await erp.read_sales_order(external_id_ref(order.id), correlation_id=order.id)
        self.ledger.record(order.id, sales_order)
        return sales_order

    async def booked_earlier(self, order_id: str, refusal: PermanentFailure) -> Erp:
        """The account an earlier attempt booked the order in, once the upsert is refused for good.

        An attempt whose read-back was refused (the ERP's concurrency limit) booked the order; by the
        retry, W3 may have fulfilled it, and NetSuite refuses an upsert that would change the lines of
        an order whose fulfilment has begun. The order is there, so W1 goes on to write its number back;
        where no account holds it, the refusal stands."""
        ref = external_id_ref(order_id)
        for erp in (self.erp, self.successor):
            if erp is not None and await erp.holds_sales_order(ref, correlation_id=order_id):
                return erp
        raise refusal

    async def book(self, order_id: str, sales_order: dict[str, Any]) -> Erp:
        """Upserts the sales order in the account that takes it, and returns that account."""
        try:
            await self.erp.upsert_sales_order(order_id, sales_order, correlation_id=order_id)
            return self.erp
        except AccountRetired:
            if self.successor is None:
                raise
        await self.successor.upsert_sales_order(order_id, sales_order, correlation_id=order_id)
        return self.successor
