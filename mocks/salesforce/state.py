"""The org's data: records per sObject, sessions and the API allowance, in plain Python."""

from __future__ import annotations

import contextlib
import random
import re
import secrets
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from typing import Any

from mocks.json_numbers import finite
from mocks.salesforce.errors import SalesforceError, not_found
from mocks.salesforce.ids import KEY_PREFIXES, IdMinter, is_valid, to18
from mocks.salesforce.objects import ACTIVATED_STATUSES, SOBJECTS, Field, SObject

Record = dict[str, Any]

PRICE_IMPACTING = frozenset({"Quantity", "UnitPrice"})
"""OrderItem fields an activated order locks (as with Enhanced Commerce Orders); the rest stay editable."""

ALLOWANCE_WINDOW = 24 * 3600.0
"""The daily API allowance is a rolling 24 hours (simulated seconds), not a calendar day."""
_ALLOWANCE_BUCKET = 60.0

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

AUTO_NUMBERS = (("Order", "OrderNumber"), ("Case", "CaseNumber"), ("ReturnOrder", "ReturnOrderNumber"))

DETAIL_OF = {"OrderItem": ("OrderId", "Order"), "ReturnOrderLineItem": ("ReturnOrderId", "ReturnOrder")}
"""Master-detail children: deleted with their master."""


def _is_date(value: str) -> bool:
    if not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def format_datetime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


@dataclass(slots=True)
class Session:
    token: str
    user_id: str
    issued_at: float


@dataclass(slots=True)
class Cursor:
    """The rest of a query result, served batch by batch through ``nextRecordsUrl``."""

    records: list[Record]
    batch: int
    position: int = 0
    include_deleted: bool = False


@dataclass(slots=True)
class Allowance:
    """The rolling daily request allowance: counts per simulated minute over the last 24 hours."""

    limit: int
    buckets: deque[list[float]] = dataclass_field(default_factory=deque)
    used: int = 0

    def roll(self, now: float) -> int:
        while self.buckets and self.buckets[0][0] <= now - ALLOWANCE_WINDOW:
            self.used -= int(self.buckets.popleft()[1])
        return self.used

    def take(self, now: float) -> bool:
        """Count one call unless the allowance is spent; a refused call is not counted."""
        if self.roll(now) >= self.limit:
            return False
        minute = now - now % _ALLOWANCE_BUCKET
        if self.buckets and self.buckets[-1][0] == minute:
            self.buckets[-1][1] += 1
        else:
            self.buckets.append([minute, 1])
        self.used += 1
        return True


