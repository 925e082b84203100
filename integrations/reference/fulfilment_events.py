"""The fulfilment workflows' incoming events (ERP, WMS, carrier): their contracts and what W3-W5 read.

Every body is validated against its JSON Schema in ``contracts/events`` (read from the repository,
so a receiver cannot drift from the contract the checker holds it to) before anything is stored;
the carrier's events must also carry EasyPost's HMAC signature made with the shared secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from contracts import EVENTS
from integrations.reference.change_events import InvalidEvent, valid_message

SIGNATURE_HEADER = "X-Hmac-Signature"
SIGNATURE_PREFIX = "hmac-sha256-hex="
WMS_TOPIC_HEADER = "shipbob-topic"

ERP_TOPICS_ACTED_ON = frozenset({"order.booked"})
WMS_TOPICS_ACTED_ON = frozenset({"order_shipped", "return.completed"})
CARRIER_TOPICS_ACTED_ON = frozenset({"tracker.created", "tracker.updated"})


def _schemas() -> dict[str, Any]:
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in sorted(EVENTS.glob("*.schema.json"))}


_SCHEMAS = _schemas()
_REGISTRY: Registry = Registry().with_resources(
    [(schema["$id"], Resource.from_contents(schema)) for schema in _SCHEMAS.values()]
    + [(name, Resource.from_contents(schema)) for name, schema in _SCHEMAS.items()]
)


def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(_SCHEMAS[name], registry=_REGISTRY)


_ERP = _validator("erp-event.schema.json")
_CARRIER = _validator("carrier-tracker-event.schema.json")
_WMS = {
    "order_shipped": _validator("wms-order-shipped.schema.json"),
    "shipment_delivered": _validator("wms-shipment-event.schema.json"),
    "shipment_exception": _validator("wms-shipment-event.schema.json"),
    "shipment_onhold": _validator("wms-shipment-event.schema.json"),
    "shipment_cancelled": _validator("wms-shipment-event.schema.json"),
    "return.completed": _validator("wms-return-completed.schema.json"),
}


class BadSignature(ValueError):
    """The carrier event's signature is missing or was not made with the shared secret."""


def _valid(body: bytes, validator: Draft202012Validator) -> dict[str, Any]:
    return valid_message(body, lambda _: validator)


def _at(*path: str) -> dict[str, tuple[str, ...]]:
    """An event field's metadata: the field is the text at ``path`` (keys from the root) of the message."""
    return {"path": path}


Event = TypeVar("Event", "ErpEvent", "TrackerEvent")


def _read(kind: type[Event], message: dict[str, Any]) -> Event:
    """The event of ``kind`` in a message already validated against its schema, each field from where it says."""
    values: dict[str, str] = {}
    for declared in fields(kind):
        value: Any = message
        for key in declared.metadata["path"]:
            value = value[key]
        values[declared.name] = str(value)
    return kind(**values)


def _parse(kind: type[Event], validator: Draft202012Validator, body: bytes) -> tuple[Event, dict[str, Any]]:
    """The event and its message, or ``InvalidEvent`` for anything the contract does not allow."""
    message = _valid(body, validator)
    return _read(kind, message), message


# -- ERP ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErpEvent:
    event_id: str = field(metadata=_at("eventId"))
    event_type: str = field(metadata=_at("eventType"))
    record_type: str = field(metadata=_at("record", "recordType"))
    record_id: str = field(metadata=_at("record", "id"))
    tran_id: str = field(metadata=_at("record", "tranId"))
    account: str = field(metadata=_at("account"))
    """The ERP account that sent it (``erp``; across a cutover also ``erp-next``)."""

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> ErpEvent:
        return _read(cls, message)


def parse_erp_event(body: bytes) -> tuple[ErpEvent, dict[str, Any]]:
    return _parse(ErpEvent, _ERP, body)


# -- WMS ---------------------------------------------------------------------------------------------


def parse_wms_event(topic: str | None, body: bytes) -> dict[str, Any]:
    """The resource a ShipBob webhook carries, validated against its topic's schema."""
    if topic is None:
        raise InvalidEvent(f"no {WMS_TOPIC_HEADER} header")
    validator = _WMS.get(topic)
    if validator is None:
        raise InvalidEvent(f"unknown {WMS_TOPIC_HEADER} {topic[:100]!r} (known: {', '.join(sorted(_WMS))})")
    return _valid(body, validator)


def wms_event_key(topic: str, body: bytes) -> str:
    """ShipBob's 1.0 webhooks carry no event id: a redelivery is the same bytes, so the digest of
    topic and body identifies it, while each shipment of a split order (a different snapshot of
    the order) is an event of its own."""
    return f"wms/{topic}/{hashlib.sha256(body).hexdigest()}"


# -- carrier -----------------------------------------------------------------------------------------


def carrier_signature(body: bytes, secret: str) -> str:
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify_carrier_signature(body: bytes, header: str | None, secret: str) -> None:
    """EasyPost's ``X-Hmac-Signature: hmac-sha256-hex=<hex>`` over the raw body, compared in constant time."""
    if not header:
        raise BadSignature(f"no {SIGNATURE_HEADER} header")
    if not hmac.compare_digest(header.strip().lower().encode(), carrier_signature(body, secret).encode()):
        raise BadSignature(f"{SIGNATURE_HEADER} does not match the body")


@dataclass(frozen=True)
class TrackerEvent:
    event_id: str = field(metadata=_at("id"))
    description: str = field(metadata=_at("description"))
    tracking_code: str = field(metadata=_at("result", "tracking_code"))
    status: str = field(metadata=_at("result", "status"))

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> TrackerEvent:
        return _read(cls, message)


def parse_carrier_event(body: bytes) -> tuple[TrackerEvent, dict[str, Any]]:
    return _parse(TrackerEvent, _CARRIER, body)
