"""History: the order of things. Statuses only move forward; nothing ships before it was booked.

Judged from the exchanges as they happened, not from the final state: an order that ends
"Delivered" may still have shown "In Transit" to a customer after it was delivered.
"""

from __future__ import annotations

import re

from harness.checkers import CheckContext, Checker, Finding, register
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
    workflows = frozenset({"W3", "W4", "W5"})

    def check(self, context: CheckContext) -> list[Finding]:
        findings = self._statuses_move_forward(context)
        if "W3" in context.workflows:
            findings += self._released_after_booking(context)
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
