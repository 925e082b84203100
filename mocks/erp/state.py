"""The ERP's books: master data, stock per location, and the order-to-cash and return-to-refund chain.

This is the system of record the final-state checkers trust, so it refuses what NetSuite refuses
(unknown references, duplicate external ids, fulfilling more than committed, crediting what was
never received) instead of storing it. Every refusal is raised before anything changes, so a
refused request leaves the books exactly as they were.

The chain, as NetSuite runs it for a web store that captures payment at checkout:

    salesOrder --!transform--> itemFulfillment   (on hand and committed go down)
    salesOrder --!transform--> invoice           (bills what was fulfilled; paid at checkout)
    salesOrder --!transform--> returnAuthorization  (authorises what was shipped)
    returnAuthorization --!transform--> itemReceipt (restocks by disposition)
    returnAuthorization --!transform--> creditMemo  (credits what was received and billed)
    customerRefund (applies credit memos)           (pays out at most what was credited)

Beside the chain, NetSuite takes a standalone credit memo (``POST creditMemo`` naming the customer
and item lines: goodwill, price adjustments, returns booked without an authorisation). It needs no
sales order, so nothing caps it at what was invoiced; and, unlike a credit memo transformed from a
return authorisation, it puts its inventory items back on hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from mocks.erp.errors import NetSuiteError, record_not_found
from mocks.json_numbers import finite

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
RETURN_STATUSES = {
    "A": "Pending Approval",
    "B": "Pending Receipt",
    "C": "Cancelled",
    "D": "Partially Received",
    "E": "Pending Refund/Partially Received",
    "F": "Pending Refund",
    "G": "Refunded",
    "H": "Closed",
}
INVOICE_STATUSES = {"A": "Open", "B": "Paid In Full"}
CREDIT_STATUSES = {"A": "Open", "B": "Fully Applied"}
SHIPPED = {"C": "Shipped"}
RECEIVED = {"A": "Received"}
REFUNDED = {"A": "Refunded"}

STATUSES: dict[str, dict[str, str]] = {
    "salesOrder": ORDER_STATUSES,
    "itemFulfillment": SHIPPED,
    "invoice": INVOICE_STATUSES,
    "returnAuthorization": RETURN_STATUSES,
    "itemReceipt": RECEIVED,
    "creditMemo": CREDIT_STATUSES,
    "customerRefund": REFUNDED,
}
TRANSACTION_TYPES = tuple(STATUSES)
TRAN_PREFIXES = {
    "salesOrder": "SO",
    "itemFulfillment": "IF",
    "invoice": "INV",
    "returnAuthorization": "RMA",
    "itemReceipt": "IR",
    "creditMemo": "CM",
    "customerRefund": "REF",
}

SALES_ORDER_FIELDS = frozenset(
    {"externalId", "entity", "otherRefNum", "tranDate", "memo", "item", "orderStatus", "location", "shippingCost"}
)
TRANSFORM_FIELDS = frozenset({"externalId", "tranDate", "memo", "item", "location"})
REFUND_FIELDS = frozenset({"externalId", "customer", "tranDate", "memo", "apply"})
CREDIT_FIELDS = frozenset({"externalId", "entity", "otherRefNum", "tranDate", "memo", "item", "location"})
RETURN_FIELDS = frozenset({"externalId", "createdFrom", "tranDate", "memo", "item", "orderStatus"})
LINE_FIELDS = frozenset({"item", "quantity", "rate", "location"})
TRANSFORM_LINE_FIELDS = frozenset(
    {"orderLine", "quantity", "itemReceive", "location", "custcol_disposition", "item", "rate"}
)
DISPOSITIONS = ("restock", "damaged", "dispose")
RETIRED_ERROR_CODE = "ERP_RETIRED"
"""What a retired account's cutover script (a ``beforeSubmit`` user event on sales orders) throws,
as NetSuite reports a script error: under the name the script gave it."""
"""What a return receipt does with a unit: back on the shelf, or written off (damaged or disposed)."""

TRANSFORMS = {
    ("salesOrder", "itemFulfillment"),
    ("salesOrder", "invoice"),
    ("salesOrder", "returnAuthorization"),
    ("invoice", "returnAuthorization"),
    ("returnAuthorization", "itemReceipt"),
    ("returnAuthorization", "creditMemo"),
}
"""The transforms NetSuite's record.transform supports among the records this mock keeps."""

_EPS = 1e-9
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def format_datetime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def money(value: float) -> float:
    return round(value, 2)


@dataclass(slots=True)
class Line:
    """One item line. A sales order line carries the order's progress; a derived line names its
    source line in ``order_line``."""

    line: int
    item_id: str
    quantity: float
    rate: float
    location_id: str | None = None
    order_line: int | None = None
    committed: float = 0.0
    fulfilled: float = 0.0
    billed: float = 0.0
    authorised: float = 0.0
    """Sales order: quantity on return authorisations."""
    received: float = 0.0
    """Return authorisation: quantity received back."""
    credited: float = 0.0
    """Sales order and return authorisation: quantity on credit memos."""
    closed: bool = False
    disposition: str | None = None

    @property
    def amount(self) -> float:
        return money(self.quantity * self.rate)

    @property
    def backordered(self) -> float:
        return 0.0 if self.closed else max(self.quantity - self.fulfilled - self.committed, 0.0)


@dataclass(slots=True)
class Transaction:
    id: str
    type: str
    tran_id: str
    entity_id: str
    tran_date: str
    status: str
    created: str
    modified: str
    external_id: str | None = None
    other_ref_num: str | None = None
    memo: str | None = None
    location_id: str | None = None
    created_from: str | None = None
    """The transaction this one was transformed from (the sales order, the RA...)."""
    order_id: str | None = None
    """The sales order at the root of the chain."""
    lines: list[Line] = field(default_factory=list)
    tax_rate: float = 0.0
    shipping_cost: float = 0.0
    tax_total: float = 0.0
    applied: float = 0.0
    """Credit memo: amount refunded from it. Customer refund: the credit memos and amounts it applies."""
    applications: list[tuple[str, float]] = field(default_factory=list)

    @property
    def subtotal(self) -> float:
        return money(sum(line.amount for line in self.lines))

    @property
    def total(self) -> float:
        if self.type == "customerRefund":
            return money(sum(amount for _, amount in self.applications))
        return money(self.subtotal + self.tax_total + self.shipping_cost)

    @property
    def status_name(self) -> str:
        return STATUSES[self.type][self.status]

    def line_no(self, number: int) -> Line:
        for line in self.lines:
            if line.line == number:
                return line
        raise KeyError(number)


