"""Cancelled orders across the systems: which Salesforce orders the customer was told are cancelled,
and what the ERP, the WMS and the carrier did with them.

Two checkers read this. ``history`` owns the promise made to the customer: nothing picked, labelled,
shipped or fulfilled for an order that reached ``Cancelled``, and ``Cancelled`` stays. ``consistency``
owns the agreement after the drain: Salesforce ``Cancelled`` exactly when the ERP and WMS orders are
(or were never made), and no request left unanswered. Where goods moved for a cancelled order, the
WMS order is not cancelled either; that is reported once, by ``history``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.checkers import CheckContext, erp_orders_by_salesforce_id, erp_records, wms_orders_by_reference
from harness.history import RecordedExchange
from harness.recorder import DIRECTION_TO_MOCK

CANCELLED = "Cancelled"
REQUESTED = "Cancellation Requested"
ERP_CANCELLED = "Cancelled"
WMS_CANCELLED = "Cancelled"
PAST_PICKING = frozenset({"Picking", "Picked", "Packing", "Packed", "Shipped", "Delivered"})
"""WMS shipment stages once a picker has the goods in hand: the warehouse no longer cancels."""

_ORDER_PATH = re.compile(r"/services/data/v[0-9.]+/sobjects/Order/([0-9A-Za-z]{15,18})$")
_COLLECTION_PATH = re.compile(r"/services/data/v[0-9.]+/composite/sobjects$")


def order_fields_written(exchange: RecordedExchange) -> list[tuple[str, dict[str, Any]]]:
    """``(order id, fields)`` an accepted PATCH wrote: one order by its own URL, or any number through
    the sObject Collections call (only the records that succeeded)."""
    body = exchange.request_json()
    if not isinstance(body, dict):
        return []
    match = _ORDER_PATH.search(exchange.path)
    if match:
        return [(match.group(1), body)] if exchange.status == 204 else []
    if not _COLLECTION_PATH.search(exchange.path) or exchange.status != 200:
        return []
    records, results = body.get("records"), exchange.response_json()
    if not isinstance(records, list) or not isinstance(results, list) or len(records) != len(results):
        return []
    return [
        (str(record.get("id")), record)
        for record, result in zip(records, results, strict=True)
        if isinstance(record, dict)
        and isinstance(result, dict)
        and result.get("success") is True
        and (record.get("attributes") or {}).get("type") == "Order"
    ]


def order_writes(context: CheckContext) -> Iterator[tuple[RecordedExchange, str, dict[str, Any]]]:
    """Every accepted write to a Salesforce order, in the order the org took them."""
    for exchange in context.history.exchanges(system="salesforce", direction=DIRECTION_TO_MOCK, method="PATCH"):
        for order_id, fields in order_fields_written(exchange):
            yield exchange, order_id, fields


@dataclass
class CancelledOrder:
    """A Salesforce order that reached ``Cancelled``, with what the other systems hold for it."""

    order_id: str
    number: str
    final_status: str | None
    cancelled_by: str | None
    """The exchange that wrote ``Cancelled``, when the History has it."""
    erp_orders: list[dict[str, Any]] = field(default_factory=list)
    wms_orders: list[dict[str, Any]] = field(default_factory=list)
    fulfilments: list[dict[str, Any]] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)

    def goods_moved(self) -> dict[str, Any]:
        """What left, or began to leave, for this order: empty when nothing did."""
        moved: dict[str, Any] = {}
        shipments = [
            {"wms order": o["id"], "shipment": s["id"], "stage": s.get("stage") or s.get("status")}
            for o in self.wms_orders
            for s in o.get("shipments", [])
            if s.get("stage") in PAST_PICKING or s.get("status") in ("Completed", "LabeledCreated")
        ]
        if shipments:
            moved["wms shipments past picking"] = shipments
        if self.labels:
            moved["carrier labels"] = self.labels
        if self.fulfilments:
            moved["erp item fulfilments"] = [
                {"salesOrder": f.get("salesOrder"), "tranId": f.get("tranId"), "lines": f.get("lines")}
                for f in self.fulfilments
            ]
        return moved

    @property
    def keys(self) -> tuple[str, ...]:
        return (
            self.order_id,
            *(str(o["tranId"]) for o in self.erp_orders),
            *(f"wms:{o['id']}" for o in self.wms_orders),
        )


def cancelled_orders(context: CheckContext) -> dict[str, CancelledOrder]:
    """Orders the org took ``Status = Cancelled`` for (by an accepted write, or in the final state)."""
    records = context.history.final_state("salesforce").get("records", {}).get("Order", {})
    written: dict[str, str] = {}
    for exchange, order_id, fields in order_writes(context):
        if fields.get("Status") == CANCELLED:
            written.setdefault(order_id, exchange.line())
    ids = set(written) | {oid for oid, order in records.items() if order.get("Status") == CANCELLED}
    erp = erp_orders_by_salesforce_id(context)
    wms = wms_orders_by_reference(context)
    fulfilments: dict[str, list[dict[str, Any]]] = {}
    for doc in erp_records(context, "itemFulfillments"):
        fulfilments.setdefault(str(doc.get("salesOrder")), []).append(doc)
    labels: dict[str, list[dict[str, Any]]] = {}
    for event in context.history.events(system="wms", kind="shipment.labelled"):
        labels.setdefault(event.business_key or "", []).append({"t": round(event.sim_time, 1), **(event.payload or {})})
    found = {}
    for order_id in sorted(ids):
        record = records.get(order_id, {})
        erp_orders = erp.get(order_id, [])
        erp_ids = [str(o["id"]) for o in erp_orders]
        found[order_id] = CancelledOrder(
            order_id,
            str(record.get("OrderNumber", order_id)),
            record.get("Status"),
            written.get(order_id),
            erp_orders,
            [w for erp_id in erp_ids for w in wms.get(erp_id, [])],
            [f for erp_id in erp_ids for f in fulfilments.get(erp_id, [])],
            [label for erp_id in erp_ids for label in labels.get(erp_id, [])],
        )
    return found
