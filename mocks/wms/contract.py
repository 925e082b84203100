"""ShipBob's contract as the mock WMS states it on its routes (see ``mocks.contract``)."""

from __future__ import annotations

from mocks.contract import (
    BOOLEAN,
    INTEGER,
    STRING,
    Answer,
    Schema,
    Vendor,
    array,
    bearer,
    error_answers,
    header,
    nullable,
    obj,
    parameter,
)
from mocks.wms.state import SHIPPING_METHODS, TOPICS

CHANNEL_HEADER = "shipbob_channel_id"
PROBLEM: Schema = obj(
    ["type", "title", "status"],
    type=STRING,
    title=STRING,
    status=INTEGER,
    errors={"type": "object", "additionalProperties": array(STRING)},
)
_ERRORS = {
    400: "Validation problem: errors name each refused field",
    404: "No such object",
    422: "Refused: a duplicate reference_id, or a state that forbids the change",
    429: "Rate limited",
    500: "Internal error",
    503: "Unavailable",
}


SHIPBOB = Vendor(
    security_schemes={
        "bearer": bearer("A personal access token or OAuth token"),
        "channel": {
            "type": "apiKey",
            "in": "header",
            "name": CHANNEL_HEADER,
            "description": "The channel a write acts for (required for writes, scopes reads)",
        },
    },
    security=[{"bearer": [], "channel": []}, {"bearer": []}],
    error=error_answers(
        _ERRORS,
        PROBLEM,
        retry_after=(429, 503),
        own={
            401: Answer(
                "No valid token: a bare 401, as the vendor's JWT middleware answers",
                headers={"WWW-Authenticate": header({"const": "Bearer"}, "The scheme to use")},
            ),
            403: Answer("The token has no (write) access to the channel: a bare 403"),
        },
    ),
    any_request=(401, 429, 500, 503),
    servers=[{"url": "https://api.shipbob.com", "description": "ShipBob (the mock serves the same paths)"}],
)

WRITE = (400, 403)
"""A write without the channel header is a 400; with a channel it may not write for, a 403."""
READ = (400, 403)
"""A read with a malformed channel header is a 400; with an unknown channel, a 403."""

ID = {"type": "integer"}
PRODUCT_LINE = obj(
    ["id", "reference_id", "quantity"], id=ID, reference_id=STRING, sku=STRING, name=STRING, quantity=INTEGER
)
LOCATION = nullable(obj(["id", "name"], id=ID, name=STRING))
SHIPMENT_STATUSES = ["Processing", "Completed", "OnHold", "Exception", "Cancelled", "LabeledCreated"]
SHIPMENT: Schema = obj(
    ["id", "order_id", "reference_id", "status", "products"],
    id=ID,
    order_id=ID,
    reference_id=STRING,
    created_date=STRING,
    last_update_at=nullable(STRING),
    status={"enum": SHIPMENT_STATUSES},
    status_details=array(obj(["name"], id=ID, name=STRING, description=STRING)),
    location=LOCATION,
    tracking=nullable(
        obj(["carrier", "tracking_number"], carrier=STRING, tracking_number=STRING, tracking_url=nullable(STRING))
    ),
    products=array(PRODUCT_LINE),
    actual_fulfillment_date=nullable(STRING),
    delivery_date=nullable(STRING),
)
ORDER: Schema = obj(
    ["id", "reference_id", "status", "channel", "products", "shipments", "created_date"],
    id=ID,
    created_date=STRING,
    reference_id=STRING,
    order_number=nullable(STRING),
    status={"enum": ["Processing", "Exception", "PartiallyFulfilled", "Fulfilled", "Cancelled", "ImportReview"]},
    type={"enum": ["DTC", "B2B"]},
    channel=obj(["id"], id=ID, name=STRING),
    shipping_method=STRING,
    recipient=obj(["name", "address"], name=STRING, address=obj()),
    products=array(PRODUCT_LINE),
    shipments=array(SHIPMENT),
)
RETURN: Schema = obj(
    ["id", "reference_id", "status", "original_shipment_id", "inventory"],
    id=ID,
    reference_id=STRING,
    status={"enum": ["Awaiting Arrival", "Arrived", "Processing", "Completed", "Cancelled"]},
    channel=obj(["id"], id=ID, name=STRING),
    original_shipment_id=ID,
    fulfillment_center=LOCATION,
    tracking_number=nullable(STRING),
    inventory=array(obj(["id", "quantity"], id=ID, name=STRING, quantity=INTEGER)),
)
CANCELLATION: Schema = obj(
    ["order_id", "status", "order", "canceled_shipment_results"],
    order_id=ID,
    status=STRING,
    order=ORDER,
    canceled_shipment_results=array(obj(["shipment_id", "is_success"], shipment_id=ID, is_success=BOOLEAN)),
)
SUBSCRIPTION: Schema = obj(
    ["id", "topic", "subscription_url"], id=ID, topic={"enum": list(TOPICS)}, subscription_url=STRING, created_at=STRING
)
CHANNEL: Schema = obj(["id", "name", "scopes"], id=ID, name=STRING, application_name=STRING, scopes=array(STRING))
PRODUCT: Schema = obj(["id", "reference_id", "name"], id=ID, reference_id=STRING, sku=STRING, name=STRING)
INVENTORY: Schema = obj(
    ["id", "sku", "total_fulfillable_quantity", "fulfillable_quantity_by_fulfillment_center"],
    id=ID,
    name=STRING,
    sku=STRING,
    is_active=BOOLEAN,
    total_fulfillable_quantity=INTEGER,
    total_onhand_quantity=INTEGER,
    total_committed_quantity=INTEGER,
    fulfillable_quantity_by_fulfillment_center=array(
        obj(
            ["id", "name", "fulfillable_quantity"],
            id=ID,
            name=STRING,
            fulfillable_quantity=INTEGER,
            onhand_quantity=INTEGER,
            committed_quantity=INTEGER,
        )
    ),
)

