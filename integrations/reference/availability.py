"""W2 availability: Salesforce shows, per product, what the ERP can still commit.

Why polling and not events: the ERP's availability moves on transactions the integration never
sees (purchase receipts, restocked returns, backorders committed when stock lands, other channels'
orders), and NetSuite fires no user event when an item's quantity changes, because the quantity
is derived from transactions, not a field anyone saves. So the integration polls: one SuiteQL
query over ``inventoryitemlocations`` reads every item's availability at every location in one
request (paged), which costs the ERP's concurrency limit one slot per poll however busy the
surge, and the differences from what Salesforce shows are written in composite calls of up to
200 products. Each write is an absolute value, not a delta, so a poll is idempotent and
self-healing: a lost write, a restart or a hand edit is corrected by the next poll.

The ERP itself never lets more be committed than exists: an order for scarce stock commits what is
available and backorders the rest. This workflow's job is that Salesforce, where shoppers buy,
never shows more than that.

Across an ERP cutover, "available" is what a new order can get: the legacy account's availability
until the cutover, and the successor's from then on, since it takes every new order. Units the
legacy account still holds afterwards (a return restocked there) serve only the orders booked
there, so Salesforce does not offer them. The successor is read from the first poll that finds it
trading (holding the stock it was handed, or an order), and for good: it never hands the business back.
"""

from __future__ import annotations

import asyncio
import logging

from integrations.reference.erp import Erp
from integrations.reference.retrying import Failure
from integrations.reference.salesforce import Salesforce

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
"""Wall seconds between polls: 30 simulated seconds at rehearse's default 60x."""
BATCH = 200
"""Records per ``composite/sobjects`` call, Salesforce's maximum."""
CORRELATION = "availability"


class Availability:
    def __init__(
        self, salesforce: Salesforce, erp: Erp, *, interval: float = POLL_SECONDS, successor: Erp | None = None
    ) -> None:
        """``successor``: the ERP account that takes new orders once ``erp`` is retired by a cutover."""
        self.salesforce = salesforce
        self.erp = erp
        self.successor = successor
        self.interval = interval
        self._successor_trades = False
        self._shown: dict[str, tuple[str, float | None]] | None = None
        """What Salesforce shows, by SKU: read once, then kept as this workflow writes it."""

    async def available(self) -> dict[str, float]:
        """What the ERP taking new orders can still commit per SKU: the number Salesforce must show."""
        return await (await self.selling()).read_availability(correlation_id=CORRELATION)

    async def selling(self) -> Erp:
        """The ERP account new orders go to: the successor once it trades, else the one ERP."""
        if self.successor is None:
            return self.erp
        if not self._successor_trades:
            self._successor_trades = await self.successor.has_taken_over(correlation_id=CORRELATION)
        return self.successor if self._successor_trades else self.erp

    async def sync(self) -> int:
        """One poll: the ERP's availability into Salesforce where they differ. Returns how many
        products changed."""
        available = await self.available()
        if self._shown is None:
            self._shown = await self.salesforce.read_product_availability(correlation_id=CORRELATION)
        shown = self._shown
        changed = [
            (sku, product_id, available[sku])
            for sku, (product_id, quantity) in sorted(shown.items())
            if sku in available and quantity != available[sku]
        ]
        for start in range(0, len(changed), BATCH):
            batch = changed[start : start + BATCH]
            records = [
                {"attributes": {"type": "Product2"}, "id": product_id, "Available_Quantity__c": quantity}
                for _, product_id, quantity in batch
            ]
            try:
                await self.salesforce.update_records(records, correlation_id=CORRELATION)
            except Failure:
                self._shown = None  # unsure what landed: read Salesforce again next time
                raise
            for sku, product_id, quantity in batch:
                shown[sku] = (product_id, quantity)
        return len(changed)

    async def run(self) -> None:
        """Polls until cancelled; a failed poll is logged and the next one tries again."""
        while True:
            try:
                updated = await self.sync()
                if updated:
                    log.info("availability: %d product(s) updated in Salesforce", updated)
            except Failure as failure:
                log.warning("availability poll failed, next one retries: %s", failure)
            await asyncio.sleep(self.interval)
