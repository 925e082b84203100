"""Final-state consistency: after the drain, the systems agree on every order, line by line."""

from __future__ import annotations

from collections import Counter
from typing import Any

from harness.checkers import (
    CheckContext,
    Checker,
    Finding,
    activated_orders,
    erp_orders_by_salesforce_id,
    erp_records,
    register,
    released_erp_orders,
    shipped_units,
    wms_orders_by_reference,
)
from harness.checkers.cancellations import (
    CANCELLED,
    ERP_CANCELLED,
    REQUESTED,
    WMS_CANCELLED,
    cancelled_orders,
)
from harness.checkers.returns import OrderReturns, returns_by_order

_CENT = 0.005


def _salesforce_lines(context: CheckContext, order_id: str) -> Counter[tuple[str, float, float]]:
    items = context.history.final_state("salesforce").get("records", {}).get("OrderItem", {})
    return Counter(
        (i["SKU__c"], float(i["Quantity"]), round(float(i["UnitPrice"]), 2))
        for i in items.values()
        if i["OrderId"] == order_id and not i["IsDeleted"]
    )


def _erp_lines(order: dict[str, Any]) -> Counter[tuple[str, float, float]]:
    return Counter((ln["sku"], float(ln["quantity"]), round(float(ln["rate"]), 2)) for ln in order["lines"])