ORDER_IN: Schema = obj(
    ["reference_id", "recipient", "products", "shipping_method"],
    reference_id={"type": "string", "minLength": 1, "pattern": r"\S"},
    order_number=nullable(STRING),
    type={"enum": ["DTC", "B2B"]},
    shipping_method={"type": "string", "minLength": 1, "examples": sorted(SHIPPING_METHODS)},
    recipient=obj(
        ["name", "address"],
        name={"type": "string", "minLength": 1, "pattern": r"\S"},
        address=obj(
            ["address1", "city", "country"],
            address1={"type": "string", "minLength": 1, "pattern": r"\S"},
            address2=nullable(STRING),
            city={"type": "string", "minLength": 1, "pattern": r"\S"},
            state=nullable(STRING),
            country={"type": "string", "minLength": 1, "pattern": r"\S"},
            zip_code=nullable({"type": "string", "minLength": 1, "pattern": r"\S"}),
        ),
        email=nullable(STRING),
        phone_number=nullable(STRING),
    ),
    products=array(
        obj(
            ["reference_id", "quantity"],
            reference_id=STRING,
            quantity={"type": "integer", "minimum": 1, "maximum": 100000},
        ),
        minItems=1,
    ),
)
ORDER_EXAMPLE = {
    "reference_id": "ERP-SO-REHEARSAL",
    "order_number": "SO-REHEARSAL",
    "type": "DTC",
    "shipping_method": "standard",
    "recipient": {
        "name": "Ada Lovelace",
        "address": {
            "address1": "1 Main St",
            "city": "Springfield",
            "state": "IL",
            "country": "US",
            "zip_code": "62701",
        },
    },
    "products": [{"reference_id": "SKU-00001", "quantity": 1}],
}
"""An order for the first SKU every seeded catalogue has."""
RETURN_IN: Schema = obj(
    ["reference_id", "original_shipment_id", "inventory"],
    reference_id={"type": "string", "minLength": 1},
    original_shipment_id=ID,
    inventory=array(obj(["id", "quantity"], id=ID, quantity={"type": "integer", "minimum": 1}), minItems=1),
)
SUBSCRIPTION_IN: Schema = obj(
    ["topic", "subscription_url"], topic={"enum": list(TOPICS)}, subscription_url={"type": "string", "format": "uri"}
)

PAGED = {
    "Page-Number": header({"type": "string", "pattern": "^[0-9]+$"}, "This page"),
    "Total-Pages": header({"type": "string", "pattern": "^[0-9]+$"}, "How many pages"),
    "Total-Count": header({"type": "string", "pattern": "^[0-9]+$"}, "How many items in all"),
    "Next-Page": header(STRING, "The next page's path, when there is one", required=False),
}
PAGE = [
    parameter("Page", "query", {"type": "integer", "minimum": 1}, "Page number (1)"),
    parameter("Limit", "query", {"type": "integer", "minimum": 1, "maximum": 250}, "Items per page (50)"),
]
FILTERS = [
    parameter("ReferenceIds", "query", STRING, "Comma-separated reference ids"),
    parameter("IDs", "query", STRING, "Comma-separated ids"),
    parameter("Status", "query", STRING, "Only this status"),
]
ORDER_LINKS = {
    "ReadOrder": {"operationId": "read_order", "parameters": {"order_id": "$response.body#/id"}},
    "OrderShipments": {"operationId": "order_shipments", "parameters": {"order_id": "$response.body#/id"}},
    "CancelOrder": {"operationId": "cancel_order", "parameters": {"order_id": "$response.body#/id"}},
}
RETURN_LINKS = {
    "ReadReturn": {"operationId": "read_return", "parameters": {"return_id": "$response.body#/id"}},
    "CancelReturn": {"operationId": "cancel_return", "parameters": {"return_id": "$response.body#/id"}},
}
SUBSCRIPTION_LINKS = {
    "Unsubscribe": {"operationId": "unsubscribe", "parameters": {"subscription_id": "$response.body#/id"}}
}

SHARED: dict[str, Schema] = {
    "Problem": PROBLEM,
    "Order": ORDER,
    "Shipment": SHIPMENT,
    "Return": RETURN,
    "Subscription": SUBSCRIPTION,
}
"""Bodies stated once under components and referred to."""