@dataclass(slots=True)
class Entity:
    """A customer, an inventory item or a location: a named record with an optional external id."""

    id: str
    name: str
    external_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    modified: str = ""


@dataclass(slots=True)
class Bin:
    """An item's stock at one location, with the ledger that conservation is checked against."""

    on_hand: float = 0.0
    committed: float = 0.0
    opening: float = 0.0
    received: float = 0.0
    """Stock receipts and adjustments (positive or negative), not returns."""
    transferred: float = 0.0
    """Stock handed over between accounts at a cutover (negative out of the legacy, positive into the
    successor): a move between books, kept apart from receipts so that it reads as one."""
    fulfilled: float = 0.0
    restocked: float = 0.0
    written_off: float = 0.0
    """Returned units received as damaged or disposed: never back on hand."""
    credited_back: float = 0.0
    """Units a standalone credit memo put back on hand (no return authorisation, no receipt)."""

    @property
    def available(self) -> float:
        return max(self.on_hand - self.committed, 0.0)


@dataclass(frozen=True, slots=True)
class Change:
    """A committed change the ERP's user-event scripts see (afterSubmit)."""

    kind: str
    """``order.booked``, ``order.fulfilled``, ``order.invoiced``, ``return.received``, ``refund.issued``."""
    record: Transaction
    order: Transaction | None


