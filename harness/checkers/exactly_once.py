"""Exactly-once effects: however many deliveries and retries, each business fact lands once."""

from __future__ import annotations

from collections import Counter
from typing import Any

from harness.checkers import (
    ERP_ACCOUNTS,
    CheckContext,
    Checker,
    Finding,
    erp_orders_by_salesforce_id,
    erp_records,
    register,
    released_erp_orders,
    shipped_units,
    sold_orders,
    wms_orders_by_reference,
)
from harness.checkers.returns import refunds_by_customer, returns_by_order


@register
class ExactlyOnce(Checker):
    name = "exactly-once"
    workflows = frozenset({"W1", "W3", "W4", "W6"})

    def check(self, context: CheckContext) -> list[Finding]:
        findings = []
        if "W6" in context.workflows:
            findings += self._one_of_each_per_return(context)
            findings += self._one_refund_per_return_per_customer(context)
        if "W1" in context.workflows:
            findings += self._erp_order_per_salesforce_order(context)
        if "W3" in context.workflows:
            findings += self._wms_order_per_erp_order(context)
        if "W4" in context.workflows:
            findings += self._fulfilment_and_invoice_per_shipment(context)
        return findings

    def _erp_order_per_salesforce_order(self, context: CheckContext) -> list[Finding]:
        findings = []
        erp = erp_orders_by_salesforce_id(context)
        for order_id, order in sold_orders(context).items():
            copies = erp.get(order_id, [])
            if len(copies) > 1:
                findings.append(
                    Finding(
                        checker=self.name,
                        invariant="one ERP sales order per Salesforce order",
                        message=(
                            f"Salesforce order {order['OrderNumber']} ({order_id}) has {len(copies)} ERP sales orders: "
                            + ", ".join(f"{c['tranId']} ({c['account']})" for c in copies)
                        ),
                        keys=(order_id,),
                        holdings={
                            "salesforce": {
                                "Id": order_id,
                                "OrderNumber": order["OrderNumber"],
                                "ERP_Order_Number__c": order.get("ERP_Order_Number__c"),
                            },
                            "erp": [
                                {"account": c["account"], "id": c["id"], "tranId": c["tranId"], "total": c["total"]}
                                for c in copies
                            ],
                        },
                        trace=context.trace(order_id),
                        workflow="W1",
                    )
                )
        return findings

    def _wms_order_per_erp_order(self, context: CheckContext) -> list[Finding]:
        wms = wms_orders_by_reference(context)
        return [
            Finding(
                self.name,
                "one WMS order per ERP order",
                f"ERP order {order['tranId']} (id {order['id']}) was released to the WMS {len(wms[order['id']])} times",
                (order["id"], order["tranId"]),
                {"erp": order["tranId"], "wms": [w["id"] for w in wms[order["id"]]]},
                context.trace(order["id"]),
                workflow="W3",
            )
            for order in released_erp_orders(context)
            if len(wms.get(order["id"], [])) > 1
        ]

    def _fulfilment_and_invoice_per_shipment(self, context: CheckContext) -> list[Finding]:
        """Units fulfilled in the ERP never exceed units the WMS shipped; invoices never exceed fulfilments."""
        wms = wms_orders_by_reference(context)
        fulfilled: dict[str, Counter[str]] = {}
        for doc in erp_records(context, "itemFulfillments"):
            fulfilled.setdefault(str(doc.get("salesOrder")), Counter()).update(
                {ln["sku"]: int(ln["quantity"]) for ln in doc["lines"]}
            )
        invoices: Counter[str] = Counter(str(doc.get("salesOrder")) for doc in erp_records(context, "invoices"))
        fulfilments: Counter[str] = Counter(
            str(doc.get("salesOrder")) for doc in erp_records(context, "itemFulfillments")
        )
        findings = []
        for order in released_erp_orders(context):
            shipped: Counter[str] = Counter()
            for wms_order in wms.get(order["id"], []):
                shipped.update(shipped_units(wms_order))
            over = {
                sku: n - shipped[sku] for sku, n in fulfilled.get(order["id"], Counter()).items() if n > shipped[sku]
            }
            if over:
                findings.append(
                    Finding(
                        self.name,
                        "one ERP fulfilment per WMS shipment",
                        f"ERP order {order['tranId']} is fulfilled beyond what the WMS shipped: {over}",
                        (order["id"], order["tranId"]),
                        {"erp fulfilled": dict(fulfilled[order["id"]]), "wms shipped": dict(shipped)},
                        context.trace(order["id"]),
                        workflow="W4",
                    )
                )
            if invoices[order["id"]] > fulfilments[order["id"]]:
                findings.append(
                    Finding(
                        self.name,
                        "one invoice per fulfilment",
                        f"ERP order {order['tranId']} has {invoices[order['id']]} invoices for "
                        f"{fulfilments[order['id']]} fulfilments",
                        (order["id"], order["tranId"]),
                        {"erp": {"invoices": invoices[order["id"]], "fulfilments": fulfilments[order["id"]]}},
                        context.trace(order["id"]),
                        workflow="W4",
                    )
                )
        return findings

    def _one_of_each_per_return(self, context: CheckContext) -> list[Finding]:
        """One return authorisation and one WMS return per return case; one receipt's worth, one credit
        memo and one refund per return the WMS received, however often its webhook came."""
        findings = []
        for order in returns_by_order(context).values():
            cases, received = len(order.cases), len(order.completed)
            counts = (
                ("one ERP return authorisation per return case", "return authorisations", order.authorisations, cases),
                ("one WMS return per return case", "WMS returns", order.wms_returns, cases),
                ("one credit memo per return received", "credit memos", order.credit_memos, received),
                ("one refund per return received", "refunds", order.refunds, received),
            )
            for invariant, what, documents, allowed in counts:
                if len(documents) <= allowed:
                    continue
                findings.append(
                    Finding(
                        self.name,
                        invariant,
                        f"Salesforce order {order.order_number} ({order.order_id}) has {len(documents)} {what} for "
                        f"{cases} return case(s), {received} received by the WMS: "
                        + ", ".join(_name(doc) for doc in documents),
                        (order.order_id, *(str(case["Id"]) for case in order.cases)),
                        {
                            "salesforce cases": [case.get("CaseNumber") for case in order.cases],
                            "wms returns received": [r["id"] for r in order.completed],
                            what: [_name(doc) for doc in documents],
                        },
                        context.trace(order.order_id),
                        workflow="W6",
                    )
                )
        return findings

    def _one_refund_per_return_per_customer(self, context: CheckContext) -> list[Finding]:
        """The same count per ERP customer, for refunds that name no sales order (paid from a standalone
        credit memo): no more refunds to a customer than returns the WMS completed for the customer's
        orders. Refunds that do name their order are judged per order above, and only there."""
        findings = []
        names = {
            customer: name
            for account in ERP_ACCOUNTS
            for customer, name in context.history.final_state(account).get("customers", {}).items()
        }
        for customer in refunds_by_customer(context).values():
            refunds, received = customer.refunds, len(customer.completed)
            if not customer.unlinked or len(refunds) <= received:
                continue
            who = names.get(customer.customer) or customer.customer
            findings.append(
                Finding(
                    self.name,
                    "one refund per return received",
                    f"ERP customer {who} (id {customer.customer}) has {len(refunds)} refunds for {received} "
                    f"return(s) received by the WMS; {len(customer.unlinked)} name no sales order: "
                    + ", ".join(f"{_name(r)} ({r['total']:.2f})" for r in refunds),
                    (customer.customer, *customer.order_ids, *customer.case_ids),
                    {
                        "wms returns received": [r["id"] for r in customer.completed],
                        "refunds": [
                            {"tranId": _name(r), "total": r["total"], "salesOrder": r.get("salesOrder")}
                            for r in refunds
                        ],
                    },
                    tuple(step for case_id in customer.case_ids for step in context.trace(case_id)),
                    workflow="W6",
                )
            )
        return findings

    def measure(self, context: CheckContext) -> dict[str, Any]:
        if "W6" not in context.workflows:
            return {}
        orders = returns_by_order(context).values()
        return {
            "returns_opened": sum(len(o.cases) for o in orders),
            "returns_received": sum(len(o.completed) for o in orders),
            "returns_closed": sum(1 for o in orders for case in o.cases if case.get("Status") == "Closed"),
            "refunds_issued": sum(len(o.refunds) for o in orders),
            "refunded_amount": round(sum(o.refunded() for o in orders), 2),
        }


def _name(document: dict[str, Any]) -> str:
    return str(document.get("tranId") or document.get("reference_id") or document.get("id"))
