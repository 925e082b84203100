"""How the books look through NetSuite's REST record API: records with ``links``, references as
``{id, refName}``, sublists that stay links until expanded, and the flat rows queries filter on.
"""

from __future__ import annotations

from typing import Any

from mocks.erp.state import Entity, ErpState, Line, Transaction

ENTITY_TYPES = ("customer", "inventoryItem", "location")
TRANSACTION_TYPES = (
    "salesOrder",
    "itemFulfillment",
    "invoice",
    "returnAuthorization",
    "itemReceipt",
    "creditMemo",
    "customerRefund",
)
RECORD_TYPES = (*ENTITY_TYPES, *TRANSACTION_TYPES)
SUBLISTS = {
    **dict.fromkeys(TRANSACTION_TYPES, "item"),
    "customerRefund": "apply",
    "inventoryItem": "locations",
}
"""The one sublist each record type exposes."""
DISPLAY_TYPES = {
    "salesOrder": "Sales Order",
    "itemFulfillment": "Item Fulfillment",
    "invoice": "Invoice",
    "returnAuthorization": "Return Authorization",
    "itemReceipt": "Item Receipt",
    "creditMemo": "Credit Memo",
    "customerRefund": "Customer Refund",
}
"""How ``BUILTIN.DF`` names a transaction type in front of its status."""
ENTITY_ROW_FIELDS = ("id", "externalId", "name", "companyName", "itemId", "email", "dateCreated", "lastModifiedDate")
TRANSACTION_ROW_FIELDS = (
    "id",
    "type",
    "tranId",
    "tranDate",
    "externalId",
    "otherRefNum",
    "memo",
    "entity",
    "status",
    "createdFrom",
    "total",
    "createdDate",
    "lastModifiedDate",
)


def _ref(state: ErpState, table: str, key: str | None) -> dict[str, str] | None:
    if key is None:
        return None
    entity = state.entities(table)[key]
    return {"id": entity.id, "refName": entity.name}


def _links(href: str) -> list[dict[str, str]]:
    return [{"rel": "self", "href": href}]


def _sublist(href: str, rows: list[dict[str, Any]] | None) -> dict[str, Any]:
    if rows is None:
        return {"links": _links(href)}
    return {
        "links": _links(href),
        "count": len(rows),
        "hasMore": False,
        "items": rows,
        "offset": 0,
        "totalResults": len(rows),
    }


def _line(state: ErpState, record: Transaction, line: Line, href: str) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "links": _links(f"{href}/{line.line}"),
        "line": line.line,
        "item": _ref(state, "inventoryItem", line.item_id),
        "quantity": line.quantity,
        "rate": line.rate,
        "amount": line.amount,
    }
    if line.location_id is not None:
        shown["location"] = _ref(state, "location", line.location_id)
    if line.order_line is not None:
        shown["orderLine"] = line.order_line
    if record.type == "salesOrder":
        shown.update(
            quantityCommitted=line.committed,
            quantityFulfilled=line.fulfilled,
            quantityBilled=line.billed,
            quantityBackOrdered=line.backordered,
            isClosed=line.closed,
        )
    elif record.type == "returnAuthorization":
        shown.update(quantityReceived=line.received, quantityBilled=line.credited)
    elif line.disposition is not None:
        shown["custcol_disposition"] = line.disposition
    return shown


def sublist_rows(state: ErpState, record_type: str, record: Any, href: str) -> list[dict[str, Any]]:
    if isinstance(record, Transaction):
        if record.type == "customerRefund":
            return [
                {
                    "links": _links(f"{href}/{n}"),
                    "line": n,
                    "doc": {"id": memo_id, "refName": state.transactions["creditMemo"][memo_id].tran_id},
                    "apply": True,
                    "amount": amount,
                }
                for n, (memo_id, amount) in enumerate(record.applications, start=1)
            ]
        return [_line(state, record, line, href) for line in record.lines]
    rows = []
    for location in state.locations.values():
        stock = state.bins.get((record.id, location.id))
        if stock is None:
            continue
        rows.append(
            {
                "links": _links(f"{href}/{location.id}"),
                "location": {"id": location.id, "refName": location.name},
                "quantityOnHand": stock.on_hand,
                "quantityCommitted": stock.committed,
                "quantityAvailable": stock.available,
                "quantityBackOrdered": state.backordered(record.id, location.id),
                "quantityOnOrder": 0.0,
            }
        )
    return rows


