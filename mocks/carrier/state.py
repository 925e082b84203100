"""The carrier's books, EasyPost-shaped: addresses, parcels, shipments with rates, labels, trackers.

Objects are kept as the vendor returns them (ids with type prefixes, ISO timestamps, money as
strings) so the API layer only wraps them. A tracker moves only along the vendor's status machine
(:data:`NEXT_STATUSES`); anything else is a bug in the behaviour, not a fault to simulate.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mocks.carrier.errors import EasyPostError, invalid, not_found, required

CARRIER = "USPS"

SERVICES: dict[str, tuple[float, float, int]] = {
    "GroundAdvantage": (4.75, 0.09, 5),
    "Priority": (8.10, 0.14, 3),
    "Express": (26.35, 0.30, 2),
}
"""Service level -> (base price, price per ounce, advertised delivery days)."""

NEXT_STATUSES: dict[str, frozenset[str]] = {
    "unknown": frozenset({"pre_transit", "in_transit", "cancelled", "error"}),
    "pre_transit": frozenset({"pre_transit", "in_transit", "cancelled", "error"}),
    "in_transit": frozenset(
        {"in_transit", "out_for_delivery", "available_for_pickup", "return_to_sender", "delivered", "failure"}
    ),
    "out_for_delivery": frozenset({"in_transit", "available_for_pickup", "return_to_sender", "delivered", "failure"}),
    "available_for_pickup": frozenset({"available_for_pickup", "delivered", "return_to_sender"}),
    "delivered": frozenset(),
    "return_to_sender": frozenset(),
    "failure": frozenset(),
    "cancelled": frozenset(),
    "error": frozenset(),
}
"""Which status may follow which, as a tracker reports them in order (before any webhook reordering)."""

IDEMPOTENCY_TTL = 24 * 3600.0


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class Tracker:
    id: str
    tracking_code: str
    carrier: str
    created_at: str
    updated_at: str
    shipment_id: str | None = None
    service: str | None = None
    status: str = "unknown"
    status_detail: str = "unknown"
    est_delivery_date: str | None = None
    signed_by: str | None = None
    weight: float | None = None
    tracking_details: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "Tracker",
            "mode": "test",
            "tracking_code": self.tracking_code,
            "status": self.status,
            "status_detail": self.status_detail,
            "signed_by": self.signed_by,
            "weight": self.weight,
            "est_delivery_date": self.est_delivery_date,
            "shipment_id": self.shipment_id,
            "carrier": self.carrier,
            "tracking_details": list(self.tracking_details),
            "carrier_detail": {"object": "CarrierDetail", "service": self.service},
            "public_url": f"https://track.easypost.com/{self.id}",
            "fees": [],
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(slots=True)
class Shipment:
    id: str
    created_at: str
    to_address: dict[str, Any]
    from_address: dict[str, Any]
    parcel: dict[str, Any]
    rates: list[dict[str, Any]]
    reference: str | None = None
    updated_at: str = ""
    selected_rate: dict[str, Any] | None = None
    tracking_code: str | None = None
    postage_label: dict[str, Any] | None = None
    tracker_id: str | None = None

    def to_json(self, tracker: Tracker | None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "Shipment",
            "mode": "test",
            "reference": self.reference,
            "status": tracker.status if tracker else "unknown",
            "to_address": self.to_address,
            "from_address": self.from_address,
            "return_address": self.from_address,
            "buyer_address": self.to_address,
            "parcel": self.parcel,
            "rates": self.rates,
            "selected_rate": self.selected_rate,
            "postage_label": self.postage_label,
            "tracking_code": self.tracking_code,
            "tracker": tracker.to_json() if tracker else None,
            "messages": [],
            "fees": [],
            "created_at": self.created_at,
            "updated_at": self.updated_at or self.created_at,
        }


@dataclass(slots=True)
class Webhook:
    id: str
    url: str
    secret: str | None
    created_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "Webhook",
            "mode": "test",
            "url": self.url,
            "created_at": self.created_at,
            "disabled_at": None,
        }


@dataclass(frozen=True, slots=True)
class StoredReply:
    fingerprint: str
    status: int
    body: bytes
    stored_at: float


class CarrierState:
    def __init__(self, stamp: Callable[[], datetime], rng: random.Random) -> None:
        self._stamp = stamp
        self._rng = rng
        self._labels = 0
        self.addresses: dict[str, dict[str, Any]] = {}
        self.shipments: dict[str, Shipment] = {}
        self.trackers: dict[str, Tracker] = {}
        self.trackers_by_code: dict[tuple[str, str], str] = {}
        self.webhooks: dict[str, Webhook] = {}
        self.replies: dict[str, StoredReply] = {}

    def mint(self, prefix: str) -> str:
        return f"{prefix}_{self._rng.getrandbits(128):032x}"

    def now(self) -> str:
        return iso(self._stamp())

    # -- addresses and parcels ----------------------------------------------------------------------

    def create_address(self, raw: Any, path: str) -> dict[str, Any]:
        if isinstance(raw, dict) and set(raw) == {"id"}:
            found = self.addresses.get(str(raw["id"]))
            if found is None:
                raise not_found("Address")
            return found
        if not isinstance(raw, dict):
            raise required(path)
        for name in ("street1", "city", "zip"):
            value = raw.get(name)
            if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
                raise required(f"{path}.{name}")
        address_id = self.mint("adr")
        address: dict[str, Any] = {
            "id": address_id,
            "object": "Address",
            "mode": "test",
            "name": _text(raw.get("name")),
            "company": _text(raw.get("company")),
            "street1": str(raw["street1"]),
            "street2": _text(raw.get("street2")),
            "city": str(raw["city"]),
            "state": _text(raw.get("state")),
            "zip": str(raw["zip"]),
            "country": _text(raw.get("country")) or "US",
            "phone": _text(raw.get("phone")),
            "email": _text(raw.get("email")),
            "residential": None,
            "created_at": self.now(),
            "updated_at": self.now(),
        }
        self.addresses[address_id] = address
        return address

    def create_parcel(self, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise required("shipment.parcel")
        weight = raw.get("weight")
        if isinstance(weight, str):
            try:
                weight = float(weight)
            except ValueError:
                weight = None
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight < 2400:
            raise invalid("shipment.parcel.weight", "must be a number of ounces greater than 0")
        dims = {k: raw.get(k) for k in ("length", "width", "height")}
        return {
            "id": self.mint("prcl"),
            "object": "Parcel",
            "mode": "test",
            "weight": float(weight),
            **{
                k: float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None for k, v in dims.items()
            },
            "predefined_package": _text(raw.get("predefined_package")),
            "created_at": self.now(),
            "updated_at": self.now(),
        }

    # -- shipments and labels ----------------------------------------------------------------------

    def create_shipment(self, raw: Any) -> Shipment:
        if not isinstance(raw, dict):
            raise required("shipment")
        to_address = self.create_address(raw.get("to_address"), "shipment.to_address")
        from_address = self.create_address(raw.get("from_address"), "shipment.from_address")
        parcel = self.create_parcel(raw.get("parcel"))
        shipment_id = self.mint("shp")
        created = self.now()
        rates = [
            {
                "id": self.mint("rate"),
                "object": "Rate",
                "mode": "test",
                "shipment_id": shipment_id,
                "carrier": CARRIER,
                "carrier_account_id": "ca_rehearse",
                "service": service,
                "rate": f"{base + per_oz * parcel['weight']:.2f}",
                "currency": "USD",
                "list_rate": f"{(base + per_oz * parcel['weight']) * 1.15:.2f}",
                "list_currency": "USD",
                "delivery_days": days,
                "est_delivery_days": days,
                "delivery_date_guaranteed": False,
                "created_at": created,
                "updated_at": created,
            }
            for service, (base, per_oz, days) in SERVICES.items()
        ]
        shipment = Shipment(shipment_id, created, to_address, from_address, parcel, rates, _text(raw.get("reference")))
        self.shipments[shipment_id] = shipment
        return shipment

    def shipment(self, shipment_id: str) -> Shipment:
        found = self.shipments.get(shipment_id)
        if found is None:
            raise not_found("Shipment")
        return found

    def buy(self, shipment: Shipment, rate_id: Any) -> tuple[Shipment, Tracker]:
        """Purchase postage at one of the shipment's rates: a tracking code, a label and a tracker."""
        if shipment.postage_label is not None:
            raise EasyPostError(422, "SHIPMENT.POSTAGE.EXISTS", "Postage already exists for this shipment.")
        rate = next((r for r in shipment.rates if r["id"] == rate_id), None)
        if rate is None:
            raise invalid("rate.id", "must be the id of one of this shipment's rates")
        self._labels += 1
        code = f"9400{self._labels:018d}"
        now = self.now()
        shipment.selected_rate = rate
        shipment.tracking_code = code
        shipment.updated_at = now
        shipment.postage_label = {
            "id": self.mint("pl"),
            "object": "PostageLabel",
            "label_date": now,
            "label_file_type": "image/png",
            "label_size": "4x6",
            "label_resolution": 300,
            "label_url": f"https://easypost-files.s3.amazonaws.com/files/postage_label/{shipment.id}.png",
            "created_at": now,
            "updated_at": now,
        }
        tracker, _ = self.track(code, CARRIER)
        tracker.shipment_id = shipment.id
        tracker.service = rate["service"]
        tracker.weight = shipment.parcel["weight"]
        shipment.tracker_id = tracker.id
        return shipment, tracker

    # -- trackers ----------------------------------------------------------------------------------

    def track(self, tracking_code: str, carrier: str) -> tuple[Tracker, bool]:
        """The tracker for a code and carrier, made on first request; True when it was made now.

        EasyPost answers a second create for the same code and carrier with the tracker it already
        has rather than a duplicate, so integrations that retry a create stay consistent."""
        key = (tracking_code, carrier.upper())
        existing = self.trackers_by_code.get(key)
        if existing is not None:
            return self.trackers[existing], False
        now = self.now()
        tracker = Tracker(self.mint("trk"), tracking_code, carrier.upper(), now, now)
        self.trackers[tracker.id] = tracker
        self.trackers_by_code[key] = tracker.id
        return tracker, True

    def tracker(self, tracker_id: str) -> Tracker:
        found = self.trackers.get(tracker_id)
        if found is None:
            raise not_found("Tracker")
        return found

    def advance(self, tracker: Tracker, status: str, detail: str, message: str, location: dict[str, Any] | None) -> str:
        """Append a tracking detail; returns the previous status. Refuses a move the vendor never makes."""
        previous = tracker.status
        if status not in NEXT_STATUSES[previous]:
            raise ValueError(f"tracker {tracker.id}: {previous} -> {status} is not a carrier transition")
        now = self.now()
        tracker.tracking_details.append(
            {
                "object": "TrackingDetail",
                "message": message,
                "description": message,
                "status": status,
                "status_detail": detail,
                "datetime": now,
                "source": CARRIER,
                "carrier_code": None,
                "tracking_location": {
                    "object": "TrackingLocation",
                    "city": None,
                    "state": None,
                    "country": None,
                    "zip": None,
                    **(location or {}),
                },
            }
        )
        tracker.status = status
        tracker.status_detail = detail
        tracker.updated_at = now
        return previous

    # -- webhooks and idempotency -----------------------------------------------------------------

    def add_webhook(self, url: str, secret: str | None) -> Webhook:
        hook = Webhook(self.mint("hook"), url, secret, self.now())
        self.webhooks[hook.id] = hook
        return hook

    def replay(self, key: str, fingerprint: str, now: float) -> StoredReply | None:
        stored = self.replies.get(key)
        if stored is None or now - stored.stored_at > IDEMPOTENCY_TTL:
            return None
        if stored.fingerprint != fingerprint:
            raise EasyPostError(
                422,
                "IDEMPOTENCY_KEY.REUSED",
                "This Idempotency-Key was already used with a different request.",
                [{"field": "Idempotency-Key", "message": "must not be reused for a different request"}],
            )
        return stored

    def snapshot(self) -> dict[str, Any]:
        return {
            "shipments": [
                {
                    "id": s.id,
                    "reference": s.reference,
                    "tracking_code": s.tracking_code,
                    "service": s.selected_rate["service"] if s.selected_rate else None,
                }
                for s in self.shipments.values()
            ],
            "trackers": [
                {
                    "id": t.id,
                    "tracking_code": t.tracking_code,
                    "status": t.status,
                    "statuses": [d["status"] for d in t.tracking_details],
                }
                for t in self.trackers.values()
            ],
        }


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(json.dumps([method, path, body.decode("utf-8", "replace")]).encode()).hexdigest()


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list | bool):
        return None
    return str(value)