class ErpState:
    """The books of one NetSuite account."""

    def __init__(
        self,
        stamp: Callable[[], datetime],
        *,
        tax_rate: float = 0.0,
        default_order_status: str = "B",
        numbering_from: int = 0,
    ) -> None:
        """``numbering_from`` offsets internal ids and document numbers: a successor account set up
        for a cutover numbers past the legacy's range, so no id or ``SO`` number means two orders."""
        if default_order_status not in ("A", "B"):
            raise ValueError("a new sales order is Pending Approval (A) or Pending Fulfillment (B)")
        self._stamp = stamp
        self._next_id = numbering_from + 100
        self._next_tran: dict[str, int] = dict.fromkeys(TRANSACTION_TYPES, numbering_from + 1000)
        self.closed_to_new_orders: str | None = None
        """Set at a cutover: the message a new sales order is refused with (existing ones carry on)."""
        self.tax_rate = tax_rate
        self.default_order_status = default_order_status
        self.customers: dict[str, Entity] = {}
        self.items: dict[str, Entity] = {}
        self.locations: dict[str, Entity] = {}
        self.transactions: dict[str, dict[str, Transaction]] = {t: {} for t in TRANSACTION_TYPES}
        self._by_external_id: dict[str, dict[str, str]] = {t: {} for t in (*TRANSACTION_TYPES, *_ENTITY_TYPES)}
        self.bins: dict[tuple[str, str], Bin] = {}
        self.tokens: dict[str, float] = {}
        """Bearer tokens and the simulated time they were issued: account-wide, shared by every app."""
        self.listeners: list[Callable[[Change], None]] = []

    @property
    def sales_orders(self) -> dict[str, Transaction]:
        return self.transactions["salesOrder"]

    def _mint(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def _now(self) -> str:
        return format_datetime(self._stamp())

    def _emit(self, kind: str, record: Transaction, order: Transaction | None) -> None:
        change = Change(kind, record, order)
        for listener in self.listeners:
            listener(change)

    # -- master data ------------------------------------------------------------------------------

    def entities(self, record_type: str) -> dict[str, Entity]:
        return {"customer": self.customers, "inventoryItem": self.items, "location": self.locations}[record_type]

    def _add_entity(self, record_type: str, name: str, external_id: str | None, fields: dict[str, Any]) -> Entity:
        if external_id is not None and external_id in self._by_external_id[record_type]:
            raise _duplicate(external_id)
        now = self._now()
        entity = Entity(self._mint(), name, external_id, fields, now, now)
        self.entities(record_type)[entity.id] = entity
        if external_id is not None:
            self._by_external_id[record_type][external_id] = entity.id
        return entity

    def add_customer(self, name: str, external_id: str | None, **fields: Any) -> Entity:
        return self._add_entity("customer", name, external_id, fields)

    def add_item(self, sku: str, name: str, **fields: Any) -> Entity:
        return self._add_entity("inventoryItem", sku, sku, {"displayName": name, **fields})

    def add_location(self, name: str) -> Entity:
        return self._add_entity("location", name, name, {})

    def location_named(self, name: str) -> Entity:
        return self.locations[self._by_external_id["location"][name]]

    def item_by_sku(self, sku: str) -> Entity:
        return self.items[self._by_external_id["inventoryItem"][sku]]

    def entity(self, record_type: str, key: str) -> Entity:
        table = self.entities(record_type)
        internal = self._by_external_id[record_type].get(key[4:]) if key.startswith("eid:") else key
        found = table.get(internal or "")
        if found is None:
            raise record_not_found()
        return found

    def touch(self, entity: Entity) -> None:
        entity.modified = self._now()

    def touch_transaction(self, record: Transaction) -> None:
        record.modified = self._now()

    # -- stock ----------------------------------------------------------------------------------------

    def bin(self, item_id: str, location_id: str) -> Bin:
        key = (item_id, location_id)
        found = self.bins.get(key)
        if found is None:
            found = self.bins[key] = Bin()
        return found

    def set_opening_stock(self, item_id: str, location_id: str, quantity: float) -> None:
        """Stock as the data migration left it, before any transaction."""
        stock = self.bin(item_id, location_id)
        stock.opening = stock.on_hand = float(quantity)

    def receive_stock(self, item_id: str, location_id: str, quantity: float, *, transfer: bool = False) -> Bin:
        """A purchase receipt or an inventory adjustment: on hand moves by ``quantity`` (a negative
        adjustment may not take on hand below what is committed), then backorders are committed.
        ``transfer``: the move is a cutover's hand-over between accounts, booked as ``transferred``."""
        if item_id not in self.items:
            raise NetSuiteError(400, "INVALID_CONTENT", f"Invalid item reference key {item_id}.", "item")
        if location_id not in self.locations:
            raise NetSuiteError(400, "INVALID_CONTENT", f"Invalid location reference key {location_id}.", "location")
        if not finite(quantity) or isinstance(quantity, bool):
            raise NetSuiteError(400, "INVALID_FLD_VALUE", f"Invalid quantity {quantity!r}.", "adjustQtyBy")
        stock = self.bin(item_id, location_id)
        if stock.on_hand + quantity < stock.committed - _EPS:
            raise NetSuiteError(
                400,
                "USER_ERROR",
                f"The adjustment would leave {stock.on_hand + quantity:g} on hand with {stock.committed:g} committed.",
                "adjustQtyBy",
            )
        stock.on_hand += quantity
        if transfer:
            stock.transferred += quantity
        else:
            stock.received += quantity
        self.items[item_id].modified = self._now()
        self._commit_backorders()
        return stock

    def backordered(self, item_id: str, location_id: str) -> float:
        return sum(
            line.backordered
            for order in self._open_orders()
            for line in order.lines
            if line.item_id == item_id and self._line_location(order, line) == location_id
        )

    def _open_orders(self) -> Iterator[Transaction]:
        for order in self.sales_orders.values():
            if order.status not in ("A", "C", "H"):
                yield order

    def _line_location(self, order: Transaction, line: Line) -> str:
        if line.location_id is not None:
            return line.location_id
        if order.location_id is not None:
            return order.location_id
        return next(iter(self.locations))

    def _commit(self, order: Transaction, line: Line) -> None:
        if line.closed or order.status in ("A", "C", "H") or not self.locations:
            return
        stock = self.bin(line.item_id, self._line_location(order, line))
        take = min(stock.available, line.backordered)
        if take > _EPS:
            line.committed += take
            stock.committed += take

    def _release(self, order: Transaction, line: Line) -> None:
        if line.committed > 0:
            self.bin(line.item_id, self._line_location(order, line)).committed -= line.committed
            line.committed = 0.0

    def _commit_backorders(self) -> None:
        """Stock came in: commit it to open orders first come, first served, as NetSuite's
        commitment process does."""
        for order in self._open_orders():
            for line in order.lines:
                if line.backordered > _EPS:
                    self._commit(order, line)

    # -- transactions: lookup ---------------------------------------------------------------------------

    def transaction(self, record_type: str, key: str) -> Transaction:
        """By internal id, or by ``eid:<external id>``."""
        table = self.transactions[record_type]
        internal = self._by_external_id[record_type].get(key[4:]) if key.startswith("eid:") else key
        found = table.get(internal or "")
        if found is None:
            raise record_not_found()
        return found

    def sales_order(self, key: str) -> Transaction:
        return self.transaction("salesOrder", key)

    def children(self, parent: Transaction, record_type: str) -> list[Transaction]:
        return [t for t in self.transactions[record_type].values() if t.created_from == parent.id]

    def _new(self, record_type: str, entity_id: str, body: dict[str, Any], **attrs: Any) -> Transaction:
        now = self._now()
        external_id = attrs.pop("external_id", None) or _external_id(body)
        if external_id is not None and external_id in self._by_external_id[record_type]:
            raise _duplicate(external_id)
        return Transaction(
            id="",
            type=record_type,
            tran_id="",
            entity_id=entity_id,
            tran_date=_tran_date(body) or now[:10],
            status=attrs.pop("status"),
            created=now,
            modified=now,
            external_id=external_id,
            memo=_optional_str(body, "memo"),
            tax_rate=self.tax_rate,
            **attrs,
        )

    def _store(self, record: Transaction) -> Transaction:
        record.id = self._mint()
        self._next_tran[record.type] += 1
        record.tran_id = f"{TRAN_PREFIXES[record.type]}{self._next_tran[record.type]}"
        self.transactions[record.type][record.id] = record
        if record.external_id is not None:
            self._by_external_id[record.type][record.external_id] = record.id
        return record

    # -- sales orders -----------------------------------------------------------------------------------

    def create_sales_order(self, body: dict[str, Any], external_id: str | None = None) -> Transaction:
        if self.closed_to_new_orders is not None:
            raise NetSuiteError(400, RETIRED_ERROR_CODE, self.closed_to_new_orders)
        _check_fields(body, SALES_ORDER_FIELDS, "salesOrder")
        entity = self._reference(self.customers, body.get("entity"), "entity")
        location = self._optional_location(body)
        lines = self._lines(body.get("item"))
        if not lines:
            raise NetSuiteError(
                400, "USER_ERROR", "You must enter at least one line item for this transaction.", "item"
            )
        status = self._requested_status(body, None) or self.default_order_status
        order = self._new(
            "salesOrder",
            entity.id,
            body,
            external_id=external_id,
            status=status,
            other_ref_num=_optional_str(body, "otherRefNum"),
            location_id=location,
            lines=lines,
            shipping_cost=_money_field(body, "shippingCost") or 0.0,
        )
        order.tax_total = money(order.subtotal * order.tax_rate)
        self._store(order)
        for line in order.lines:
            self._commit(order, line)
        if order.status == "B":
            self._emit("order.booked", order, order)
        return order

    def update_sales_order(self, order: Transaction, body: dict[str, Any]) -> Transaction:
        # Validate everything before touching the order: a refused request changes nothing.
        _check_fields(body, SALES_ORDER_FIELDS, "salesOrder")
        if "externalId" in body and _external_id(body) != order.external_id:
            raise NetSuiteError(
                400, "INVALID_CONTENT", "The external ID of an existing record cannot be changed here.", "externalId"
            )
        changes: dict[str, Any] = {}
        if "entity" in body:
            changes["entity_id"] = self._reference(self.customers, body["entity"], "entity").id
        for name, attr in (("otherRefNum", "other_ref_num"), ("memo", "memo")):
            if name in body:
                changes[attr] = _optional_str(body, name)
        if "tranDate" in body:
            changes["tran_date"] = _tran_date(body) or order.tran_date
        if "shippingCost" in body:
            changes["shipping_cost"] = _money_field(body, "shippingCost") or 0.0
        lines: list[Line] | None = None
        started = any(line.fulfilled or line.billed for line in order.lines)
        if "item" in body or "location" in body:
            if started or order.status in ("C", "H"):
                raise NetSuiteError(
                    400,
                    "USER_ERROR",
                    "You cannot change the lines or location of an order once fulfilment has begun"
                    f" (status {order.status_name}).",
                    "item" if "item" in body else "location",
                )
            lines = self._lines(body["item"]) if "item" in body else order.lines
            if not lines:
                raise NetSuiteError(
                    400, "USER_ERROR", "You must enter at least one line item for this transaction.", "item"
                )
        location = self._optional_location(body) if "location" in body else order.location_id
        status = self._requested_status(body, order)
        # -- apply
        booked = status == "B" and order.status == "A"
        if lines is not None or status is not None:
            for line in order.lines:
                self._release(order, line)
            if lines is not None:
                order.lines = lines
            order.location_id = location
            if status in ("C", "H"):
                for line in order.lines:
                    line.closed = True
            if status is not None:
                order.status = status
        for attr, value in changes.items():
            setattr(order, attr, value)
        order.tax_total = money(order.subtotal * order.tax_rate) if not started else order.tax_total
        order.modified = self._now()
        if lines is not None or status is not None:
            for line in order.lines:
                self._commit(order, line)
            self._commit_backorders()
        if booked:
            self._emit("order.booked", order, order)
        return order

    def upsert_sales_order(self, external_id: str, body: dict[str, Any]) -> tuple[Transaction, bool]:
        """Create or update by external id; True when it created."""
        check_upsert_external_id(body, external_id)
        internal = self._by_external_id["salesOrder"].get(external_id)
        if internal is None:
            return self.create_sales_order(body, external_id), True
        return self.update_sales_order(self.sales_orders[internal], body), False

    def _requested_status(self, body: dict[str, Any], order: Transaction | None) -> str | None:
        """``orderStatus``: a new order is A or B; then approve (A -> B), cancel (A or B -> C) or
        close (any open order -> H, which closes its unshipped lines). None when nothing changes."""
        if "orderStatus" not in body:
            return None
        raw = body["orderStatus"]
        code = raw.get("id") if isinstance(raw, dict) else raw
        if not isinstance(code, str) or code not in ORDER_STATUSES:
            raise NetSuiteError(
                400, "INVALID_FLD_VALUE", f"Invalid orderStatus {raw!r}: use A, B, C or H.", "orderStatus"
            )
        current = order.status if order is not None else None
        if current == code:
            return None
        moves = _ORDER_MOVES.get(current, ())
        if code not in moves:
            shown = ORDER_STATUSES[current] if current else "a new order"
            raise NetSuiteError(
                400,
                "USER_ERROR",
                f"A sales order cannot move from {shown} to {ORDER_STATUSES[code]}.",
                "orderStatus",
            )
        return code

    def _refresh_order(self, order: Transaction) -> None:
        if order.status in ("A", "C", "H"):
            return
        open_lines = [ln for ln in order.lines if not ln.closed]
        if not open_lines:
            order.status = "H"
            return
        all_fulfilled = all(ln.fulfilled >= ln.quantity - _EPS for ln in open_lines)
        any_fulfilled = any(ln.fulfilled > _EPS for ln in order.lines)
        unbilled = any(ln.fulfilled > ln.billed + _EPS for ln in order.lines)
        if not any_fulfilled:
            order.status = "B"
        elif all_fulfilled:
            order.status = "F" if unbilled else "G"
        else:
            order.status = "E" if unbilled else "D"

    # -- transforms -------------------------------------------------------------------------------------

    def transform(
        self, source_type: str, key: str, target_type: str, body: dict[str, Any], *, replace: bool = False
    ) -> Transaction:
        """``replace=True`` (``?replace=item``): only the body's lines are taken, not every open one."""
        if (source_type, target_type) not in TRANSFORMS:
            raise NetSuiteError(
                400,
                "INVALID_RCRD_TRANSFRM",
                f"That type of record transformation is not allowed: {source_type} to {target_type}."
                " Please see the documentation for a list of supported transformation types.",
            )
        source = self.transaction(source_type, key)
        fields = RETURN_FIELDS - {"createdFrom"} if target_type == "returnAuthorization" else TRANSFORM_FIELDS
        _check_fields(body, fields, target_type)
        if target_type == "itemFulfillment":
            return self._fulfil(source, body, replace)
        if target_type == "invoice":
            return self._invoice(source, body, replace)
        if target_type == "returnAuthorization":
            return self._authorise_return(source, body, replace)
        if target_type == "itemReceipt":
            return self._receive_return(source, body, replace)
        return self._credit(source, body, replace)

    def _picked(
        self,
        source: Transaction,
        body: dict[str, Any],
        target_type: str,
        remaining: Callable[[Line], float],
        default: Callable[[Line], float],
        replace: bool,
    ) -> list[tuple[Line, float, dict[str, Any]]]:
        """The source lines a transform takes and how many of each: every line with something left
        by default; body lines (matched by ``orderLine``) change quantities or drop lines with
        ``itemReceive: false``."""
        given: dict[int, dict[str, Any]] = {}
        sublist = body.get("item")
        if sublist is not None:
            if not isinstance(sublist, dict) or not isinstance(sublist.get("items"), list):
                raise NetSuiteError(
                    400, "INVALID_CONTENT", "The item sublist must be an object with an 'items' array.", "item"
                )
            for index, raw in enumerate(sublist["items"]):
                path = f"item.items[{index}]"
                if not isinstance(raw, dict):
                    raise NetSuiteError(400, "INVALID_CONTENT", "Each item line must be an object.", path)
                for name in raw:
                    if name not in TRANSFORM_LINE_FIELDS:
                        raise NetSuiteError(
                            400,
                            "INVALID_CONTENT",
                            f"Invalid field name '{name}' for the item sublist of {target_type}.",
                            f"{path}.{name}",
                        )
                number = raw.get("orderLine")
                if isinstance(number, bool) or not isinstance(number, int):
                    raise NetSuiteError(
                        400, "INVALID_FLD_VALUE", "Each line needs the orderLine it comes from.", f"{path}.orderLine"
                    )
                try:
                    source.line_no(number)
                except KeyError:
                    raise NetSuiteError(
                        400,
                        "INVALID_CONTENT",
                        f"Line {number} does not exist on {source.type} {source.tran_id}.",
                        f"{path}.orderLine",
                    ) from None
                if number in given:
                    raise NetSuiteError(400, "INVALID_CONTENT", f"Line {number} is given twice.", f"{path}.orderLine")
                given[number] = {**raw, "_path": path}
        picked: list[tuple[Line, float, dict[str, Any]]] = []
        for line in source.lines:
            raw = given.get(line.line)
            if raw is None:
                if replace and sublist is not None:
                    continue
                quantity = default(line)
                if quantity > _EPS:
                    picked.append((line, quantity, {}))
                continue
            path = raw["_path"]
            if raw.get("itemReceive", True) is False:
                continue
            quantity = _positive(raw.get("quantity", default(line)), "quantity", path)
            left = remaining(line)
            if quantity > left + _EPS:
                raise NetSuiteError(
                    400,
                    "USER_ERROR",
                    f"Line {line.line}: you cannot {_VERBS[target_type]} {quantity:g};"
                    f" only {left:g} remain{'s' if left == 1 else ''} on {source.tran_id}.",
                    f"{path}.quantity",
                )
            picked.append((line, float(quantity), raw))
        if not picked:
            raise NetSuiteError(
                400,
                "USER_ERROR",
                f"Nothing on {source.tran_id} is left to {_VERBS[target_type]}: you must enter at least one line"
                " item for this transaction.",
                "item",
            )
        return picked

    def _refuse_status(self, source: Transaction, target_type: str, allowed: Iterable[str]) -> None:
        if source.status not in allowed:
            raise NetSuiteError(
                400,
                "INVALID_INITIALIZE_REF",
                f"You can not initialize {target_type.lower()}: invalid reference {source.id}"
                f" ({source.type} {source.tran_id} is {source.status_name}).",
            )

    def _fulfil(self, order: Transaction, body: dict[str, Any], replace: bool) -> Transaction:
        self._refuse_status(order, "itemFulfillment", ("B", "D", "E"))

        def committed(line: Line) -> float:
            # By default only committed stock is picked: the rest is backordered.
            return 0.0 if line.closed else line.committed

        def unfulfilled(line: Line) -> float:
            # A line may name stock beyond its commitment (checked per location in _ship_from).
            return 0.0 if line.closed else line.quantity - line.fulfilled

        picked = self._picked(order, body, "itemFulfillment", unfulfilled, committed, replace)
        taken: dict[tuple[str, str], float] = {}
        sources = [self._ship_from(order, line, quantity, raw, taken) for line, quantity, raw in picked]
        fulfilment = self._new(
            "itemFulfillment",
            order.entity_id,
            body,
            status="C",
            created_from=order.id,
            order_id=order.id,
            lines=[
                Line(n, line.item_id, quantity, line.rate, source, order_line=line.line)
                for n, ((line, quantity, _), source) in enumerate(zip(picked, sources, strict=True), start=1)
            ],
        )
        self._store(fulfilment)
        for (line, quantity, _), source in zip(picked, sources, strict=True):
            release = min(quantity, line.committed)
            self.bin(line.item_id, self._line_location(order, line)).committed -= release
            line.committed -= release
            line.fulfilled += quantity
            stock = self.bin(line.item_id, source)
            stock.on_hand -= quantity
            stock.fulfilled += quantity
            self._reallocate(line.item_id, source)
        self._changed(order)
        self._commit_backorders()
        self._emit("order.fulfilled", fulfilment, order)
        return fulfilment

    def _ship_from(
        self, order: Transaction, line: Line, quantity: float, raw: dict[str, Any], taken: dict[tuple[str, str], float]
    ) -> str:
        """The location a fulfilment line ships from: where the order line committed, unless the line
        names another (the warehouse that actually picked it). What the line can ship from there is
        its own commitment there plus the rest on hand: units on the shelf that are committed to
        other orders can still leave (the warehouse picked them), and those orders are re-committed
        afterwards, as NetSuite's commitment reallocation does. Never more than is on hand."""
        committed_at = self._line_location(order, line)
        source = committed_at
        if "location" in raw:
            source = self._reference(self.locations, raw["location"], f"{raw['_path']}.location").id
        key = (line.item_id, source)
        own = line.committed if source == committed_at else 0.0
        taken[key] = taken.get(key, 0.0) + max(quantity - own, 0.0)
        stock = self.bin(*key)
        beyond_own = stock.on_hand - (own if source == committed_at else 0.0)
        if taken[key] > beyond_own + _EPS:
            raise NetSuiteError(
                400,
                "USER_ERROR",
                f"Line {line.line}: you cannot fulfill {quantity:g} from {self.locations[source].name};"
                f" only {own + beyond_own:g} on hand there.",
                f"{raw.get('_path', 'item')}.quantity",
            )
        return source

    def _reallocate(self, item_id: str, location_id: str) -> None:
        """A fulfilment took stock committed to other orders: uncommit the newest orders' lines at
        that location until committed is back within on hand; ``_commit_backorders`` re-commits them
        as stock allows."""
        stock = self.bin(item_id, location_id)
        for order in reversed(list(self._open_orders())):
            for line in order.lines:
                excess = stock.committed - stock.on_hand
                if excess <= _EPS:
                    return
                if line.item_id != item_id or line.committed <= _EPS:
                    continue
                if self._line_location(order, line) != location_id:
                    continue
                give_back = min(line.committed, excess)
                line.committed -= give_back
                stock.committed -= give_back

    def _invoice(self, order: Transaction, body: dict[str, Any], replace: bool) -> Transaction:
        self._refuse_status(order, "invoice", ("D", "E", "F"))

        def unbilled(line: Line) -> float:
            return line.fulfilled - line.billed

        picked = self._picked(order, body, "invoice", unbilled, unbilled, replace)
        first = not self.children(order, "invoice")
        invoice = self._new(
            "invoice",
            order.entity_id,
            body,
            status="B",
            created_from=order.id,
            order_id=order.id,
            other_ref_num=order.other_ref_num,
            lines=[
                Line(n, line.item_id, quantity, line.rate, self._line_location(order, line), order_line=line.line)
                for n, (line, quantity, _) in enumerate(picked, start=1)
            ],
            shipping_cost=order.shipping_cost if first else 0.0,
        )
        invoice.tax_total = money(invoice.subtotal * invoice.tax_rate)
        self._store(invoice)
        for line, quantity, _ in picked:
            line.billed += quantity
        self._changed(order)
        self._emit("order.invoiced", invoice, order)
        return invoice

    def _authorise_return(self, source: Transaction, body: dict[str, Any], replace: bool) -> Transaction:
        order = self.sales_orders[source.order_id] if source.type == "invoice" and source.order_id else source
        if source.type == "salesOrder":
            self._refuse_status(order, "returnAuthorization", ("D", "E", "F", "G", "H"))

        def returnable(line: Line) -> float:
            if source.type == "invoice":
                order_line = order.line_no(line.order_line or 0)
                return min(line.quantity, order_line.fulfilled - order_line.authorised)
            return line.fulfilled - line.authorised

        picked = self._picked(source, body, "returnAuthorization", returnable, returnable, replace)
        status = self._return_status(body)
        rma = self._new(
            "returnAuthorization",
            order.entity_id,
            body,
            status=status,
            created_from=source.id,
            order_id=order.id,
            other_ref_num=order.other_ref_num,
            lines=[],
        )
        for n, (line, quantity, raw) in enumerate(picked, start=1):
            order_line = order.line_no(line.order_line or 0) if source.type == "invoice" else line
            location = self._line_location(order, order_line)
            if "location" in raw:
                location = self._reference(self.locations, raw["location"], f"{raw['_path']}.location").id
            rma.lines.append(Line(n, line.item_id, quantity, line.rate, location, order_line=order_line.line))
        rma.tax_total = money(rma.subtotal * rma.tax_rate)
        self._store(rma)
        for line in rma.lines:
            order.line_no(line.order_line or 0).authorised += line.quantity
        order.modified = rma.modified
        return rma

    def _return_status(self, body: dict[str, Any]) -> str:
        raw = body.get("orderStatus", "B")
        code = raw.get("id") if isinstance(raw, dict) else raw
        if code not in ("A", "B"):
            raise NetSuiteError(
                400,
                "INVALID_FLD_VALUE",
                "A new return authorisation is Pending Approval (A) or Pending Receipt (B).",
                "orderStatus",
            )
        return str(code)

    def create_return(self, body: dict[str, Any], external_id: str | None = None) -> Transaction:
        """``POST returnAuthorization`` with ``createdFrom`` (a sales order or invoice): same as the transform."""
        _check_fields(body, RETURN_FIELDS, "returnAuthorization")
        ref = body.get("createdFrom")
        if not isinstance(ref, dict) or "id" not in ref:
            raise NetSuiteError(
                400,
                "USER_ERROR",
                "A return authorisation needs createdFrom: the sales order or invoice it returns.",
                "createdFrom",
            )
        key = str(ref["id"])
        source_type = "salesOrder" if key in self.sales_orders else "invoice"
        if key not in self.transactions[source_type]:
            raise NetSuiteError(400, "INVALID_CONTENT", f"Invalid createdFrom reference key {key}.", "createdFrom")
        rest = {k: v for k, v in body.items() if k != "createdFrom"}
        if external_id is not None:
            rest["externalId"] = external_id
        return self._authorise_return(self.transactions[source_type][key], rest, replace=False)

    def approve_return(self, rma: Transaction, body: dict[str, Any]) -> Transaction:
        """PATCH of a return authorisation: memo, and approval (A -> B) or cancel (A/B -> C)."""
        _check_fields(body, frozenset({"memo", "orderStatus", "externalId"}), "returnAuthorization")
        if "externalId" in body and _external_id(body) != rma.external_id:
            raise NetSuiteError(
                400, "INVALID_CONTENT", "The external ID of an existing record cannot be changed here.", "externalId"
            )
        memo = _optional_str(body, "memo") if "memo" in body else rma.memo
        if "orderStatus" in body:
            raw = body["orderStatus"]
            code = raw.get("id") if isinstance(raw, dict) else raw
            if not isinstance(code, str) or code not in RETURN_STATUSES:
                raise NetSuiteError(
                    400, "INVALID_FLD_VALUE", f"Invalid orderStatus {raw!r}: use A, B or C.", "orderStatus"
                )
            moves = {("A", "B"), ("A", "C"), ("B", "C")}
            if code != rma.status and (rma.status, code) not in moves:
                raise NetSuiteError(
                    400,
                    "USER_ERROR",
                    f"A return authorisation cannot move from {rma.status_name}"
                    f" to {RETURN_STATUSES.get(str(code), code)}.",
                    "orderStatus",
                )
            if code == "C":
                order = self.sales_orders[rma.order_id or ""]
                for line in rma.lines:
                    order.line_no(line.order_line or 0).authorised -= line.quantity
            rma.status = str(code)
        rma.memo = memo
        rma.modified = self._now()
        return rma

    def _receive_return(self, rma: Transaction, body: dict[str, Any], replace: bool) -> Transaction:
        self._refuse_status(rma, "itemReceipt", ("B", "D", "E"))

        def unreceived(line: Line) -> float:
            return line.quantity - line.received

        picked = self._picked(rma, body, "itemReceipt", unreceived, unreceived, replace)
        receipt_lines = []
        for n, (line, quantity, raw) in enumerate(picked, start=1):
            path = raw.get("_path", "item")
            disposition = raw.get("custcol_disposition", "restock")
            if disposition not in DISPOSITIONS:
                raise NetSuiteError(
                    400,
                    "INVALID_FLD_VALUE",
                    f"Invalid custcol_disposition {disposition!r}: use one of {', '.join(DISPOSITIONS)}.",
                    f"{path}.custcol_disposition",
                )
            location = line.location_id or next(iter(self.locations))
            if "location" in raw:
                location = self._reference(self.locations, raw["location"], f"{path}.location").id
            receipt_lines.append(
                Line(n, line.item_id, quantity, line.rate, location, order_line=line.line, disposition=disposition)
            )
        receipt = self._new(
            "itemReceipt",
            rma.entity_id,
            body,
            status="A",
            created_from=rma.id,
            order_id=rma.order_id,
            lines=receipt_lines,
        )
        self._store(receipt)
        for (line, quantity, _), received in zip(picked, receipt_lines, strict=True):
            line.received += quantity
            stock = self.bin(received.item_id, received.location_id or "")
            if received.disposition == "restock":
                stock.on_hand += quantity
                stock.restocked += quantity
            else:
                stock.written_off += quantity
        self._changed(rma)
        self._commit_backorders()
        self._emit("return.received", receipt, self.sales_orders.get(rma.order_id or ""))
        return receipt

    def _credit(self, rma: Transaction, body: dict[str, Any], replace: bool) -> Transaction:
        self._refuse_status(rma, "creditMemo", ("D", "E", "F"))
        order = self.sales_orders[rma.order_id or ""]

        def creditable(line: Line) -> float:
            # Only what came back, and only what was billed: nothing is credited twice.
            order_line = order.line_no(line.order_line or 0)
            return min(line.received - line.credited, order_line.billed - order_line.credited)

        picked = self._picked(rma, body, "creditMemo", creditable, creditable, replace)
        memo = self._new(
            "creditMemo",
            rma.entity_id,
            body,
            status="A",
            created_from=rma.id,
            order_id=order.id,
            other_ref_num=order.other_ref_num,
            lines=[
                Line(n, line.item_id, quantity, line.rate, line.location_id, order_line=line.order_line)
                for n, (line, quantity, _) in enumerate(picked, start=1)
            ],
        )
        invoices = [t for t in self.transactions["invoice"].values() if t.order_id == order.id]
        credits = [t for t in self.transactions["creditMemo"].values() if t.order_id == order.id]
        tax_left = money(sum(t.tax_total for t in invoices) - sum(t.tax_total for t in credits))
        memo.tax_total = min(money(memo.subtotal * memo.tax_rate), max(tax_left, 0.0))
        invoiced = money(sum(t.total for t in invoices))
        if money(sum(t.total for t in credits) + memo.total) > invoiced + _EPS:
            raise NetSuiteError(
                400,
                "USER_ERROR",
                f"Credits for {order.tran_id} would exceed the {invoiced:.2f} invoiced.",
                "item",
            )
        self._store(memo)
        for line, quantity, _ in picked:
            line.credited += quantity
            order.line_no(line.order_line or 0).credited += quantity
        self._changed(rma)
        order.modified = memo.modified
        return memo

    def _changed(self, source: Transaction) -> None:
        if source.type == "salesOrder":
            self._refresh_order(source)
        else:
            self._refresh_return(source)
        source.modified = self._now()

    def _refresh_return(self, rma: Transaction) -> None:
        if rma.status in ("A", "C", "H"):
            return
        received = sum(ln.received for ln in rma.lines)
        credited = sum(ln.credited for ln in rma.lines)
        everything = sum(ln.quantity for ln in rma.lines)
        if received <= _EPS:
            rma.status = "B"
        elif received < everything - _EPS:
            rma.status = "E" if credited < received - _EPS else "D"
        else:
            rma.status = "F" if credited < everything - _EPS else "G"

    def create_credit_memo(self, body: dict[str, Any], external_id: str | None = None) -> Transaction:
        """A standalone credit memo for a customer: credit that no sales order or return authorisation
        bounds, and whose inventory lines go back on hand at their location (as NetSuite does)."""
        _check_fields(body, CREDIT_FIELDS, "creditMemo")
        customer = self._reference(self.customers, body.get("entity"), "entity")
        location = self._optional_location(body)
        lines = self._lines(body.get("item"), "creditMemo")
        if not lines:
            raise NetSuiteError(
                400, "USER_ERROR", "You must enter at least one line item for this transaction.", "item"
            )
        for line in lines:
            line.location_id = line.location_id or location or next(iter(self.locations), None)
        memo = self._new(
            "creditMemo",
            customer.id,
            body,
            external_id=external_id,
            status="A",
            other_ref_num=_optional_str(body, "otherRefNum"),
            location_id=location,
            lines=lines,
        )
        memo.tax_total = money(memo.subtotal * memo.tax_rate)
        self._store(memo)
        for line in lines:
            if line.location_id is not None:
                stock = self.bin(line.item_id, line.location_id)
                stock.on_hand += line.quantity
                stock.credited_back += line.quantity
        self._commit_backorders()
        return memo

    # -- refunds ---------------------------------------------------------------------------------------

    def create_refund(self, body: dict[str, Any], external_id: str | None = None) -> Transaction:
        """Pays credit memos out: each application at most what the memo has left."""
        _check_fields(body, REFUND_FIELDS, "customerRefund")
        customer = self._reference(self.customers, body.get("customer"), "customer")
        sublist = body.get("apply")
        if not isinstance(sublist, dict) or not isinstance(sublist.get("items"), list) or not sublist["items"]:
            raise NetSuiteError(
                400,
                "USER_ERROR",
                "A customer refund must apply at least one credit memo: apply.items[{doc: {id}, amount}].",
                "apply",
            )
        applications: list[tuple[Transaction, float]] = []
        for index, raw in enumerate(sublist["items"]):
            path = f"apply.items[{index}]"
            if not isinstance(raw, dict) or not isinstance(raw.get("doc"), dict) or "id" not in raw["doc"]:
                raise NetSuiteError(400, "INVALID_CONTENT", "Each application needs doc: {id}.", f"{path}.doc")
            for name in raw:
                if name not in ("doc", "amount", "apply"):
                    raise NetSuiteError(
                        400,
                        "INVALID_CONTENT",
                        f"Invalid field name '{name}' for the apply sublist of customerRefund.",
                        f"{path}.{name}",
                    )
            if raw.get("apply", True) is False:
                continue
            memo = self.transactions["creditMemo"].get(str(raw["doc"]["id"]))
            if memo is None:
                raise NetSuiteError(
                    400,
                    "INVALID_CONTENT",
                    f"Invalid doc reference key {raw['doc']['id']}: no credit memo has it."
                    " A return is refunded from its credit memo, once it is received.",
                    f"{path}.doc",
                )
            if memo.entity_id != customer.id:
                raise NetSuiteError(
                    400, "USER_ERROR", f"Credit memo {memo.tran_id} belongs to another customer.", f"{path}.doc"
                )
            left = money(memo.total - memo.applied - sum(a for m, a in applications if m is memo))
            amount = _positive(raw.get("amount", left), "amount", path)
            if money(amount) > left + _EPS:
                raise NetSuiteError(
                    400,
                    "USER_ERROR",
                    f"You cannot refund {amount:.2f} from credit memo {memo.tran_id}: only {left:.2f} is unapplied.",
                    f"{path}.amount",
                )
            applications.append((memo, money(amount)))
        if not applications:
            raise NetSuiteError(400, "USER_ERROR", "A customer refund must apply at least one credit memo.", "apply")
        refund = self._new(
            "customerRefund",
            customer.id,
            body,
            external_id=external_id,
            status="A",
            created_from=applications[0][0].id,
            order_id=applications[0][0].order_id,
            applications=[(memo.id, amount) for memo, amount in applications],
        )
        self._store(refund)
        for memo, amount in applications:
            memo.applied = money(memo.applied + amount)
            memo.status = "B" if memo.applied >= memo.total - _EPS else "A"
            memo.modified = refund.modified
        self._emit("refund.issued", refund, self.sales_orders.get(refund.order_id or ""))
        return refund

    # -- validation -------------------------------------------------------------------------------------

    def _optional_location(self, body: dict[str, Any]) -> str | None:
        if body.get("location") is None:
            return None
        return self._reference(self.locations, body["location"], "location").id

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
            raise NetSuiteError(
                400,
                "INVALID_CONTENT",
                "Error while accessing resource: You have entered an Invalid Field Value"
                f" {key} for the following field: {path.split('.')[-1]}",
                path,
            )
        return found

    def _lines(self, sublist: Any, record_type: str = "salesOrder") -> list[Line]:
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
            for name in raw:
                if name not in LINE_FIELDS:
                    raise NetSuiteError(
                        400,
                        "INVALID_CONTENT",
                        f"Invalid field name '{name}' for the item sublist of {record_type}.",
                        f"{path}.{name}",
                    )
            item = self._reference(self.items, raw.get("item"), f"{path}.item")
            quantity = _positive(raw.get("quantity"), "quantity", path)
            rate = raw.get("rate", item.fields.get("basePrice"))
            if isinstance(rate, bool) or not finite(rate) or rate < 0:
                raise NetSuiteError(
                    400,
                    "INVALID_FLD_VALUE",
                    f"Invalid rate {rate!r}: enter a number of 0 or more.",
                    f"{path}.rate",
                )
            location = None
            if raw.get("location") is not None:
                location = self._reference(self.locations, raw["location"], f"{path}.location").id
            lines.append(Line(number, item.id, float(quantity), float(rate), location))
        return lines

    # -- what checkers read -------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        def sku(item_id: str) -> str:
            return self.items[item_id].name

        def document(t: Transaction) -> dict[str, Any]:
            return {
                "id": t.id,
                "tranId": t.tran_id,
                "externalId": t.external_id,
                "entity": t.entity_id,
                "status": t.status_name,
                "createdFrom": t.created_from,
                "salesOrder": t.order_id,
                "total": t.total,
                "lines": [
                    {
                        "line": ln.line,
                        "orderLine": ln.order_line,
                        "sku": sku(ln.item_id),
                        "quantity": ln.quantity,
                        "rate": ln.rate,
                        "location": self.locations[ln.location_id].name if ln.location_id else None,
                        **({"disposition": ln.disposition} if ln.disposition else {}),
                    }
                    for ln in t.lines
                ],
            }

        return {
            "salesOrders": [
                {
                    "id": o.id,
                    "tranId": o.tran_id,
                    "externalId": o.external_id,
                    "otherRefNum": o.other_ref_num,
                    "entity": o.entity_id,
                    "status": ORDER_STATUSES[o.status],
                    "subtotal": o.subtotal,
                    "taxTotal": o.tax_total,
                    "shippingCost": o.shipping_cost,
                    "total": o.total,
                    "lines": [
                        {
                            "line": ln.line,
                            "sku": sku(ln.item_id),
                            "quantity": ln.quantity,
                            "rate": ln.rate,
                            "location": self.locations[self._line_location(o, ln)].name if self.locations else None,
                            "committed": ln.committed,
                            "fulfilled": ln.fulfilled,
                            "billed": ln.billed,
                            "backordered": ln.backordered,
                            "returned": ln.authorised,
                            "credited": ln.credited,
                            "closed": ln.closed,
                        }
                        for ln in o.lines
                    ],
                }
                for o in self.sales_orders.values()
            ],
            **{
                f"{kind}s": [document(t) for t in self.transactions[kind].values()]
                for kind in ("itemFulfillment", "invoice", "returnAuthorization", "itemReceipt", "creditMemo")
            },
            "customerRefunds": [
                {
                    "id": r.id,
                    "tranId": r.tran_id,
                    "externalId": r.external_id,
                    "entity": r.entity_id,
                    "salesOrder": r.order_id,
                    "total": r.total,
                    "applied": [{"creditMemo": m, "amount": a} for m, a in r.applications],
                }
                for r in self.transactions["customerRefund"].values()
            ],
            "inventory": [
                {
                    "sku": sku(item_id),
                    "location": self.locations[location_id].name,
                    "quantityOnHand": b.on_hand,
                    "quantityCommitted": b.committed,
                    "quantityAvailable": b.available,
                    "quantityBackOrdered": self.backordered(item_id, location_id),
                    "opening": b.opening,
                    "received": b.received,
                    "transferred": b.transferred,
                    "fulfilled": b.fulfilled,
                    "restocked": b.restocked,
                    "writtenOff": b.written_off,
                    "creditedBack": b.credited_back,
                }
                for (item_id, location_id), b in self.bins.items()
            ],
            "customers": {c.id: c.external_id for c in self.customers.values()},
        }


_ENTITY_TYPES = ("customer", "inventoryItem", "location")
_ORDER_MOVES: dict[str | None, tuple[str, ...]] = {
    None: ("A", "B"),
    "A": ("B", "C"),
    "B": ("C", "H"),
    "D": ("H",),
    "E": ("H",),
    "F": ("H",),
    "G": ("H",),
}
_VERBS = {
    "itemFulfillment": "fulfill",
    "invoice": "bill",
    "returnAuthorization": "return",
    "itemReceipt": "receive",
    "creditMemo": "credit",
}


def _duplicate(external_id: str) -> NetSuiteError:
    return NetSuiteError(
        400,
        "DUP_RCRD",
        f"A record with the external ID {external_id} already exists for this record type.",
        "externalId",
    )


def check_upsert_external_id(body: dict[str, Any], external_id: str) -> None:
    """An upsert's body may repeat the external id its URL names, never name another."""
    if "externalId" in body and body["externalId"] != external_id:
        raise NetSuiteError(
            400,
            "INVALID_CONTENT",
            "The external ID in the request body differs from the one in the URL.",
            "externalId",
        )


def _positive(value: Any, name: str, path: str) -> int | float:
    """A line's ``name`` field (quantity, amount): a number greater than 0, or the line at ``path`` is refused."""
    if isinstance(value, bool) or not finite(value) or value <= 0:
        raise NetSuiteError(
            400, "INVALID_FLD_VALUE", f"Invalid {name} {value!r}: enter a number greater than 0.", f"{path}.{name}"
        )
    return value


def _check_fields(body: dict[str, Any], allowed: frozenset[str], record_type: str) -> None:
    for name in body:
        if name not in allowed:
            raise NetSuiteError(
                400, "INVALID_CONTENT", f"Invalid field name '{name}' for record type {record_type}.", name
            )


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise NetSuiteError(400, "INVALID_CONTENT", f"Invalid value for field '{name}': expected a string.", name)
    return str(value)


def _external_id(body: dict[str, Any]) -> str | None:
    """An empty external id is no external id: NetSuite does not key a record by ``""``."""
    return _optional_str(body, "externalId") or None


def _tran_date(body: dict[str, Any]) -> str | None:
    value = body.get("tranDate")
    if value is None:
        return None
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise NetSuiteError(
        400, "INVALID_FLD_VALUE", f"Invalid tranDate {value!r}: enter a date as YYYY-MM-DD.", "tranDate"
    )


def _money_field(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not finite(value) or value < 0:
        raise NetSuiteError(400, "INVALID_FLD_VALUE", f"Invalid {name} {value!r}: enter an amount of 0 or more.", name)
    return money(float(value))
