"""Exactly-once effects: however many deliveries and retries, each business fact lands once."""

from __future__ import annotations

from harness.checkers import (
    CheckContext,
    Checker,
    Finding,
    activated_orders,
    erp_orders_by_salesforce_id,
    register,
)


@register
class ExactlyOnce(Checker):
    name = "exactly-once"
    workflows = frozenset({"W1"})

    def check(self, context: CheckContext) -> list[Finding]:
        findings = []
        erp = erp_orders_by_salesforce_id(context)
        for order_id, order in activated_orders(context).items():
            copies = erp.get(order_id, [])
            if len(copies) > 1:
                findings.append(
                    Finding(
                        checker=self.name,
                        invariant="one ERP sales order per Salesforce order",
                        message=(
                            f"Salesforce order {order['OrderNumber']} ({order_id}) has {len(copies)} ERP sales orders: "
                            + ", ".join(c["tranId"] for c in copies)
                        ),
                        keys=(order_id,),
                        holdings={
                            "salesforce": {
                                "Id": order_id,
                                "OrderNumber": order["OrderNumber"],
                                "ERP_Order_Number__c": order.get("ERP_Order_Number__c"),
                            },
                            "erp": [{"id": c["id"], "tranId": c["tranId"], "total": c["total"]} for c in copies],
                        },
                        trace=context.trace(order_id),
                    )
                )
        return findings
