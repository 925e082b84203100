"""The cutover flips every flow: once the new ERP books orders, shipments of orders still in flight
in the legacy ERP are recorded in the new one too.

The integration keeps one "current ERP" setting for fulfilment and moves it to the new account as
soon as an order is booked there, as a runbook that says "switch the ERP connection at T" would. An
order booked in the legacy account before the cutover but shipped after it is then looked up in an
account that never had it: its fulfilment and invoice are never recorded, and Salesforce never
shows it shipped.
"""

from __future__ import annotations

from functools import partial

from integrations.reference.app import build_app as build_reference_app
from integrations.reference.erp import Erp
from integrations.reference.fulfilment import LEGACY_ERP, Fulfilment
from integrations.reference.ledger import Release


class FulfilInTheCurrentErp(Fulfilment):
    current = LEGACY_ERP

    async def release(self, erp_internal_id: str, erp_account: str = LEGACY_ERP) -> Release:
        if erp_account != LEGACY_ERP:
            self.current = erp_account
        return await super().release(erp_internal_id, erp_account)

    def erp_holding(self, account: str) -> Erp:
        return self.erp_named(self.current)


build_app = partial(build_reference_app, fulfilment=FulfilInTheCurrentErp)
