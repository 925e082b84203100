"""W6, returns and refunds: a Salesforce return case becomes one ERP return authorisation and one WMS
return; when the warehouse has inspected the parcel, the ERP receives it (by disposition), credits
it and refunds the credit, and the case is closed with the outcome (``contracts/workflows.md``).

Every effect is keyed by the case id so that no redelivery, retry or lost answer can do it twice:
the return authorisation's ``externalId`` is the case id, the WMS return's ``reference_id`` too
(ShipBob refuses a second one with 422), and the receipts, credit memo and refund carry
``rcv-<case>-<disposition>``, ``cm-<case>`` and ``ref-<case>``, each looked up before it is made.
Money only moves once the WMS says the parcel is back: the refund follows the receipt, never the
request.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from integrations.reference.change_events import CaseChangeEvent
from integrations.reference.erp import Erp, ErpOrderDetail, external_id_ref
from integrations.reference.locks import OneAtATime
from integrations.reference.retrying import PermanentFailure, TransientFailure
from integrations.reference.salesforce import ReturnLine, Salesforce
from integrations.reference.wms import Wms

log = logging.getLogger(__name__)

DISPOSITIONS = {"Restock": "restock", "Dispose": "damaged", "Quarantine": "dispose"}
"""What the WMS did with a unit (``action_taken[].action``) as the ERP receipt's ``custcol_disposition``:
back on the shelf, written off as damaged, or written off as not ours (a wrong item)."""

WMS_SHIPPED = "Completed"
_EPS = 1e-9


def receipt_external_id(case_id: str, disposition: str) -> str:
    return f"rcv-{case_id}-{disposition}"


def credit_external_id(case_id: str) -> str:
    return f"cm-{case_id}"


def refund_external_id(case_id: str) -> str:
    return f"ref-{case_id}"


@dataclass(frozen=True)
class Received:
    """What came back, per SKU and disposition (``restock``, ``damaged``, ``dispose``), and where.

    ``warehouse`` is the WMS fulfilment centre that received the parcel: the ERP must receive it at
    that location too, or ERP and WMS stock part ways per location (the order may have been
    committed at another one)."""

    units: dict[str, dict[str, int]] = field(default_factory=dict)
    warehouse: str | None = None

    def per_sku(self) -> dict[str, int]:
        return {sku: sum(by.values()) for sku, by in self.units.items()}

    def restocked(self) -> dict[str, int]:
        return {sku: by.get("restock", 0) for sku, by in self.units.items()}

    @classmethod
    def from_wms(cls, completed: dict[str, Any], sku_of: dict[int, str]) -> Received:
        units: defaultdict[str, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
        for item in completed["inventory"]:
            sku = sku_of.get(int(item["id"]))
            if sku is None:
                raise PermanentFailure(f"WMS return {completed['id']}: inventory {item['id']} was not in the parcel")
            for action in item["action_taken"]:
                units[sku][DISPOSITIONS[action["action"]]] += int(action["quantity_processed"])
        centre = completed.get("fulfillment_center")
        warehouse = str(centre["name"]) if isinstance(centre, dict) and centre.get("name") else None
        return cls({sku: dict(by) for sku, by in units.items()}, warehouse)


@dataclass(frozen=True)
class Authorised:
    """A return case brought into the ERP and the WMS: its return authorisation and the units asked back."""

    rma: dict[str, Any]
    wanted: dict[str, int]


def spread_over(lines: list[tuple[str, str, float]], per_sku: dict[str, int]) -> dict[str, float]:
    """Per-SKU units over ``(id, sku, capacity)`` lines, first lines first; the last line of a SKU takes any excess."""
    left: defaultdict[str, float] = defaultdict(float, per_sku)
    given: dict[str, float] = {}
    for n, (line_id, sku, capacity) in enumerate(lines):
        last = not any(other == sku for _, other, _ in lines[n + 1 :])
        take = left[sku] if last else min(left[sku], capacity)
        given[line_id] = max(take, 0.0)
        left[sku] -= given[line_id]
    return given


class Returns:
    def __init__(self, salesforce: Salesforce, erp: Erp, wms: Wms | None, per_case: OneAtATime) -> None:
        self.salesforce = salesforce
        self.erp = erp
        self._wms = wms
        self._per_case = per_case

    @property
    def wms(self) -> Wms:
        if self._wms is None:
            raise PermanentFailure("the WMS is not configured: set REHEARSE_WMS_URL, _TOKEN and _CHANNEL_ID")
        return self._wms

    # -- the case opened: authorise the return, expect the parcel -----------------------------------

    async def handle_case(self, event: CaseChangeEvent) -> None:
        if event.change_type == "DELETE":
            return
        for case_id in event.record_ids:
            async with self._per_case.hold(case_id):
                await self.open(case_id)

    async def open(self, case_id: str) -> Authorised | None:
        """One return authorisation and one WMS return for a new return case; the case moves to Working.
        ``None`` for a case that is no open return."""
        case = await self.salesforce.read_case(case_id)
        if case.type != "Return" or case.order_id is None or case.status == "Closed":
            return None
        lines = await self.salesforce.read_return_lines(case_id)
        if not lines:
            raise PermanentFailure(f"return case {case.number} has no return lines")
        skus = {item.id: item.sku for item in await self.salesforce.read_order_item_states(case.order_id)}
        wanted: defaultdict[str, int] = defaultdict(int)
        for line in lines:
            if line.order_item_id not in skus:
                raise PermanentFailure(f"return case {case.number}: {line.order_item_id} is not a line of its order")
            wanted[skus[line.order_item_id]] += int(line.quantity)
        order = await self.erp.read_sales_order_detail(external_id_ref(case.order_id), correlation_id=case_id)
        rma = await self.authorise(case_id, order, dict(wanted))
        await self.expect_parcel(case_id, order, dict(wanted))
        if case.status == "New":
            fields = {"Status": "Working", "ERP_Return_Number__c": rma["tranId"], "Refund_Status__c": "Pending"}
            await self.salesforce.update_records(
                [{"attributes": {"type": "Case"}, "id": case_id, **fields}], correlation_id=case_id
            )
        log.info("return case %s authorised as ERP %s", case.number, rma["tranId"])
        return Authorised(rma, dict(wanted))

    async def authorise(self, case_id: str, order: ErpOrderDetail, wanted: dict[str, int]) -> dict[str, Any]:
        """The ERP return authorisation for the case (``externalId`` = case id), made only if missing."""
        rma = await self.erp.find_record("returnAuthorization", case_id, correlation_id=case_id)
        if rma is not None:
            return rma
        items = []
        for sku, quantity in wanted.items():
            left = float(quantity)
            for line in order.lines:
                take = min(left, line.fulfilled) if line.sku == sku else 0.0
                if take > _EPS:
                    items.append({"orderLine": line.line, "quantity": take})
                    left -= take
            if left > _EPS:
                raise TransientFailure(f"ERP {order.tran_id} has not fulfilled the {quantity} of {sku} being returned")
        body = {"externalId": case_id, "item": {"items": items}}
        await self.erp.transform("salesOrder", order.internal_id, "returnAuthorization", body, correlation_id=case_id)
        rma = await self.erp.find_record("returnAuthorization", case_id, correlation_id=case_id)
        if rma is None:
            raise TransientFailure(f"ERP made the return authorisation for case {case_id} but does not show it")
        return rma

    async def expect_parcel(self, case_id: str, order: ErpOrderDetail, wanted: dict[str, int]) -> None:
        """The WMS return (``reference_id`` = case id) against the first shipped parcel that carried it all."""
        wms_order = await self.wms.find_order(order.internal_id, correlation_id=case_id)
        if wms_order is None:
            raise PermanentFailure(f"the WMS has no order for ERP {order.tran_id}")
        for shipment in wms_order.get("shipments") or []:
            products = {str(p["reference_id"]): p for p in shipment.get("products") or []}
            if shipment.get("status") != WMS_SHIPPED:
                continue
            if all(sku in products and int(products[sku]["quantity"]) >= n for sku, n in wanted.items()):
                body = {
                    "reference_id": case_id,
                    "original_shipment_id": int(shipment["id"]),
                    "inventory": [{"id": int(products[sku]["id"]), "quantity": n} for sku, n in wanted.items()],
                }
                await self.wms.create_return(body, correlation_id=case_id)
                return
        raise PermanentFailure(f"no shipped parcel of ERP {order.tran_id} carried {wanted}")

    # -- the parcel inspected: receive, credit, refund, close ----------------------------------------

    async def handle_return_completed(self, completed: dict[str, Any]) -> None:
        case_id = str(completed["reference_id"])
        async with self._per_case.hold(case_id):
            rma = await self.erp.find_record("returnAuthorization", case_id, correlation_id=case_id)
            if rma is None:
                raise TransientFailure(f"no ERP return authorisation for case {case_id} yet")
            order = await self.wms.find_order(str(rma["createdFrom"]["id"]), correlation_id=case_id)
            sku_of = {
                int(p["id"]): str(p["reference_id"])
                for s in (order or {}).get("shipments") or []
                for p in s.get("products") or []
            }
            await self.settle(case_id, rma, Received.from_wms(completed, sku_of))

    async def settle(self, case_id: str, rma: dict[str, Any], received: Received) -> None:
        """Receipts by disposition, one credit memo, one refund, then the case closed with the outcome."""
        await self.receive(case_id, rma, received)
        memo = await self.credit(case_id, rma)
        refund = await self.refund(case_id, rma, memo)
        await self.close_case(case_id, rma, received, refund)

    async def receive(self, case_id: str, rma: dict[str, Any], received: Received) -> None:
        """One item receipt per disposition, each of what the authorisation has not received yet."""
        unreceived = [
            (int(row["line"]), str(row["item"]["refName"]), float(row["quantity"]) - float(row["quantityReceived"]))
            for row in rma["item"]["items"]
        ]
        for disposition in ("restock", "damaged", "dispose"):
            external_id = receipt_external_id(case_id, disposition)
            items = []
            for sku, by in received.units.items():
                left = float(by.get(disposition, 0))
                for n, (line, line_sku, open_units) in enumerate(unreceived):
                    take = min(left, open_units) if line_sku == sku else 0.0
                    if take > _EPS:
                        item: dict[str, Any] = {"orderLine": line, "quantity": take, "custcol_disposition": disposition}
                        if received.warehouse:
                            item["location"] = {"externalId": received.warehouse}
                        items.append(item)
                        unreceived[n] = (line, line_sku, open_units - take)
                        left -= take
            if not items or await self.erp.find_record("itemReceipt", external_id, correlation_id=case_id):
                continue
            body = {"externalId": external_id, "item": {"items": items}}
            await self.erp.transform("returnAuthorization", str(rma["id"]), "itemReceipt", body, correlation_id=case_id)

    async def credit(self, case_id: str, rma: dict[str, Any]) -> dict[str, Any]:
        """The credit memo for everything received (``cm-<case>``), made only if missing."""
        external_id = credit_external_id(case_id)
        memo = await self.erp.find_record("creditMemo", external_id, correlation_id=case_id)
        if memo is None:
            body = {"externalId": external_id}
            await self.erp.transform("returnAuthorization", str(rma["id"]), "creditMemo", body, correlation_id=case_id)
            memo = await self.erp.find_record("creditMemo", external_id, correlation_id=case_id)
            if memo is None:
                raise TransientFailure(f"ERP made credit memo {external_id} but does not show it")
        return memo

    async def refund(self, case_id: str, rma: dict[str, Any], memo: dict[str, Any]) -> dict[str, Any]:
        """The customer refund of the credit memo (``ref-<case>``), made only if missing."""
        external_id = self.refund_key(case_id, memo)
        refund = await self.erp.find_record("customerRefund", external_id, correlation_id=case_id)
        if refund is None:
            body = {
                "externalId": external_id,
                "customer": {"id": rma["entity"]["id"]},
                "apply": {"items": [{"doc": {"id": memo["id"]}, "amount": memo["total"]}]},
            }
            await self.erp.create_refund(body, correlation_id=case_id)
            refund = await self.erp.find_record("customerRefund", external_id, correlation_id=case_id)
            if refund is None:
                raise TransientFailure(f"ERP made refund {external_id} but does not show it")
        return refund

    def refund_key(self, case_id: str, memo: dict[str, Any]) -> str:
        """The refund's ``externalId``: keyed by the case, so the case is refunded once whatever the credit memo."""
        return refund_external_id(case_id)

    async def close_case(self, case_id: str, rma: dict[str, Any], received: Received, refund: dict[str, Any]) -> None:
        """The case closed with its outcome, its return lines and the order's lines updated, all or none."""
        case = await self.salesforce.read_case(case_id)
        if case.order_id is None:
            raise PermanentFailure(f"return case {case.number} names no order")
        items = await self.salesforce.read_order_item_states(case.order_id)
        sku_of = {item.id: item.sku for item in items}
        lines = await self.salesforce.read_return_lines(case_id)

        def capacities(chosen: list[ReturnLine]) -> list[tuple[str, str, float]]:
            return [(line.id, sku_of[line.order_item_id], line.quantity) for line in chosen]

        got = spread_over(capacities(lines), received.per_sku())
        restocked = spread_over(capacities(lines), received.restocked())
        returned = await self.returned_before(case.order_id, case_id)
        for line in lines:
            returned[line.order_item_id] = returned.get(line.order_item_id, 0.0) + got[line.id]
        amount = float(refund["total"])
        kept = {sku: n for sku, n in received.per_sku().items() if n > received.restocked().get(sku, 0)}
        outcome = (
            f"Received {sum(received.per_sku().values())} unit(s), {sum(received.restocked().values())} restocked"
            + (f", written off {', '.join(f'{sku}' for sku in sorted(kept))}" if kept else "")
            + f"; refunded {amount:.2f} ({refund['tranId']}) against {rma['tranId']}."
        )
        records: list[dict[str, Any]] = [
            {
                "attributes": {"type": "Case"},
                "id": case_id,
                "Status": "Closed",
                "Refund_Status__c": "Refunded",
                "Refund_Amount__c": amount,
                "ERP_Return_Number__c": rma["tranId"],
                "Return_Outcome__c": outcome,
            },
            *(
                {"attributes": {"type": "ReturnOrder"}, "id": return_order_id, "Status": "Closed"}
                for return_order_id in sorted({line.return_order_id for line in lines})
            ),
            *(
                {
                    "attributes": {"type": "ReturnOrderLineItem"},
                    "id": line.id,
                    "Quantity_Received__c": got[line.id],
                    "Quantity_Restocked__c": restocked[line.id],
                }
                for line in lines
            ),
            *(
                {"attributes": {"type": "OrderItem"}, "id": item.id, "Quantity_Returned__c": returned[item.id]}
                for item in items
                if item.id in returned and returned[item.id] != item.returned
            ),
        ]
        await self.salesforce.update_records(records, correlation_id=case_id)
        log.info("return case %s closed: %s", case.number, outcome)

    async def returned_before(self, order_id: str, case_id: str) -> dict[str, float]:
        """Units per order line received back by the order's other return cases, as Salesforce holds them."""
        returned: defaultdict[str, float] = defaultdict(float)
        for line in await self.salesforce.read_received_lines(order_id, excluding_case=case_id):
            returned[line[0]] += line[1]
        return dict(returned)
