"""History: the order of things. Statuses only move forward; nothing ships before it was booked; no
refund is paid before the warehouse received the return.

Judged from the exchanges as they happened, not from the final state: an order that ends
"Delivered" may still have shown "In Transit" to a customer after it was delivered.
"""

from __future__ import annotations

import re
import statistics
from typing import Any

from harness.checkers import CheckContext, Checker, Finding, register
from harness.checkers.returns import returns_by_order, wms_return_orders
from harness.history import RecordedExchange
from harness.recorder import DIRECTION_TO_MOCK

STATUS_RANK = {
    "Not Started": 0,
    "Backordered": 1,
    "Partially Shipped": 2,
    "Shipped": 3,
    "Partially Delivered": 4,
    "Delivered": 5,
    "Returned": 6,
}
"""Forward order of ``Fulfillment_Status__c``; Cancelled may follow anything and is left out."""

_ORDER_PATH = re.compile(r"/services/data/v[0-9.]+/sobjects/Order/([0-9A-Za-z]{15,18})$")
_COLLECTION_PATH = re.compile(r"/services/data/v[0-9.]+/composite/sobjects$")


def _statuses_written(exchange: RecordedExchange) -> list[tuple[str, str]]:
    """``(order id, Fulfillment_Status__c)`` an accepted PATCH wrote: one order by its own URL, or
    any number through the sObject Collections call (only the records that succeeded)."""
    body = exchange.request_json()
    if not isinstance(body, dict):
        return []
    match = _ORDER_PATH.search(exchange.path)
    if match:
        status = body.get("Fulfillment_Status__c")
        return [(match.group(1), status)] if exchange.status == 204 and status in STATUS_RANK else []
    if not _COLLECTION_PATH.search(exchange.path) or exchange.status != 200:
        return []
    records, results = body.get("records"), exchange.response_json()
    if not isinstance(records, list) or not isinstance(results, list) or len(records) != len(results):
        return []
    return [
        (str(record.get("id")), record["Fulfillment_Status__c"])
        for record, result in zip(records, results, strict=True)
        if isinstance(record, dict)
        and isinstance(result, dict)
        and result.get("success") is True
        and (record.get("attributes") or {}).get("type") == "Order"
        and record.get("Fulfillment_Status__c") in STATUS_RANK
    ]


@register
class HistoryOrder(Checker):
    name = "history"
    workflows = frozenset({"W3", "W4", "W5", "W6"})

    def check(self, context: CheckContext) -> list[Finding]:
        findings = self._statuses_move_forward(context)
        if "W3" in context.workflows:
            findings += self._released_after_booking(context)
        if "W6" in context.workflows:
            findings += self._refunded_after_receipt(context)
        return findings

    def measure(self, context: CheckContext) -> dict[str, Any]:
        if "W6" not in context.workflows:
            return {}
        waits = [refund - received for _, refund, received in _refunds_and_receipts(context) if received is not None]
        if not waits:
            return {}
        return {
            "refund_after_receipt_p50_sim_s": round(statistics.median(waits), 3),
            "refund_after_receipt_max_sim_s": round(max(waits), 3),
        }

    def _refunded_after_receipt(self, context: CheckContext) -> list[Finding]:
        """The n-th refund of an order is paid only once the WMS completed at least n of its returns."""
        findings = []
        for refund, paid_at, received_at in _refunds_and_receipts(context):
            if received_at is not None and received_at <= paid_at:
                continue
            order_id = str(refund["order"])
            findings.append(
                Finding(
                    self.name,
                    "no refund before the return was received",
                    f"refund {refund['tranId']} for Salesforce order {order_id} was issued at t={paid_at:.0f}s, "
                    + (
                        f"before the WMS received the return (t={received_at:.0f}s)"
                        if received_at is not None
                        else "and the WMS never received a return that it pays for"
                    ),
                    (order_id, str(refund["tranId"])),
                    {"erp refund issued": paid_at, "wms return received": received_at},
                    context.trace(order_id),
                    workflow="W6",
                )
            )
        return findings

    def _statuses_move_forward(self, context: CheckContext) -> list[Finding]:
        latest: dict[str, tuple[str, str]] = {}
        findings = []
        for exchange in context.history.exchanges(system="salesforce", direction=DIRECTION_TO_MOCK, method="PATCH"):
            for order_id, status in _statuses_written(exchange):
                before = latest.get(order_id)
                if before is not None and STATUS_RANK[status] < STATUS_RANK[before[0]]:
                    findings.append(
                        Finding(
                            self.name,
                            "Salesforce fulfilment status only moves forward",
                            f"order {order_id} went back from {before[0]!r} to {status!r}",
                            (order_id,),
                            {"salesforce": {"before": before[0], "after": status}},
                            (before[1], exchange.line()),
                            workflow="W5",
                        )
                    )
                latest[order_id] = (status, exchange.line())
        return findings

    def _released_after_booking(self, context: CheckContext) -> list[Finding]:
        booked = {
            str(event.payload.get("id")): event.sim_time
            for event in context.history.events(kind="salesOrder.created")
            if isinstance(event.payload, dict)
        }
        findings = []
        for event in context.history.events(system="wms", kind="order.created"):
            reference = event.business_key or ""
            if reference not in booked or event.sim_time < booked[reference]:
                findings.append(
                    Finding(
                        self.name,
                        "no WMS order before its ERP order was booked",
                        f"WMS order {reference!r} was created at t={event.sim_time:.0f}s; "
                        + (
                            f"its ERP order was booked at t={booked[reference]:.0f}s"
                            if reference in booked
                            else "no ERP order has that id"
                        ),
                        (reference,),
                        {"wms": event.sim_time, "erp": booked.get(reference)},
                        context.trace(reference),
                        workflow="W3",
                    )
                )
        return findings


def _refunds_and_receipts(context: CheckContext) -> list[tuple[dict[str, Any], float, float | None]]:
    """Each ERP refund with when it was paid and when the WMS completed the return it pays for (the
    order's n-th completed return for its n-th refund; ``None`` when there is no such return)."""
    orders = returns_by_order(context)
    order_of_refund = {str(doc["id"]): o.order_id for o in orders.values() for doc in o.refunds}
    tran_id = {str(doc["id"]): str(doc["tranId"]) for o in orders.values() for doc in o.refunds}
    order_of_return = wms_return_orders(context)
    completed: dict[str, list[float]] = {}
    for event in context.history.events(system="wms", kind="return.completed"):
        order_id = order_of_return.get(int(event.payload.get("return", -1)))
        if order_id is not None:
            completed.setdefault(order_id, []).append(event.sim_time)
    paid: dict[str, int] = {}
    found = []
    for event in context.history.events(kind="refund.issued"):
        refund_id = str(event.payload.get("id"))
        order_id = order_of_refund.get(refund_id)
        if order_id is None:
            continue
        n = paid.get(order_id, 0)
        paid[order_id] = n + 1
        receipts = sorted(completed.get(order_id, []))
        received_at = receipts[n] if n < len(receipts) else None
        found.append(({"order": order_id, "tranId": tran_id[refund_id]}, event.sim_time, received_at))
    return found