def shape(state: ErpState, record_type: str, record: Any, base: str, expand: bool) -> dict[str, Any]:
    """The record as ``GET record/v1/{type}/{id}`` answers it; ``base`` is ``.../record/v1``."""
    href = f"{base}/{record_type}/{record.id}"
    sublist = SUBLISTS.get(record_type)
    if isinstance(record, Entity):
        shown = _entity(state, record_type, record, href)
    else:
        shown = _transaction(state, record, href)
    if sublist is not None:
        rows = sublist_rows(state, record_type, record, f"{href}/{sublist}") if expand else None
        shown[sublist] = _sublist(f"{href}/{sublist}", rows)
    return shown


def _entity(state: ErpState, record_type: str, entity: Entity, href: str) -> dict[str, Any]:
    shown: dict[str, Any] = {"links": _links(href), "id": entity.id}
    if entity.external_id is not None:
        shown["externalId"] = entity.external_id
    if record_type == "customer":
        shown.update(companyName=entity.name, entityId=entity.name)
    elif record_type == "inventoryItem":
        shown["itemId"] = entity.name
        stocks = [b for (item, _), b in state.bins.items() if item == entity.id]
        shown["totalQuantityOnHand"] = sum(b.on_hand for b in stocks)
    else:
        shown["name"] = entity.name
    shown.update({k: v for k, v in entity.fields.items() if v is not None})
    shown.update(dateCreated=entity.created, lastModifiedDate=entity.modified)
    return shown


def _transaction(state: ErpState, record: Transaction, href: str) -> dict[str, Any]:
    status = {"id": record.status, "refName": record.status_name}
    shown: dict[str, Any] = {
        "links": _links(href),
        "id": record.id,
        "tranId": record.tran_id,
        "tranDate": record.tran_date,
        "entity": _ref(state, "customer", record.entity_id),
        "status": status,
        "createdDate": record.created,
        "lastModifiedDate": record.modified,
    }
    if record.type == "customerRefund":
        shown["customer"] = shown["entity"]
    else:
        shown.update(subtotal=record.subtotal, taxTotal=record.tax_total, taxRate=record.tax_rate * 100)
    shown["total"] = record.total
    if record.type in ("salesOrder", "returnAuthorization"):
        shown["orderStatus"] = status
    if record.type in ("salesOrder", "invoice"):
        shown["shippingCost"] = record.shipping_cost
    if record.type == "invoice":
        shown.update(amountPaid=record.total, amountRemaining=0.0)
    if record.type == "creditMemo":
        shown.update(applied=record.applied, amountRemaining=round(record.total - record.applied, 2))
    if record.created_from is not None:
        source = _find(state, record.created_from)
        shown["createdFrom"] = {"id": source.id, "refName": source.tran_id}
    for name, value in (
        ("externalId", record.external_id),
        ("otherRefNum", record.other_ref_num),
        ("memo", record.memo),
        ("location", _ref(state, "location", record.location_id)),
    ):
        if value is not None:
            shown[name] = value
    return shown


def _find(state: ErpState, internal_id: str) -> Transaction:
    for table in state.transactions.values():
        if internal_id in table:
            return table[internal_id]
    raise KeyError(internal_id)


def row_fields(record_type: str) -> tuple[str, ...]:
    return ENTITY_ROW_FIELDS if record_type in ENTITY_TYPES else TRANSACTION_ROW_FIELDS


def row(state: ErpState, record_type: str, record: Any) -> dict[str, Any]:
    """The fields a collection's ``q`` filter and SuiteQL can see, by their REST names."""
    if isinstance(record, Entity):
        return {
            "id": record.id,
            "externalId": record.external_id,
            "name": record.name,
            "companyName": record.name,
            "itemId": record.name,
            "email": record.fields.get("email"),
            "dateCreated": record.created,
            "lastModifiedDate": record.modified,
        }
    return {
        "id": record.id,
        "type": record.type,
        "tranId": record.tran_id,
        "tranDate": record.tran_date,
        "externalId": record.external_id,
        "otherRefNum": record.other_ref_num,
        "memo": record.memo,
        "entity": record.entity_id,
        "status": record.status,
        "createdFrom": record.created_from,
        "total": record.total,
        "createdDate": record.created,
        "lastModifiedDate": record.modified,
    }


def records(state: ErpState, record_type: str) -> list[Any]:
    if record_type in ENTITY_TYPES:
        return list(state.entities(record_type).values())
    return list(state.transactions[record_type].values())
