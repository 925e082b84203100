"""Refund repeated on duplicate: each delivery of ``return.completed`` pays the customer again.

How double refunds really happen in retail middleware: ShipBob's webhooks carry no event id, so the
integration keeps every delivery as a new event, and its money step is written "customer first": it
does not look up whether this case was already credited and refunded; it asks the ERP to credit
the return authorisation, and when NetSuite refuses (the authorisation has nothing left to credit:
it was credited by the first delivery) it falls back to crediting the customer directly, with a
standalone credit memo for the goods the authorisation received, as agents do for goodwill. NetSuite
caps neither that credit nor the refund that pays it out, and neither names the sales order, so the
books per order look right while the customer is paid once per redelivered webhook (and, as a
standalone credit memo does, the goods go back on hand a second time).
"""

from __future__ import annotations

from functools import partial
from typing import Any
from uuid import uuid4

from integrations.reference.app import build_app as build_reference_app
from integrations.reference.retrying import PermanentFailure, TransientFailure
from integrations.reference.returns import Returns, credit_external_id


class RefundRepeatedOnDuplicate(Returns):
    async def credit(self, case_id: str, rma: dict[str, Any]) -> dict[str, Any]:
        """Credits the return authorisation, or, when the ERP will not, the customer directly; never asks
        whether this case was credited already (the bug)."""
        external_id = credit_external_id(case_id)
        try:
            body = {"externalId": external_id}
            await self.erp.transform("returnAuthorization", str(rma["id"]), "creditMemo", body, correlation_id=case_id)
        except PermanentFailure:
            external_id = f"{external_id}-{uuid4().hex[:8]}"
            await self.erp.create_credit_memo(direct_credit(case_id, rma, external_id), correlation_id=case_id)
        memo = await self.erp.find_record("creditMemo", external_id, correlation_id=case_id)
        if memo is None:
            raise TransientFailure(f"ERP made credit memo {external_id} but does not show it")
        return memo

    def refund_key(self, case_id: str, memo: dict[str, Any]) -> str:
        """One customer refund per credit memo (``ref-<memo>``): retry-safe, but blind to the case."""
        return f"ref-{memo['tranId']}"


def direct_credit(case_id: str, rma: dict[str, Any], external_id: str) -> dict[str, Any]:
    """A standalone credit memo for the customer, for what the return authorisation received."""
    return {
        "externalId": external_id,
        "entity": {"id": rma["entity"]["id"]},
        "memo": f"Return {case_id}: credited directly, {rma['tranId']} would not credit again",
        "item": {
            "items": [
                {
                    "item": {"id": row["item"]["id"]},
                    "quantity": float(row["quantityReceived"]),
                    "rate": float(row["rate"]),
                    **({"location": {"id": row["location"]["id"]}} if row.get("location") else {}),
                }
                for row in rma["item"]["items"]
                if float(row["quantityReceived"]) > 0
            ]
        },
    }


build_app = partial(build_reference_app, deduplicate_events=False, returns=RefundRepeatedOnDuplicate)
