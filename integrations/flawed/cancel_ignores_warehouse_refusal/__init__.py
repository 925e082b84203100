"""A cancellation confirmed as soon as the warehouse was asked: its "already picked" refusal is ignored.

The order is marked Cancelled in Salesforce (and in the ERP), the customer is told so, and the parcel
the pickers already had in hand ships anyway: goods out the door for an order no one will pay for.
"""

from __future__ import annotations

from functools import partial

from integrations.reference.app import build_app as build_reference_app
from integrations.reference.cancellation import Cancellation


class CancelWhateverTheWarehouseSays(Cancellation):
    async def stop_in_warehouse(self, erp_internal_id: str) -> str | None:
        await super().stop_in_warehouse(erp_internal_id)
        return None


build_app = partial(build_reference_app, cancellation=CancelWhateverTheWarehouseSays)