class SalesforceState:
    """Records, sessions and limits of one mock org. Every mutation stamps simulated time."""

    def __init__(self, stamp: Callable[[], datetime], *, api_limit: int = 1_000_000) -> None:
        self._stamp = stamp
        self.ids = IdMinter()
        self.org_id = self.ids.mint("Organization")
        self.integration_user_id = self.ids.mint("User")
        self.records: dict[str, dict[str, Record]] = {name: {} for name in SOBJECTS}
        self.sessions: dict[str, Session] = {}
        self.allowance = Allowance(api_limit)
        self.cursors: dict[str, Cursor] = {}
        self._cursor_ids = IdMinter(pod="0L")
        self._numbers = {"Order": 100, "Case": 1000, "ReturnOrder": 0}
        self._journal: dict[tuple[str, str], Record | None] | None = None
        self._lock_contention = 0.0
        self._lock_rng = random.Random(0)
        self._indexed = {
            name: tuple(f.name for f in o.fields if f.unique or f.external_id or f.reference_to)
            for name, o in SOBJECTS.items()
        }
        """Fields looked up by value often (upserts, uniqueness, children of a parent): indexed, so
        those lookups do not scan every record of a busy org."""
        self._index: dict[tuple[str, str], dict[str, set[str]]] = {
            (name, f): {} for name, fields in self._indexed.items() for f in fields
        }

    @property
    def api_limit(self) -> int:
        return self.allowance.limit

    @property
    def api_used(self) -> int:
        """Requests counted in the last 24 simulated hours."""
        return self.allowance.roll(self._stamp().timestamp())

    # -- sessions -----------------------------------------------------------------------------

    def open_session(self, now: float) -> Session:
        token = f"{self.org_id[:15]}!{secrets.token_urlsafe(48)}"
        session = self.sessions[token] = Session(token, self.integration_user_id, now)
        return session

    # -- reads --------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._stamp()

    def object_of(self, record_id: str) -> str:
        """The sObject a record id belongs to, by its key prefix."""
        for name, prefix in KEY_PREFIXES.items():
            if name in self.records and record_id.startswith(prefix):
                return name
        raise SalesforceError(400, "MALFORMED_ID", f"malformed id {record_id}", [])

    def describe(self, sobject: str) -> SObject:
        described = SOBJECTS.get(sobject) or next(
            (o for name, o in SOBJECTS.items() if name.lower() == sobject.lower()), None
        )
        if described is None:
            raise not_found()
        return described

    def get(self, sobject: str, record_id: str, *, include_deleted: bool = False) -> Record:
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
        if record["IsDeleted"] and not include_deleted:
            raise SalesforceError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
        return record

    def parent(self, sobject: str, record_id: str | None) -> Record | None:
        """A referenced record (deleted or not), for relationship fields in queries."""
        return None if record_id is None else self.records[sobject].get(record_id)

    def by_external_id(self, sobject: str, field_name: str, value: str) -> tuple[SObject, Field, list[Record]]:
        """Live records whose external id field holds ``value`` (``Id`` counts as an external id)."""
        described = self.describe(sobject)
        found = described.field(field_name)
        if found is None or not (found.external_id or found.name == "Id"):
            raise SalesforceError(
                404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {field_name}"
            )
        if found.name == "Id":
            if not is_valid(value):
                return described, found, []
            record = self.records[described.name].get(to18(value))
            return described, found, [record] if record is not None and not record["IsDeleted"] else []
        return described, found, list(self.where(described.name, **{found.name: value}))

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
        candidates: Iterable[Record] = self.records[sobject].values()
        for name, value in equals.items():
            found = self.lookup(sobject, name, value)
            if found is not None:
                candidates = found
                break
        for record in candidates:
            if not record["IsDeleted"] and all(record.get(k) == v for k, v in equals.items()):
                yield record

    def lookup(self, sobject: str, field_name: str, value: Any) -> list[Record] | None:
        """Records that may hold ``value`` (case-insensitively) in an indexed field, or None when the
        field is not indexed. A superset: callers check the value, so the index never needs undoing."""
        rows = self.records[sobject]
        if field_name == "Id" and isinstance(value, str):
            return [rows[value]] if value in rows else []
        table = self._index.get((sobject, field_name))
        if table is None or not isinstance(value, str):
            return None
        return [rows[i] for i in table.get(value.casefold(), ()) if i in rows]

    def _remember(self, sobject: str, record: Record) -> None:
        """Index the record's current values of unique, external id and reference fields."""
        for name in self._indexed[sobject]:
            value = record.get(name)
            if isinstance(value, str):
                self._index[(sobject, name)].setdefault(value.casefold(), set()).add(record["Id"])

    # -- writes -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: a write that raises inside undoes every write before it in the block."""
        if self._journal is not None:
            yield
            return
        self._journal = {}
        try:
            yield
        except BaseException:
            for (sobject, record_id), before in reversed(self._journal.items()):
                if before is None:
                    self.records[sobject].pop(record_id, None)
                else:
                    self.records[sobject][record_id] = before
            raise
        finally:
            self._journal = None

    def _touch(self, sobject: str, record_id: str) -> None:
        """Remember a record's state before its first change in the current transaction."""
        if self._journal is not None and (sobject, record_id) not in self._journal:
            current = self.records[sobject].get(record_id)
            self._journal[(sobject, record_id)] = None if current is None else dict(current)

    def contend_for_locks(self, rate: float, rng: random.Random) -> None:
        """Make this share of writes fail with ``UNABLE_TO_LOCK_ROW`` (0 turns it off): the fault of an
        org whose records are busy with triggers, batch jobs or another integration."""
        self._lock_contention = rate
        self._lock_rng = rng

    def _lock(self, record_id: str) -> None:
        if self._lock_contention and self._lock_rng.random() < self._lock_contention:
            raise SalesforceError(
                400,
                "UNABLE_TO_LOCK_ROW",
                f"unable to obtain exclusive access to this record or 1 records: {record_id}",
                [],
            )

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
        self._check_creatable(described.name, record)
        self._derive(described.name, record)
        self._check_unique(described, record)
        self._lock(record["Id"])
        self._touch(described.name, record["Id"])
        self.records[described.name][record["Id"]] = record
        self._remember(described.name, record)
        self._roll_up(described.name, record)
        return record

    def _check_creatable(self, sobject: str, record: Record) -> None:
        """Rules the org enforces on insert beyond field types."""
        if sobject == "Order" and record["Status"] != "Draft":
            raise SalesforceError(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                "You can't create an order with a status other than Draft. Add products, then activate it.",
                ["Status"],
            )
        if sobject == "OrderItem" and self.records["Order"][record["OrderId"]]["Status"] in ACTIVATED_STATUSES:
            raise SalesforceError(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                "You can't add order products to an activated order.",
                ["OrderId"],
            )

    def delete(self, sobject: str, record_id: str) -> Record:
        """Move a record to the recycle bin (``IsDeleted``), its detail records with it."""
        described = self.describe(sobject)
        if not is_valid(record_id):
            raise SalesforceError(400, "MALFORMED_ID", f"{described.label} ID: id value of incorrect type: {record_id}")
        record = self.get(described.name, record_id)
        if described.name == "Order" and record["Status"] in ACTIVATED_STATUSES:
            raise SalesforceError(
                400, "FIELD_INTEGRITY_EXCEPTION", "You can't delete an activated order. Deactivate it first.", []
            )
        self._lock(record["Id"])
        now = format_datetime(self._stamp())
        doomed = [(described.name, record)]
        for child, (master_field, master) in DETAIL_OF.items():
            if master == described.name:
                doomed += [(child, r) for r in self.where(child, **{master_field: record["Id"]})]
        for name, row in doomed:
            self._touch(name, row["Id"])
            row.update(IsDeleted=True, LastModifiedDate=now, SystemModstamp=now)
        if described.name == "OrderItem":
            self._roll_up("OrderItem", record)
        return record

    def update(self, sobject: str, record_id: str, values: dict[str, Any]) -> Record:
        described = self.describe(sobject)
        record = self.get(described.name, record_id)
        clean = self._validated(described, values, creating=False)
        if (
            described.name == "Order"
            and clean.get("Status") == "Activated"
            and record["Status"] != "Activated"
            and not any(True for _ in self.where("OrderItem", OrderId=record["Id"]))
        ):
            raise SalesforceError(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                "You can't activate an order that has no order products.",
                ["Status"],
            )
        if (
            described.name == "OrderItem"
            and self.records["Order"][record["OrderId"]]["Status"] in ACTIVATED_STATUSES
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
        self._lock(record["Id"])
        self._touch(described.name, record["Id"])
        record.update(clean)
        self._remember(described.name, record)
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
            if isinstance(value, bool) or not finite(value):
                raise SalesforceError(
                    400,
                    "JSON_PARSER_ERROR",
                    f"Cannot deserialize instance of {field.type} from VALUE_STRING value {value} or request may be"
                    " missing a required field",
                )
            if field.name in ("Quantity", "QuantityReturned") and value <= 0:
                raise SalesforceError(
                    400,
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"{described.label} {field.label}: value must be greater than zero",
                    [field.name],
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
        if field.type == "date" and not _is_date(value):
            raise SalesforceError(
                400,
                "JSON_PARSER_ERROR",
                f"Cannot deserialize instance of date from VALUE_STRING value {value} or request may be missing a"
                " required field",
                [],
            )
        if field.type == "email" and not _EMAIL.match(value):
            raise SalesforceError(
                400, "INVALID_EMAIL_ADDRESS", f"{field.label}: invalid email address: {value}", [field.name]
            )
        if field.type == "reference" and field.reference_to:
            if not is_valid(value):
                raise SalesforceError(
                    400, "MALFORMED_ID", f"{field.label}: id value of incorrect type: {value}", [field.name]
                )
            target = self.records[field.reference_to].get(to18(value))
            if target is None or target["IsDeleted"]:
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
        for kind, number_field in AUTO_NUMBERS:
            if sobject == kind and record.get(number_field) is None:
                self._numbers[kind] += 1
                record[number_field] = f"{self._numbers[kind]:08d}"
        if sobject == "Case":
            closed = record["Status"] == "Closed"
            if closed and not record["IsClosed"]:
                record["ClosedDate"] = record["LastModifiedDate"]
            record["IsClosed"] = closed
            if not closed:
                record["ClosedDate"] = None
        if sobject == "ReturnOrderLineItem":
            record["Product2Id"] = self.records["OrderItem"][record["OrderItemId"]]["Product2Id"]
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
            self._touch("Order", order["Id"])
            order["TotalAmount"] = round(sum(i["TotalPrice"] for i in self.where("OrderItem", OrderId=order["Id"])), 2)

    def api_call(self) -> None:
        """Count one request against the rolling allowance; once it is spent, refuse (and do not count)."""
        if not self.allowance.take(self._stamp().timestamp()):
            raise SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")

    # -- query cursors --------------------------------------------------------------------------

    def open_cursor(self, records: list[Record], batch: int, include_deleted: bool) -> tuple[list[Record], str | None]:
        """The first batch, and a locator for the rest when there is more (as ``01g...-2000``)."""
        if len(records) <= batch:
            return records, None
        locator = self._cursor_ids.mint("QueryLocator")
        self.cursors[locator] = Cursor(records, batch, batch, include_deleted)
        return records[:batch], f"{locator}-{batch}"

    def next_batch(self, locator: str) -> tuple[Cursor, list[Record], str | None]:
        """The batch a ``nextRecordsUrl`` points at; a locator past the end or unknown is refused."""
        key, _, position = locator.rpartition("-")
        cursor = self.cursors.get(key)
        if cursor is None or not position.isdigit() or int(position) != cursor.position:
            raise SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        start = cursor.position
        cursor.position += cursor.batch
        if cursor.position >= len(cursor.records):
            del self.cursors[key]
            return cursor, cursor.records[start:], None
        return cursor, cursor.records[start : cursor.position], f"{key}-{cursor.position}"

    def snapshot(self) -> dict[str, Any]:
        return {"org_id": self.org_id, "records": self.records, "api_used": self.api_used}
