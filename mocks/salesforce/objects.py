"""The sObjects mock Salesforce knows, with the field metadata an org would describe.

Only what retail integrations touch, but typed and with the read-only, required and restricted
picklist flags the real org enforces, because a mock that accepts anything teaches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: str
    updateable: bool = True
    createable: bool = True
    required: bool = False
    picklist: tuple[str, ...] = ()
    reference_to: str | None = None
    external_id: bool = False
    unique: bool = False

    @property
    def label(self) -> str:
        """The label the org shows in messages: ``AccountId`` is "Account ID", ``Order__c`` is "Order"."""
        name = self.name.removesuffix("__c").replace("_", " ")
        return name[:-2] + " ID" if self.type == "reference" and name.endswith("Id") else name

    @property
    def relationship_name(self) -> str | None:
        """How SOQL names the parent a reference points at: ``AccountId`` is ``Account``, ``Order__c`` ``Order__r``."""
        if self.reference_to is None:
            return None
        if self.name.endswith("__c"):
            return self.name[:-3] + "__r"
        return self.name[:-2] if self.name.endswith("Id") else None


def _system_fields() -> tuple[Field, ...]:
    return (
        Field("Id", "id", updateable=False, createable=False),
        Field("IsDeleted", "boolean", updateable=False, createable=False),
        Field("CreatedDate", "datetime", updateable=False, createable=False),
        Field("LastModifiedDate", "datetime", updateable=False, createable=False),
        Field("SystemModstamp", "datetime", updateable=False, createable=False),
    )


@dataclass(frozen=True, slots=True)
class SObject:
    name: str
    label: str
    fields: tuple[Field, ...]
    child_relationships: tuple[tuple[str, str, str], ...] = ()
    """(relationship name, child object, child's reference field)."""

    def field(self, name: str) -> Field | None:
        lowered = name.lower()
        for f in self.fields:
            if f.name.lower() == lowered:
                return f
        return None


ORDER_STATUSES = ("Draft", "Activated", "Cancellation Requested", "Cancelled")
"""Draft and Activated are Salesforce's own; the org adds a Status value for a customer's pending request to
cancel and one for the outcome (an org may add Status values; the platform's status codes include Canceled)."""
ACTIVATED_STATUSES = frozenset({"Activated", "Cancellation Requested", "Cancelled"})
"""Statuses of an order past activation: its products and prices are locked."""
CASE_STATUSES = ("New", "Working", "Escalated", "Closed")
REFUND_STATUSES = ("Not Requested", "Requested", "Pending", "Refunded", "Declined")
RETURN_ORDER_STATUSES = ("Draft", "Submitted", "Approved", "Closed", "Canceled")
FULFILLMENT_STATUSES = (
    "Not Started",
    "Partially Shipped",
    "Shipped",
    "Partially Delivered",
    "Delivered",
    "Backordered",
    "Cancelled",
    "Returned",
)

SOBJECTS: dict[str, SObject] = {
    o.name: o
    for o in (
        SObject(
            "Account",
            "Account",
            (
                *_system_fields(),
                Field("Name", "string", required=True),
                Field("AccountNumber", "string"),
                Field("PersonEmail", "email"),
                Field("Phone", "phone"),
                Field("ShippingStreet", "textarea"),
                Field("ShippingCity", "string"),
                Field("ShippingState", "string"),
                Field("ShippingPostalCode", "string"),
                Field("ShippingCountry", "string"),
                Field("Customer_Number__c", "string", external_id=True, unique=True),
                Field("Legacy_Id__c", "string", external_id=True),
            ),
            child_relationships=(
                ("Orders", "Order", "AccountId"),
                ("Contacts", "Contact", "AccountId"),
                ("Cases", "Case", "AccountId"),
            ),
        ),
        SObject(
            "Contact",
            "Contact",
            (
                *_system_fields(),
                Field("AccountId", "reference", reference_to="Account"),
                Field("FirstName", "string"),
                Field("LastName", "string", required=True),
                Field("Email", "email"),
                Field("Phone", "phone"),
            ),
        ),
        SObject(
            "Product2",
            "Product",
            (
                *_system_fields(),
                Field("Name", "string", required=True),
                Field("ProductCode", "string"),
                Field("IsActive", "boolean"),
                Field("SKU__c", "string", external_id=True, unique=True),
                Field("Weight_oz__c", "double"),
                Field("Available_Quantity__c", "double"),
            ),
        ),
        SObject(
            "Pricebook2",
            "Price Book",
            (
                *_system_fields(),
                Field("Name", "string", required=True),
                Field("IsStandard", "boolean", False),
            ),
        ),
        SObject(
            "PricebookEntry",
            "Price Book Entry",
            (
                *_system_fields(),
                Field("Pricebook2Id", "reference", updateable=False, required=True, reference_to="Pricebook2"),
                Field("Product2Id", "reference", updateable=False, required=True, reference_to="Product2"),
                Field("UnitPrice", "currency", required=True),
                Field("IsActive", "boolean"),
            ),
        ),
        SObject(
            "Order",
            "Order",
            (
                *_system_fields(),
                Field("OrderNumber", "string", updateable=False, createable=False),
                Field("AccountId", "reference", required=True, reference_to="Account"),
                Field("Pricebook2Id", "reference", reference_to="Pricebook2"),
                Field("Status", "picklist", required=True, picklist=ORDER_STATUSES),
                Field("EffectiveDate", "date", required=True),
                Field("ActivatedDate", "datetime", updateable=False, createable=False),
                Field("TotalAmount", "currency", updateable=False, createable=False),
                Field("ERP_Order_Number__c", "string"),
                Field("ERP_Status__c", "string"),
                Field("Fulfillment_Status__c", "picklist", picklist=FULFILLMENT_STATUSES),
                Field("Cancellation_Refused_Reason__c", "textarea"),
            ),
            child_relationships=(
                ("OrderItems", "OrderItem", "OrderId"),
                ("ReturnOrders", "ReturnOrder", "OrderId"),
            ),
        ),
        SObject(
            "OrderItem",
            "Order Product",
            (
                *_system_fields(),
                Field("OrderId", "reference", updateable=False, required=True, reference_to="Order"),
                Field("Product2Id", "reference", updateable=False, reference_to="Product2"),
                Field(
                    "PricebookEntryId",
                    "reference",
                    updateable=False,
                    required=True,
                    reference_to="PricebookEntry",
                ),
                Field("Quantity", "double", required=True),
                Field("UnitPrice", "currency", required=True),
                Field("TotalPrice", "currency", updateable=False, createable=False),
                Field("SKU__c", "string", updateable=False, createable=False),
                Field("Quantity_Shipped__c", "double"),
                Field("Quantity_Backordered__c", "double"),
                Field("Quantity_Returned__c", "double"),
                Field("Tracking_Numbers__c", "textarea"),
            ),
        ),
        SObject(
            "Case",
            "Case",
            (
                *_system_fields(),
                Field("CaseNumber", "string", updateable=False, createable=False),
                Field("AccountId", "reference", reference_to="Account"),
                Field("ContactId", "reference", reference_to="Contact"),
                Field("Order__c", "reference", reference_to="Order"),
                Field("Subject", "string"),
                Field("Description", "textarea"),
                Field("Type", "picklist", picklist=("Return", "Question", "Problem")),
                Field("Reason", "string"),
                Field("Origin", "picklist", picklist=("Web", "Phone", "Email")),
                Field("Priority", "picklist", picklist=("High", "Medium", "Low")),
                Field("Status", "picklist", required=True, picklist=CASE_STATUSES),
                Field("IsClosed", "boolean", updateable=False, createable=False),
                Field("ClosedDate", "datetime", updateable=False, createable=False),
                Field("ERP_Return_Number__c", "string"),
                Field("Refund_Status__c", "picklist", picklist=REFUND_STATUSES),
                Field("Refund_Amount__c", "currency"),
                Field("Return_Outcome__c", "textarea"),
            ),
            child_relationships=(("ReturnOrders", "ReturnOrder", "CaseId"),),
        ),
        SObject(
            "ReturnOrder",
            "Return Order",
            (
                *_system_fields(),
                Field("ReturnOrderNumber", "string", updateable=False, createable=False),
                Field("CaseId", "reference", reference_to="Case"),
                Field("OrderId", "reference", reference_to="Order"),
                Field("AccountId", "reference", reference_to="Account"),
                Field("Status", "picklist", required=True, picklist=RETURN_ORDER_STATUSES),
            ),
            child_relationships=(("ReturnOrderLineItems", "ReturnOrderLineItem", "ReturnOrderId"),),
        ),
        SObject(
            "ReturnOrderLineItem",
            "Return Order Line Item",
            (
                *_system_fields(),
                Field("ReturnOrderId", "reference", updateable=False, required=True, reference_to="ReturnOrder"),
                Field("OrderItemId", "reference", updateable=False, required=True, reference_to="OrderItem"),
                Field("Product2Id", "reference", updateable=False, createable=False, reference_to="Product2"),
                Field("QuantityReturned", "double", required=True),
                Field("ReasonForReturn", "string"),
                Field("Quantity_Received__c", "double"),
                Field("Quantity_Restocked__c", "double"),
            ),
        ),
    )
}
"""Order and its lines carry the sale; Case, ReturnOrder and ReturnOrderLineItem carry a return (W6): the
case is what a service agent opens, the return order lines point at the OrderItems being sent back."""
