"""Refund on request: the customer is paid back when the return case is opened, not when the parcel arrives.

A common shortcut for "customer-friendly" returns: the integration takes the agent's case as proof
that the goods are coming back, books them as received, credits and refunds at once, and closes the
case. Parcels that never arrive, or arrive damaged, have been paid for all the same.
"""

from __future__ import annotations

from functools import partial

from integrations.reference.app import build_app as build_reference_app
from integrations.reference.returns import Authorised, Received, Returns


class RefundOnRequest(Returns):
    async def open(self, case_id: str) -> Authorised | None:
        authorised = await super().open(case_id)
        if authorised is not None:
            as_requested = Received({sku: {"restock": units} for sku, units in authorised.wanted.items()})
            await self.settle(case_id, authorised.rma, as_requested)
        return authorised


build_app = partial(build_reference_app, returns=RefundOnRequest)
