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
    register,
)


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
    workflows = frozenset({"W1"})

    def check(self, context: CheckContext) -> list[Finding]:
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
                        " but the ERP has no order for it",
                        (order_id,),
                        {"salesforce": salesforce, "erp": None},
                        context.trace(order_id),
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
                        )
                    )
        return findings
