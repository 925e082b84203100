"""What each system holds about the returns of each order (W6), for the checkers to compare.

Everything is grouped by the Salesforce order, through links the systems keep themselves rather
than keys an integration chooses: a return case names its order (``Order__c``); an ERP return
document names its sales order, which names the Salesforce order (W1); a WMS return names the
shipment it came from, whose WMS order's reference is the ERP sales order (W3).

Across a cutover the documents are read from both ERP accounts: a return is authorised, received,
credited and refunded in the account that booked its order (``contracts/workflows.md``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from harness.checkers import CheckContext, erp_records


@dataclass(slots=True)
class OrderReturns:
    """One Salesforce order's returns, as Salesforce, the ERP and the WMS each hold them."""

    order_id: str
    order_number: str = ""
    cases: list[dict[str, Any]] = field(default_factory=list)
    returned_shown: Counter[str] = field(default_factory=Counter)
    """Per SKU, the order lines' ``Quantity_Returned__c``."""
    authorisations: list[dict[str, Any]] = field(default_factory=list)
    receipts: list[dict[str, Any]] = field(default_factory=list)
    credit_memos: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    wms_returns: list[dict[str, Any]] = field(default_factory=list)

    @property
    def completed(self) -> list[dict[str, Any]]:
        return [r for r in self.wms_returns if r["status"] == "Completed"]

    def wms_received(self) -> Counter[str]:
        return _units(item for r in self.completed for item in r["items"])

    def erp_received(self) -> Counter[str]:
        return _units(line for doc in self.receipts for line in doc["lines"])

    def erp_credited(self) -> Counter[str]:
        return _units(line for doc in self.credit_memos for line in doc["lines"])

    def credited(self) -> float:
        return round(sum(doc["total"] for doc in self.credit_memos), 2)

    def refunded(self) -> float:
        return round(sum(doc["total"] for doc in self.refunds), 2)

    def invoiced(self) -> float:
        return round(sum(doc["total"] for doc in self.invoices), 2)

    def refund_shown(self) -> float:
        return round(sum(float(case.get("Refund_Amount__c") or 0) for case in self.cases), 2)


def _units(lines: Any) -> Counter[str]:
    units: Counter[str] = Counter()
    for line in lines:
        units[line["sku"]] += int(line["quantity"])
    return units


def returns_by_order(context: CheckContext) -> dict[str, OrderReturns]:
    """Every Salesforce order with a return case or a return document anywhere."""
    salesforce = context.history.final_state("salesforce").get("records", {})
    wms = context.history.final_state("wms")
    orders: dict[str, OrderReturns] = {}

    def of(order_id: str) -> OrderReturns:
        if order_id not in orders:
            number = salesforce.get("Order", {}).get(order_id, {}).get("OrderNumber", "")
            orders[order_id] = OrderReturns(order_id, number)
        return orders[order_id]

    for case in salesforce.get("Case", {}).values():
        if case.get("Type") == "Return" and case.get("Order__c") and not case.get("IsDeleted"):
            of(case["Order__c"]).cases.append(case)
    sales_orders = erp_records(context, "salesOrders")
    salesforce_of = {
        (so["account"], so["id"]): so.get("externalId") or so.get("otherRefNum") for so in sales_orders if so.get("id")
    }
    for kind, attribute in (
        ("returnAuthorizations", "authorisations"),
        ("itemReceipts", "receipts"),
        ("creditMemos", "credit_memos"),
        ("customerRefunds", "refunds"),
    ):
        for doc in erp_records(context, kind):
            order_id = salesforce_of.get((doc["account"], doc.get("salesOrder")))
            if order_id:
                getattr(of(order_id), attribute).append(doc)
    for doc in erp_records(context, "invoices"):
        order_id = salesforce_of.get((doc["account"], doc.get("salesOrder")))
        if order_id in orders:
            orders[order_id].invoices.append(doc)
    # A WMS order's reference is an ERP internal id, which a successor account numbers apart from the
    # legacy one (harness.cutover.SUCCESSOR_NUMBERING), so it names one order across both accounts.
    salesforce_of_reference = {so_id: order_id for (_, so_id), order_id in salesforce_of.items()}
    erp_order_of_shipment = {
        shipment["id"]: order["reference_id"] for order in wms.get("orders", []) for shipment in order["shipments"]
    }
    for record in wms.get("returns", []):
        order_id = salesforce_of_reference.get(erp_order_of_shipment.get(record["original_shipment_id"]))
        if order_id:
            of(order_id).wms_returns.append(record)
    for item in salesforce.get("OrderItem", {}).values():
        if item["OrderId"] in orders and item.get("Quantity_Returned__c"):
            orders[item["OrderId"]].returned_shown[item["SKU__c"]] += int(item["Quantity_Returned__c"])
    return orders


@dataclass(slots=True)
class CustomerRefunds:
    """One ERP customer's refunds, every one of them, against the returns the WMS completed for the
    customer's orders. A refund always names its customer, even when it pays a standalone credit
    memo that names no sales order, so this is where a refund no return accounts for shows."""

    customer: str
    order_ids: list[str] = field(default_factory=list)
    case_ids: list[str] = field(default_factory=list)
    completed: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def unlinked(self) -> list[dict[str, Any]]:
        """Refunds that name no sales order: the per-order checks cannot see them."""
        return [r for r in self.refunds if not r.get("salesOrder")]


def refunds_by_customer(context: CheckContext) -> dict[str, CustomerRefunds]:
    """Every ERP customer with a refund or a return, keyed by the customer's internal id (a customer
    has one per ERP account across a cutover, numbered apart, each with that account's refunds)."""
    customer_of = {
        so.get("externalId") or so.get("otherRefNum"): str(so["entity"])
        for so in erp_records(context, "salesOrders")
        if so.get("entity") is not None
    }
    customers: dict[str, CustomerRefunds] = {}

    def of(customer: str) -> CustomerRefunds:
        return customers.setdefault(customer, CustomerRefunds(customer))

    for order in returns_by_order(context).values():
        customer = customer_of.get(order.order_id)
        if customer is not None:
            of(customer).order_ids.append(order.order_id)
            of(customer).case_ids.extend(str(case["Id"]) for case in order.cases)
            of(customer).completed.extend(order.completed)
    for refund in erp_records(context, "customerRefunds"):
        if refund.get("entity") is not None:
            of(str(refund["entity"])).refunds.append(refund)
    return customers


def wms_return_orders(context: CheckContext) -> dict[int, str]:
    """The Salesforce order of each WMS return, by the WMS return id."""
    return {
        int(record["id"]): order.order_id
        for order in returns_by_order(context).values()
        for record in order.wms_returns
    }
