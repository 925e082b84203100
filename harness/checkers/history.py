"""History: the order of things. Statuses only move forward; nothing ships before it was booked; no
refund is paid before the warehouse received the return; nothing is picked, labelled, shipped or
fulfilled for an order the customer was told is cancelled, and a cancelled order stays cancelled.

Judged from the exchanges as they happened, not from the final state: an order that ends
"Delivered" may still have shown "In Transit" to a customer after it was delivered.
"""

from __future__ import annotations

import statistics
from typing import Any

from harness.checkers import CheckContext, Checker, Finding, register
from harness.checkers.cancellations import CANCELLED, cancelled_orders, order_fields_written, order_writes
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


def _statuses_written(exchange: RecordedExchange) -> list[tuple[str, str]]:
    """``(order id, Fulfillment_Status__c)`` an accepted PATCH wrote."""
    return [
        (order_id, fields["Fulfillment_Status__c"])
        for order_id, fields in order_fields_written(exchange)
        if fields.get("Fulfillment_Status__c") in STATUS_RANK
    ]


@register
class HistoryOrder(Checker):
    name = "history"
    workflows = frozenset({"W3", "W4", "W5", "W6"})

    def check(self, context: CheckContext) -> list[Finding]:
        findings = self._statuses_move_forward(context)
        if "W3" in context.workflows:
            findings += self._released_after_booking(context)
            findings += self._nothing_ships_when_cancelled(context)
        findings += self._cancelled_stays_cancelled(context)
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

    def _nothing_ships_when_cancelled(self, context: CheckContext) -> list[Finding]:
        """An order the customer was told is cancelled has nothing picked, labelled, shipped or fulfilled."""
        findings = []
        for order in cancelled_orders(context).values():
            moved = order.goods_moved()
            if not moved:
                continue
            findings.append(
                Finding(
                    self.name,
                    "no shipment for a cancelled order",
                    f"Salesforce order {order.number} ({order.order_id}) shows Cancelled, but "
                    + "; ".join(f"{len(items)} {what}" for what, items in moved.items()),
                    order.keys,
                    {
                        "salesforce": {"Status": order.final_status, "cancelled by": order.cancelled_by},
                        "erp": [{"tranId": o["tranId"], "status": o["status"]} for o in order.erp_orders],
                        **moved,
                    },
                    context.trace(order.order_id)
                    + tuple(step for o in order.erp_orders for step in context.trace(str(o["id"]))),
                    workflow="W3",
                )
            )
        return findings

    def _cancelled_stays_cancelled(self, context: CheckContext) -> list[Finding]:
        """Once the org took ``Status = Cancelled`` for an order, no later write moves its status."""
        cancelled_at: dict[str, str] = {}
        moved: dict[str, tuple[str, dict[str, Any]]] = {}
        for exchange, order_id, fields in order_writes(context):
            status, fulfilment = fields.get("Status"), fields.get("Fulfillment_Status__c")
            moves = (status is not None and status != CANCELLED) or fulfilment in STATUS_RANK
            if order_id in cancelled_at and order_id not in moved and moves:
                written: dict[str, Any] = {k: fields[k] for k in ("Status", "Fulfillment_Status__c") if k in fields}
                moved[order_id] = (exchange.line(), written)
            if status == CANCELLED:
                cancelled_at.setdefault(order_id, exchange.line())
        return [
            Finding(
                self.name,
                "Cancelled is terminal",
                f"Salesforce order {order_id} was Cancelled, then written {after}",
                (order_id,),
                {"salesforce": {"before": CANCELLED, "after": after}},
                (cancelled_at[order_id], line),
                workflow="W5",
            )
            for order_id, (line, after) in moved.items()
        ]

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
