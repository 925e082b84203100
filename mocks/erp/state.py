"""The ERP's books: customers, items, locations and sales orders, NetSuite-shaped, in plain Python.

This is the system of record the final-state checkers trust, so it refuses what NetSuite refuses
(unknown references, duplicate external ids, non-positive quantities) instead of storing it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeGuard

from mocks.erp.errors import NetSuiteError, record_not_found

ORDER_STATUSES = {
    "A": "Pending Approval",
    "B": "Pending Fulfillment",
    "C": "Cancelled",
    "D": "Partially Fulfilled",
    "E": "Pending Billing/Partially Fulfilled",
    "F": "Pending Billing",
    "G": "Billed",
    "H": "Closed",
}

SALES_ORDER_FIELDS = frozenset(
    {"externalId", "entity", "otherRefNum", "tranDate", "memo", "item", "orderStatus", "location"}
)


def format_datetime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class OrderLine:
    line: int
    item_id: str
    quantity: float
    rate: float

    @property
    def amount(self) -> float:
        return round(self.quantity * self.rate, 2)


@dataclass(slots=True)
class SalesOrder:
    id: str
    tran_id: str
    entity_id: str
    tran_date: str
    status: str
    created: str
    modified: str
    external_id: str | None = None
    other_ref_num: str | None = None
    memo: str | None = None
    lines: list[OrderLine] = field(default_factory=list)

    @property
    def total(self) -> float:
        return round(sum(line.amount for line in self.lines), 2)


@dataclass(slots=True)
class Entity:
    """A customer, an inventory item or a location: a named record with an optional external id."""

    id: str
    name: str
    external_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


class ErpState:
    def __init__(self, stamp: Callable[[], datetime]) -> None:
        self._stamp = stamp
        self._next_id = 100
        self._next_tran = 1000
        self.customers: dict[str, Entity] = {}
        self.items: dict[str, Entity] = {}
        self.locations: dict[str, Entity] = {}
        self.sales_orders: dict[str, SalesOrder] = {}
        self._orders_by_external_id: dict[str, str] = {}

    def _mint(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    # -- master data ------------------------------------------------------------------------------

    def add_customer(self, name: str, external_id: str, **fields: Any) -> Entity:
        entity = Entity(self._mint(), name, external_id, fields)
        self.customers[entity.id] = entity
        return entity

    def add_item(self, sku: str, name: str, **fields: Any) -> Entity:
        entity = Entity(self._mint(), sku, sku, {"displayName": name, **fields})
        self.items[entity.id] = entity
        return entity

    def add_location(self, name: str) -> Entity:
        entity = Entity(self._mint(), name, name)
        self.locations[entity.id] = entity
        return entity

    # -- sales orders ---------------------------------------------------------------------------

    def sales_order(self, key: str) -> SalesOrder:
        """By internal id, or by ``eid:<external id>``."""
        if key.startswith("eid:"):
            internal = self._orders_by_external_id.get(key[4:])
            if internal is None:
                raise record_not_found()
            key = internal
        order = self.sales_orders.get(key)
        if order is None:
            raise record_not_found()
        return order

    def create_sales_order(self, body: dict[str, Any], external_id: str | None = None) -> SalesOrder:
        self._check_fields(body)
        external_id = external_id or _optional_str(body, "externalId")
        if external_id is not None and external_id in self._orders_by_external_id:
            raise NetSuiteError(
                400,
                "DUP_RCRD",
                f"A record with the external ID {external_id} already exists for this record type.",
                "externalId",
            )
        entity = self._reference(self.customers, body.get("entity"), "entity")
        lines = self._lines(body.get("item"))
        if not lines:
            raise NetSuiteError(
                400, "USER_ERROR", "You must enter at least one line item for this transaction.", "item"
            )
        now = format_datetime(self._stamp())
        self._next_tran += 1
        order = SalesOrder(
            id=self._mint(),
            tran_id=f"SO{self._next_tran}",
            entity_id=entity.id,
            tran_date=_optional_str(body, "tranDate") or now[:10],
            status="B",
            created=now,
            modified=now,
            external_id=external_id,
            other_ref_num=_optional_str(body, "otherRefNum"),
            memo=_optional_str(body, "memo"),
            lines=lines,
        )
        self.sales_orders[order.id] = order
        if external_id is not None:
            self._orders_by_external_id[external_id] = order.id
        return order

    def update_sales_order(self, order: SalesOrder, body: dict[str, Any]) -> SalesOrder:
        # Validate everything before touching the order: a refused request changes nothing.
        self._check_fields(body)
        changes: dict[str, Any] = {}
        if "entity" in body:
            changes["entity_id"] = self._reference(self.customers, body["entity"], "entity").id
        for name, attr in (("otherRefNum", "other_ref_num"), ("memo", "memo"), ("tranDate", "tran_date")):
            if name in body:
                changes[attr] = _optional_str(body, name)
        if "item" in body:
            if order.status != "B":
                raise NetSuiteError(
                    400,
                    "USER_ERROR",
                    "You cannot change the lines of an order once fulfilment has begun.",
                    "item",
                )
            changes["lines"] = self._lines(body["item"])
        for attr, value in changes.items():
            setattr(order, attr, value)
        order.modified = format_datetime(self._stamp())
        return order

    def upsert_sales_order(self, external_id: str, body: dict[str, Any]) -> tuple[SalesOrder, bool]:
        """Create or update by external id; True when it created."""
        if "externalId" in body and body["externalId"] != external_id:
            raise NetSuiteError(
                400,
                "INVALID_CONTENT",
                "The external ID in the request body differs from the one in the URL.",
                "externalId",
            )
        internal = self._orders_by_external_id.get(external_id)
        if internal is None:
            return self.create_sales_order(body, external_id), True
        return self.update_sales_order(self.sales_orders[internal], body), False

    # -- validation -------------------------------------------------------------------------------

    def _check_fields(self, body: dict[str, Any]) -> None:
        for name in body:
            if name not in SALES_ORDER_FIELDS:
                raise NetSuiteError(
                    400, "INVALID_CONTENT", f"Invalid field name '{name}' for record type salesOrder.", name
                )

    def _reference(self, table: dict[str, Entity], ref: Any, path: str) -> Entity:
        if not isinstance(ref, dict) or not ({"id", "externalId"} & ref.keys()):
            raise NetSuiteError(
                400,
                "INVALID_CONTENT",
                f"Invalid value for the resource or sub-resource field '{path}'."
                " Provide a valid value: an object with 'id' or 'externalId'.",
                path,
            )
        if "id" in ref:
            found = table.get(str(ref["id"]))
        else:
            found = next((e for e in table.values() if e.external_id == str(ref["externalId"])), None)
        if found is None:
            key = ref.get("id", ref.get("externalId"))
            raise NetSuiteError(400, "INVALID_KEY_OR_REF", f"Invalid {path.split('.')[-1]} reference key {key}.", path)
        return found

    def _lines(self, sublist: Any) -> list[OrderLine]:
        if sublist is None:
            return []
        if not isinstance(sublist, dict) or not isinstance(sublist.get("items"), list):
            raise NetSuiteError(
                400, "INVALID_CONTENT", "The item sublist must be an object with an 'items' array.", "item"
            )
        lines = []
        for number, raw in enumerate(sublist["items"], start=1):
            path = f"item.items[{number - 1}]"
            if not isinstance(raw, dict):
                raise NetSuiteError(400, "INVALID_CONTENT", "Each item line must be an object.", path)
            item = self._reference(self.items, raw.get("item"), f"{path}.item")
            quantity, rate = raw.get("quantity"), raw.get("rate", item.fields.get("basePrice"))
            if isinstance(quantity, bool) or not _finite(quantity) or quantity <= 0:
                raise NetSuiteError(
                    400,
                    "INVALID_FLD_VALUE",
                    f"Invalid quantity {quantity!r}: enter a number greater than 0.",
                    f"{path}.quantity",
                )
            if isinstance(rate, bool) or not _finite(rate) or rate < 0:
                raise NetSuiteError(
                    400,
                    "INVALID_FLD_VALUE",
                    f"Invalid rate {rate!r}: enter a number of 0 or more.",
                    f"{path}.rate",
                )
            lines.append(OrderLine(number, item.id, float(quantity), float(rate)))
        return lines

    # -- what checkers read ---------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return {
            "salesOrders": [
                {
                    "id": o.id,
                    "tranId": o.tran_id,
                    "externalId": o.external_id,
                    "otherRefNum": o.other_ref_num,
                    "entity": o.entity_id,
                    "status": ORDER_STATUSES[o.status],
                    "total": o.total,
                    "lines": [
                        {
                            "line": ln.line,
                            "sku": self.items[ln.item_id].name,
                            "quantity": ln.quantity,
                            "rate": ln.rate,
                        }
                        for ln in o.lines
                    ],
                }
                for o in self.sales_orders.values()
            ],
            "customers": {c.id: c.external_id for c in self.customers.values()},
        }


def _finite(value: Any) -> TypeGuard[int | float]:
    """A JSON number a double can hold: not NaN or Infinity (which Python's parser lets through), and
    not an integer too large to multiply by a rate (which would raise instead of answering 400)."""
    if not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise NetSuiteError(400, "INVALID_CONTENT", f"Invalid value for field '{name}': expected a string.", name)
    return str(value)
