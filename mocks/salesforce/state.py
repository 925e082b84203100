"""The org's data: records per sObject, sessions and the API allowance, in plain Python."""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeGuard

from mocks.salesforce.errors import SalesforceError, not_found
from mocks.salesforce.ids import IdMinter, is_valid, to18
from mocks.salesforce.objects import SOBJECTS, Field, SObject

Record = dict[str, Any]

PRICE_IMPACTING = frozenset({"Quantity", "UnitPrice"})
"""OrderItem fields an activated order locks (as with Enhanced Commerce Orders); the rest stay editable."""


def _finite(value: Any) -> TypeGuard[int | float]:
    """A JSON number a double can hold: not NaN or Infinity (which Python's parser lets through), and
    not an integer too large for a double (which would raise in the roll-ups instead of answering 400)."""
    if not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def format_datetime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


@dataclass(slots=True)
class Session:
    token: str
    user_id: str
    issued_at: float


class SalesforceState:
    """Records, sessions and limits of one mock org. Every mutation stamps simulated time."""

    def __init__(self, stamp: Callable[[], datetime], *, api_limit: int = 1_000_000) -> None:
        self._stamp = stamp
        self.ids = IdMinter()
        self.org_id = self.ids.mint("Organization")
        self.integration_user_id = self.ids.mint("User")
        self.records: dict[str, dict[str, Record]] = {name: {} for name in SOBJECTS}
        self.sessions: dict[str, Session] = {}
        self.api_limit = api_limit
        self.api_used = 0
        self._order_number = 100

    # -- sessions -----------------------------------------------------------------------------

    def open_session(self, now: float) -> Session:
        token = f"{self.org_id[:15]}!{secrets.token_urlsafe(48)}"
        session = self.sessions[token] = Session(token, self.integration_user_id, now)
        return session

    # -- reads --------------------------------------------------------------------------------

    def describe(self, sobject: str) -> SObject:
        described = SOBJECTS.get(sobject) or next(
            (o for name, o in SOBJECTS.items() if name.lower() == sobject.lower()), None
        )
        if described is None:
            raise not_found()
        return described

    def get(self, sobject: str, record_id: str) -> Record:
        described = self.describe(sobject)
        if not is_valid(record_id):
            raise SalesforceError(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {record_id}",
            )
        record = self.records[described.name].get(to18(record_id))
        if record is None:
            raise not_found()
        if record["IsDeleted"]:
            raise SalesforceError(404, "ENTITY_IS_DELETED", "entity is deleted")
        return record

    def children(self, sobject: str, record_id: str, relationship: str) -> tuple[SObject, list[Record]]:
        """The child object and its live records under a parent, by relationship name."""
        parent = self.describe(sobject)
        self.get(parent.name, record_id)
        for name, child, field in parent.child_relationships:
            if name.lower() == relationship.lower():
                key = to18(record_id)
                return SOBJECTS[child], list(self.where(child, **{field: key}))
        raise not_found()

    def where(self, sobject: str, **equals: Any) -> Iterable[Record]:
        for record in self.records[sobject].values():
            if not record["IsDeleted"] and all(record.get(k) == v for k, v in equals.items()):
                yield record

    # -- writes -------------------------------------------------------------------------------

    def create(self, sobject: str, values: dict[str, Any]) -> Record:
        described = self.describe(sobject)
        clean = self._validated(described, values, creating=True)
        missing = [f.name for f in described.fields if f.required and clean.get(f.name) in (None, "")]
        if missing:
            raise SalesforceError(
                400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing
            )
        now = format_datetime(self._stamp())
        record: Record = {f.name: None for f in described.fields}
        record.update(clean)
        record.update(
            Id=self.ids.mint(described.name),
            IsDeleted=False,
            CreatedDate=now,
            LastModifiedDate=now,
            SystemModstamp=now,
        )
        self._derive(described.name, record)
        self._check_unique(described, record)
        self.records[described.name][record["Id"]] = record
        self._roll_up(described.name, record)
        return record

    def update(self, sobject: str, record_id: str, values: dict[str, Any]) -> Record:
        described = self.describe(sobject)
        record = self.get(described.name, record_id)
        clean = self._validated(described, values, creating=False)
        if (
            described.name == "OrderItem"
            and self.records["Order"][record["OrderId"]]["Status"] == "Activated"
            and PRICE_IMPACTING & clean.keys()
        ):
            # Only price-impacting fields lock on activation; per-line fulfilment fields stay writable.
            raise SalesforceError(
                400,
                "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                "You can't edit order products on an activated order.",
                [],
            )
        candidate = {**record, **clean}
        self._check_unique(described, candidate)
        record.update(clean)
        now = format_datetime(self._stamp())
        record.update(LastModifiedDate=now, SystemModstamp=now)
        if described.name == "Order" and clean.get("Status") == "Activated" and not record["ActivatedDate"]:
            record["ActivatedDate"] = now
        self._derive(described.name, record)
        self._roll_up(described.name, record)
        return record

    def _validated(self, described: SObject, values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        clean: dict[str, Any] = {}
        for name, value in values.items():
            if name == "attributes":
                continue
            field = described.field(name)
            if field is None:
                raise SalesforceError(
                    400,
                    "INVALID_FIELD",
                    f"No such column '{name}' on sobject of type {described.name}",
                    [name],
                )
            allowed = field.createable if creating else field.updateable
            if not allowed:
                raise SalesforceError(
                    400,
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {field.name}. Please check the security settings of this"
                    " field and verify that it is read/write for your profile or permission set.",
                    [field.name],
                )
            clean[field.name] = self._coerced(described, field, value)
        return clean

    def _coerced(self, described: SObject, field: Field, value: Any) -> Any:
        if value is None:
            if field.required:
                raise SalesforceError(
                    400,
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{field.name}]",
                    [field.name],
                )
            return None
        if field.type in ("double", "currency"):
            if isinstance(value, bool) or not _finite(value):
                raise SalesforceError(
                    400,
                    "JSON_PARSER_ERROR",
                    f"Cannot deserialize instance of {field.type} from VALUE_STRING value {value} or request may be"
                    " missing a required field",
                )
            return value
        if field.type == "boolean":
            if not isinstance(value, bool):
                raise SalesforceError(400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of boolean from {value}")
            return value
        if not isinstance(value, str):
            raise SalesforceError(400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of string from {value}")
        if field.picklist and value not in field.picklist:
            raise SalesforceError(
                400,
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{field.name}: bad value for restricted picklist field: {value}",
                [field.name],
            )
        if field.type == "reference" and field.reference_to:
            if not is_valid(value) or to18(value) not in self.records[field.reference_to]:
                raise SalesforceError(
                    400,
                    "INVALID_CROSS_REFERENCE_KEY",
                    "invalid cross reference id",
                    [field.name],
                )
            return to18(value)
        return value

    def _check_unique(self, described: SObject, record: Record) -> None:
        for field in described.fields:
            value = record.get(field.name)
            if not field.unique or value in (None, ""):
                continue
            for other in self.where(described.name, **{field.name: value}):
                if other["Id"] != record.get("Id"):
                    raise SalesforceError(
                        400,
                        "DUPLICATE_VALUE",
                        f"duplicate value found: {field.name} duplicates value on record with id: {other['Id']}",
                        [],
                    )

    def _derive(self, sobject: str, record: Record) -> None:
        """Auto-numbers, formulas and roll-ups the org computes itself."""
        if sobject == "Order" and record.get("OrderNumber") is None:
            self._order_number += 1
            record["OrderNumber"] = f"{self._order_number:08d}"
        if sobject == "OrderItem":
            record["TotalPrice"] = round(record["Quantity"] * record["UnitPrice"], 2)
            product = self.records["Product2"].get(record.get("Product2Id") or "")
            if product is None:
                entry = self.records["PricebookEntry"][record["PricebookEntryId"]]
                record["Product2Id"] = entry["Product2Id"]
                product = self.records["Product2"][entry["Product2Id"]]
            record["SKU__c"] = product["SKU__c"]
        if sobject == "Order" and record.get("TotalAmount") is None:
            record["TotalAmount"] = 0.0

    def _roll_up(self, sobject: str, record: Record) -> None:
        """Roll-up summaries on the parent, recomputed after the child is stored."""
        if sobject == "OrderItem":
            order = self.records["Order"][record["OrderId"]]
            order["TotalAmount"] = round(sum(i["TotalPrice"] for i in self.where("OrderItem", OrderId=order["Id"])), 2)

    def api_call(self) -> None:
        """Count one request against the rolling allowance."""
        self.api_used += 1
        if self.api_used > self.api_limit:
            raise SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")

    def snapshot(self) -> dict[str, Any]:
        return {"org_id": self.org_id, "records": self.records, "api_used": self.api_used}
