"""EasyPost's contract as the mock carrier states it on its routes (see ``mocks.contract``)."""

from __future__ import annotations

from mocks.contract import (
    BOOLEAN,
    NUMBER,
    STRING,
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

TRACKER_STATUSES = [
    "unknown",
    "pre_transit",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "available_for_pickup",
    "return_to_sender",
    "failure",
    "cancelled",
    "error",
]
ERROR: Schema = obj(
    ["error"],
    error=obj(
        ["code", "message", "errors"],
        code=STRING,
        message=STRING,
        errors=array(obj(["field", "message"], field=STRING, message=STRING)),
    ),
)
_ERRORS = {
    400: "The body is not a JSON object",
    401: "No valid API key (APIKEY.REQUIRED)",
    404: "No such object (NOT_FOUND)",
    422: "A parameter is missing or invalid (PARAMETER.REQUIRED, PARAMETER.INVALID, ...)",
    429: "Rate limited",
    500: "Internal error",
    503: "Unavailable",
}


EASYPOST = Vendor(
    security_schemes={
        "apiKey": {
            "type": "http",
            "scheme": "basic",
            "description": "HTTP basic auth with the API key as the user name and no password",
        },
        "bearer": bearer("The API key as a bearer token (SDKs)"),
    },
    security=[{"apiKey": []}, {"bearer": []}],
    error=error_answers(_ERRORS, ERROR, retry_after=(429, 503)),
    any_request=(401, 429, 500, 503),
    servers=[{"url": "https://api.easypost.com", "description": "EasyPost (the mock serves the same paths)"}],
)

ADDRESS_IN: Schema = obj(
    ["street1", "city", "zip"],
    name=STRING,
    street1={"type": "string", "minLength": 1, "pattern": r"\S"},
    street2=STRING,
    city={"type": "string", "minLength": 1, "pattern": r"\S"},
    state=STRING,
    zip={"type": "string", "minLength": 1, "pattern": r"\S"},
    country=STRING,
    phone=STRING,
    email=STRING,
)
SHIPMENT_IN: Schema = obj(
    ["shipment"],
    shipment=obj(
        ["to_address", "from_address", "parcel"],
        to_address=ADDRESS_IN,
        from_address=ADDRESS_IN,
        parcel=obj(
            ["weight"], weight={"type": "number", "exclusiveMinimum": 0}, length=NUMBER, width=NUMBER, height=NUMBER
        ),
        reference=STRING,
    ),
)
SHIPMENT_EXAMPLE = {
    "shipment": {
        "to_address": {
            "name": "Ada Lovelace",
            "street1": "1 Main St",
            "city": "Springfield",
            "state": "IL",
            "zip": "62701",
            "country": "US",
        },
        "from_address": {
            "name": "Rehearsal DC",
            "street1": "9 Dock Rd",
            "city": "Columbus",
            "state": "OH",
            "zip": "43004",
            "country": "US",
        },
        "parcel": {"weight": 12.5},
        "reference": "ERP-SO-REHEARSAL",
    }
}
BUY_IN: Schema = obj(["rate"], rate=obj(["id"], id=STRING))
TRACKER_IN: Schema = obj(
    ["tracker"], tracker=obj(["tracking_code"], tracking_code={"type": "string", "minLength": 1}, carrier=STRING)
)
WEBHOOK_IN: Schema = obj(
    ["webhook"], webhook=obj(["url"], url={"type": "string", "minLength": 1}, webhook_secret=STRING)
)

TRACKER: Schema = obj(
    ["id", "object", "tracking_code", "status", "carrier", "tracking_details", "created_at", "updated_at"],
    id={"type": "string", "pattern": "^trk_"},
    object={"const": "Tracker"},
    mode={"enum": ["test", "production"]},
    tracking_code=STRING,
    status={"enum": TRACKER_STATUSES},
    status_detail=nullable(STRING),
    carrier=STRING,
    est_delivery_date=nullable(STRING),
    shipment_id=nullable(STRING),
    tracking_details=array(
        obj(
            ["status", "message", "datetime"],
            status={"enum": TRACKER_STATUSES},
            message=nullable(STRING),
            datetime=STRING,
        )
    ),
    created_at=STRING,
    updated_at=STRING,
)
RATE: Schema = obj(
    ["id", "object", "service", "carrier", "rate"],
    id={"type": "string", "pattern": "^rate_"},
    object={"const": "Rate"},
    service=STRING,
    carrier=STRING,
    rate=STRING,
)
SHIPMENT: Schema = obj(
    ["id", "object", "to_address", "from_address", "parcel", "rates", "created_at"],
    id={"type": "string", "pattern": "^shp_"},
    object={"const": "Shipment"},
    mode={"enum": ["test", "production"]},
    reference=nullable(STRING),
    status=STRING,
    to_address=obj(["id"], id=STRING),
    from_address=obj(["id"], id=STRING),
    parcel=obj(["id", "weight"], id=STRING, weight=NUMBER),
    rates=array(RATE),
    selected_rate=nullable(RATE),
    postage_label=nullable(obj(["label_url"], label_url=STRING)),
    tracking_code=nullable(STRING),
    tracker=nullable(TRACKER),
    created_at=STRING,
    updated_at=STRING,
)
WEBHOOK: Schema = obj(
    ["id", "object", "url"],
    id={"type": "string", "pattern": "^hook_"},
    object={"const": "Webhook"},
    url=STRING,
    created_at=STRING,
    disabled_at=nullable(STRING),
)
PAGE = [
    parameter("page_size", "query", {"type": "integer", "minimum": 1, "maximum": 100}, "Items per page (20)"),
    parameter("before_id", "query", STRING, "Only items older than this id"),
]
IDEMPOTENCY_KEY = parameter(
    "Idempotency-Key", "header", STRING, "Replays the first answer for 24 hours; another request with it is a 422"
)
REPLAYED = {"Idempotent-Replayed": header({"const": "true"}, "Present when this answer is a replay", required=False)}


def listing(name: str, item: Schema) -> Schema:
    return obj([name, "has_more"], **{name: array(item)}, has_more=BOOLEAN)


SHIPMENT_LINKS = {
    "ReadShipment": {"operationId": "read_shipment", "parameters": {"shipment_id": "$response.body#/id"}},
    "BuyShipment": {
        "operationId": "buy",
        "parameters": {"shipment_id": "$response.body#/id"},
        "requestBody": {"rate": {"id": "$response.body#/rates/0/id"}},
    },
}
TRACKER_LINKS = {"ReadTracker": {"operationId": "read_tracker", "parameters": {"tracker_id": "$response.body#/id"}}}
WEBHOOK_LINKS = {"DeleteWebhook": {"operationId": "delete_webhook", "parameters": {"webhook_id": "$response.body#/id"}}}

SHARED: dict[str, Schema] = {"Error": ERROR, "Shipment": SHIPMENT, "Tracker": TRACKER, "Webhook": WEBHOOK}
"""Bodies stated once under components and referred to."""