@register
class Consistency(Checker):
    name = "consistency"
    workflows = frozenset({"W1", "W3", "W4", "W6"})

    def check(self, context: CheckContext) -> list[Finding]:
        findings = []
        if "W6" in context.workflows:
            for order in returns_by_order(context).values():
                findings += self._returns_agree(context, order)
        if "W1" in context.workflows:
            findings += self._orders_captured(context)
            findings += self._cancellations_agree(context)
        if "W3" in context.workflows:
            findings += self._orders_released(context)
        if "W4" in context.workflows:
            findings += self._shipments_recorded(context)
            findings += self._amounts_invoiced(context)
        return findings

    def _amounts_invoiced(self, context: CheckContext) -> list[Finding]:
        """What the ERP invoiced for each SKU is what it shipped at the price the customer saw in Salesforce."""
        findings = []
        billed: dict[tuple[str, str], dict[str, list[float]]] = {}
        for invoice in erp_records(context, "invoices"):
            per_sku = billed.setdefault((invoice["account"], str(invoice.get("salesOrder"))), {})
            for line in invoice.get("lines", []):
                amounts = per_sku.setdefault(line["sku"], [0.0, 0.0])
                amounts[0] += float(line["quantity"])
                amounts[1] += float(line["quantity"]) * float(line["rate"])
        items = context.history.final_state("salesforce").get("records", {}).get("OrderItem", {}).values()
        prices: dict[tuple[str, str], set[float]] = {}
        for item in items:
            if not item.get("IsDeleted"):
                prices.setdefault((item["OrderId"], item["SKU__c"]), set()).add(round(float(item["UnitPrice"]), 2))
        for order in erp_records(context, "salesOrders"):
            key = order.get("externalId") or order.get("otherRefNum") or ""
            wrong = {}
            for sku, (quantity, amount) in sorted(billed.get((order["account"], order["id"]), {}).items()):
                price = prices.get((key, sku), set())
                if len(price) != 1:
                    continue  # no single Salesforce price to hold the invoice to
                expected = round(quantity * next(iter(price)), 2)
                if abs(round(amount, 2) - expected) > 0.01:
                    wrong[sku] = {"invoiced": round(amount, 2), "quantity": quantity, "at salesforce price": expected}
            if wrong:
                findings.append(
                    Finding(
                        self.name,
                        "amounts invoiced agree with Salesforce prices, line by line",
                        f"ERP order {order['tranId']} invoiced {', '.join(wrong)} at amounts that differ from"
                        " Salesforce's price times the quantity billed",
                        (key, order["tranId"]),
                        {"erp and salesforce": wrong},
                        context.trace(order["id"]),
                        workflow="W4",
                    )
                )
        return findings

    def _orders_released(self, context: CheckContext) -> list[Finding]:
        wms = wms_orders_by_reference(context)
        return [
            Finding(
                self.name,
                "every booked ERP order released to the warehouse",
                f"ERP order {order['tranId']} (id {order['id']}, {order['account']}) is {order['status']}"
                " but the WMS has no order for it",
                (order["id"], order["tranId"]),
                {"erp": {"tranId": order["tranId"], "status": order["status"]}, "wms": None},
                context.trace(order["id"]),
                workflow="W3",
            )
            for order in released_erp_orders(context)
            if order["id"] not in wms
        ]

    def _shipments_recorded(self, context: CheckContext) -> list[Finding]:
        """What the warehouse shipped is what the ERP fulfilled and what Salesforce shows, line by line."""
        findings = []
        wms = wms_orders_by_reference(context)
        records = context.history.final_state("salesforce").get("records", {})
        items = records.get("OrderItem", {}).values()
        for order in released_erp_orders(context):
            shipped: Counter[str] = Counter()
            for wms_order in wms.get(order["id"], []):
                shipped.update(shipped_units(wms_order))
            fulfilled = Counter({ln["sku"]: int(ln["fulfilled"]) for ln in order["lines"]})
            ordered = Counter({ln["sku"]: int(ln["quantity"]) for ln in order["lines"]})
            key = order.get("externalId") or order.get("otherRefNum")
            if +fulfilled != +shipped:
                findings.append(
                    Finding(
                        self.name,
                        "every shipment recorded in the ERP, line by line",
                        f"ERP order {order['tranId']} ({order['account']}): the WMS shipped {dict(+shipped)},"
                        f" the ERP fulfilled {dict(+fulfilled)}",
                        (order["id"], order["tranId"]),
                        {"wms shipped": dict(shipped), "erp fulfilled": dict(fulfilled)},
                        context.trace(order["id"]),
                        workflow="W4",
                    )
                )
            sf_order = records.get("Order", {}).get(key or "")
            if sf_order is None:
                continue
            shown = Counter(
                {i["SKU__c"]: int(i.get("Quantity_Shipped__c") or 0) for i in items if i["OrderId"] == sf_order["Id"]}
            )
            if +shown != +shipped:
                findings.append(
                    Finding(
                        self.name,
                        "Salesforce shows the shipped quantities, line by line",
                        f"Salesforce order {sf_order['OrderNumber']} shows shipped {dict(+shown)}; the WMS shipped "
                        f"{dict(+shipped)}",
                        (sf_order["Id"], order["tranId"]),
                        {"salesforce": dict(shown), "wms": dict(shipped)},
                        context.trace(sf_order["Id"]),
                        workflow="W4",
                    )
                )
            status = sf_order.get("Fulfillment_Status__c")
            if status in ("Shipped", "Delivered") and shipped != ordered:
                findings.append(
                    Finding(
                        self.name,
                        "an order shows Shipped only when every unit shipped",
                        f"Salesforce order {sf_order['OrderNumber']} shows {status!r} but only {dict(+shipped)} of "
                        f"{dict(ordered)} shipped",
                        (sf_order["Id"], order["tranId"]),
                        {"salesforce": status, "wms shipped": dict(shipped), "ordered": dict(ordered)},
                        context.trace(sf_order["Id"]),
                        workflow="W4",
                    )
                )
        return findings

    def _cancellations_agree(self, context: CheckContext) -> list[Finding]:
        """Salesforce shows Cancelled exactly when the ERP and WMS orders are cancelled (or were never
        made), and every request to cancel was answered. A WMS order left uncancelled because goods moved
        is ``history``'s finding ("no shipment for a cancelled order"), not repeated here."""
        findings = []
        orders = context.history.final_state("salesforce").get("records", {}).get("Order", {})
        for order_id, order in orders.items():
            if order.get("Status") == REQUESTED:
                findings.append(
                    Finding(
                        self.name,
                        "every request to cancel is answered",
                        f"Salesforce order {order['OrderNumber']} ({order_id}) still shows {REQUESTED!r} after the"
                        " drain: the customer was never told whether it is cancelled",
                        (order_id,),
                        {"salesforce": {"Status": order.get("Status"), "ERP_Status__c": order.get("ERP_Status__c")}},
                        context.trace(order_id),
                        workflow="W1",
                    )
                )
        cancelled = cancelled_orders(context)
        for order in cancelled.values():
            if order.final_status != CANCELLED:
                continue  # moved on from Cancelled: history's "Cancelled is terminal"
            open_erp = [o for o in order.erp_orders if o.get("status") != ERP_CANCELLED]
            open_wms = [o for o in order.wms_orders if o.get("status") != WMS_CANCELLED]
            if open_erp or (open_wms and "W3" in context.workflows and not order.goods_moved()):
                findings.append(
                    Finding(
                        self.name,
                        "a cancelled order is cancelled in the ERP and the WMS",
                        f"Salesforce order {order.number} ({order.order_id}) shows Cancelled; "
                        + "; ".join(
                            [f"ERP order {o['tranId']} is {o['status']}" for o in open_erp]
                            + [f"WMS order {o['id']} is {o['status']}" for o in open_wms]
                        ),
                        order.keys,
                        {
                            "salesforce": {"Status": CANCELLED},
                            "erp": [{"tranId": o["tranId"], "status": o["status"]} for o in order.erp_orders],
                            "wms": [{"id": o["id"], "status": o["status"]} for o in order.wms_orders],
                        },
                        context.trace(order.order_id),
                        workflow="W1",
                    )
                )
        wms = wms_orders_by_reference(context)
        for order_id, copies in erp_orders_by_salesforce_id(context).items():
            sf_order = orders.get(order_id)
            if sf_order is None or order_id in cancelled or sf_order.get("Status") == REQUESTED:
                continue
            downstream = [f"ERP order {o['tranId']}" for o in copies if o.get("status") == ERP_CANCELLED] + [
                f"WMS order {w['id']}"
                for o in copies
                for w in wms.get(str(o["id"]), [])
                if w.get("status") == WMS_CANCELLED and "W3" in context.workflows
            ]
            if downstream:
                findings.append(
                    Finding(
                        self.name,
                        "an order cancelled downstream shows Cancelled in Salesforce",
                        f"Salesforce order {sf_order['OrderNumber']} ({order_id}) shows {sf_order.get('Status')!r},"
                        f" but {' and '.join(downstream)} cancelled",
                        (order_id, *(str(o["tranId"]) for o in copies)),
                        {
                            "salesforce": {"Status": sf_order.get("Status")},
                            "erp": [{"tranId": o["tranId"], "status": o["status"]} for o in copies],
                        },
                        context.trace(order_id),
                        workflow="W1",
                    )
                )
        return findings

    def _orders_captured(self, context: CheckContext) -> list[Finding]:
        findings = []
        erp = erp_orders_by_salesforce_id(context)
        for order_id, order in activated_orders(context).items():
            copies = erp.get(order_id, [])
            salesforce = {
                "Id": order_id,
                "OrderNumber": order["OrderNumber"],
                "ERP_Order_Number__c": order.get("ERP_Order_Number__c"),
                "ERP_Status__c": order.get("ERP_Status__c"),
            }
            if not copies:
                findings.append(
                    Finding(
                        self.name,
                        "no order lost",
                        f"Salesforce order {order['OrderNumber']} ({order_id}) was activated"
                        " but no ERP account has an order for it",
                        (order_id,),
                        {"salesforce": salesforce, "erp": None},
                        context.trace(order_id),
                        workflow="W1",
                    )
                )
                continue
            numbers = {c["tranId"] for c in copies}
            if order.get("ERP_Order_Number__c") not in numbers:
                findings.append(
                    Finding(
                        self.name,
                        "ERP order number written back to Salesforce",
                        f"Salesforce order {order['OrderNumber']} ({order_id}) carries ERP number "
                        f"{order.get('ERP_Order_Number__c')!r}; the ERP holds {', '.join(sorted(numbers))}",
                        (order_id,),
                        {"salesforce": salesforce, "erp": sorted(numbers)},
                        context.trace(order_id),
                        workflow="W1",
                    )
                )
            expected = _salesforce_lines(context, order_id)
            for copy in copies:
                held = _erp_lines(copy)
                if held != expected:
                    findings.append(
                        Finding(
                            self.name,
                            "order lines agree (SKU, quantity, unit price)",
                            f"ERP order {copy['tranId']} for Salesforce order {order['OrderNumber']} ({order_id}) has "
                            f"lines that differ from Salesforce's",
                            (order_id, copy["tranId"]),
                            {
                                "salesforce": sorted(map(list, expected.elements())),
                                "erp": sorted(map(list, held.elements())),
                            },
                            context.trace(order_id),
                            workflow="W1",
                        )
                    )
        return findings

    def _returns_agree(self, context: CheckContext, order: OrderReturns) -> list[Finding]:
        """What the WMS received is what the ERP received and credited and Salesforce shows returned; the
        refunds pay exactly the credits, which never exceed the invoices; every received return's case is
        closed as refunded with that amount. Returns still on their way owe nothing yet."""
        wms_received = order.wms_received()
        erp_received, erp_credited = order.erp_received(), order.erp_credited()
        closed = [c for c in order.cases if c.get("Status") == "Closed" and c.get("Refund_Status__c") == "Refunded"]
        checks: list[tuple[bool, str, str, dict[str, Any]]] = [
            (
                +erp_received == +wms_received,
                "returned quantities agree (WMS, ERP)",
                f"the WMS received {dict(+wms_received)}, the ERP received {dict(+erp_received)}",
                {"wms received": dict(wms_received), "erp received": dict(erp_received)},
            ),
            (
                +erp_credited == +erp_received,
                "every unit received is credited, and nothing else",
                f"the ERP received {dict(+erp_received)} and credited {dict(+erp_credited)}",
                {"erp received": dict(erp_received), "erp credited": dict(erp_credited)},
            ),
            (
                abs(order.refunded() - order.credited()) < _CENT,
                "refunded amounts agree with the credits",
                f"the ERP credited {order.credited():.2f} and refunded {order.refunded():.2f}",
                {"erp credited": order.credited(), "erp refunded": order.refunded()},
            ),
            (
                order.credited() <= order.invoiced() + _CENT,
                "credits never exceed what was invoiced",
                f"the ERP credited {order.credited():.2f} against {order.invoiced():.2f} invoiced",
                {"erp credited": order.credited(), "erp invoiced": order.invoiced()},
            ),
            (
                +order.returned_shown == +wms_received,
                "Salesforce shows the returned quantities, line by line",
                f"Salesforce shows returned {dict(+order.returned_shown)}; the WMS received {dict(+wms_received)}",
                {"salesforce": dict(order.returned_shown), "wms received": dict(wms_received)},
            ),
            (
                len(closed) >= len(order.completed) and abs(order.refund_shown() - order.refunded()) < _CENT,
                "every received return's case closed with the refund",
                f"{len(order.completed)} return(s) received, {len(closed)} case(s) closed as refunded; Salesforce "
                f"shows {order.refund_shown():.2f} refunded, the ERP refunded {order.refunded():.2f}",
                {
                    "salesforce cases": [
                        {k: c.get(k) for k in ("CaseNumber", "Status", "Refund_Status__c", "Refund_Amount__c")}
                        for c in order.cases
                    ],
                    "erp refunded": order.refunded(),
                    "wms received": [r["id"] for r in order.completed],
                },
            ),
        ]
        return [
            Finding(
                self.name,
                invariant,
                f"Salesforce order {order.order_number} ({order.order_id}): {message}",
                (order.order_id, *(str(case["Id"]) for case in order.cases)),
                holdings,
                context.trace(order.order_id),
                workflow="W6",
            )
            for agreed, invariant, message, holdings in checks
            if not agreed
        ]
