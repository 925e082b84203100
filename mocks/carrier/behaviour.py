"""The carrier's network over simulated time: a parcel's journey from label to doorstep (or back).

Each purchased label starts a journey drawn from the service level's transit-time distribution:
picked up at the dock, scanned through the network, perhaps held by weather, out for delivery in
the morning, perhaps missed (then held for pickup) or refused (then returned to sender). Every
scan is a tracking detail and a ``tracker.updated`` webhook; listeners in the same world (the WMS)
hear of it too, as a 3PL hears of deliveries from its carriers.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import simpy

from mocks.base import MockContext
from mocks.carrier.events import tracker_event
from mocks.carrier.state import CarrierState, Shipment, Tracker, iso

DAY = 86400.0
HOUR = 3600.0
DELIVERY_START_HOUR = 9
"""Carriers load their delivery vans in the morning; nothing goes out for delivery at night."""

DEFAULT_WEBHOOK_SECRET = "rehearse-carrier-webhook-secret"


@dataclass(frozen=True, slots=True)
class TransitTime:
    """Days from pickup to the destination's delivery unit: a triangular distribution."""

    low: float
    mode: float
    high: float


@dataclass(frozen=True)
class CarrierKnobs:
    """What a scenario may turn: how long parcels travel and how often they go wrong."""

    transit_days: Mapping[str, TransitTime] = field(
        default_factory=lambda: {
            "GroundAdvantage": TransitTime(2, 3, 5),
            "Priority": TransitTime(1, 2, 3),
            "Express": TransitTime(0.5, 1, 2),
        }
    )
    pickup_delay_hours: tuple[float, float] = (1.0, 6.0)
    weather_delay_rate: float = 0.03
    weather_delay_hours: tuple[float, float] = (12.0, 36.0)
    round_start_hours: tuple[float, float] = (0.0, 2.0)
    """When, after the delivery window opens (or after the parcel reaches the post office within it),
    the parcel goes out on a round."""
    out_for_delivery_hours: tuple[float, float] = (1.0, 8.0)
    """How long a parcel is out on the delivery round before it is delivered (or the attempt fails)."""
    failed_attempt_rate: float = 0.04
    return_to_sender_rate: float = 0.01
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET
    """Signs webhooks until the SUT registers its own through ``POST /v2/webhooks``."""


TrackerListener = Callable[[Tracker, str], None]
"""Called with the tracker after each scan and the status it had before."""


class Network:
    def __init__(self, context: MockContext, state: CarrierState, knobs: CarrierKnobs, system: str) -> None:
        self.context = context
        self.world = context.world
        self.state = state
        self.knobs = knobs
        self.system = system
        self.rng = self.world.rng("carrier.transit")
        self.listeners: list[TrackerListener] = []

    def webhook_secret(self) -> str | None:
        """The newest registered webhook's secret (None: unsigned, as EasyPost sends without one)."""
        hooks = list(self.state.webhooks.values())
        return hooks[-1].secret if hooks else self.knobs.webhook_secret

    def buy(self, shipment: Shipment, rate_id: Any) -> tuple[Shipment, Tracker]:
        shipment, tracker = self.state.buy(shipment, rate_id)
        self.context.record(
            self.system,
            "label.purchased",
            tracker.tracking_code,
            {"shipment": shipment.id, "service": tracker.service, "reference": shipment.reference},
        )
        self.label_purchased(tracker, shipment.to_address)
        return shipment, tracker

    def tracker_created(self, tracker: Tracker) -> None:
        self.context.record(self.system, "tracker.created", tracker.tracking_code, {"tracker": tracker.id})
        self.context.outbox.publish(tracker_event(self.state, tracker, "tracker.created", {}, self.webhook_secret()))

    def label_purchased(self, tracker: Tracker, destination: Mapping[str, Any]) -> None:
        """The label exists: the tracker is pre-transit and the parcel waits at the shipper's dock."""
        service = tracker.service or "GroundAdvantage"
        transit = self.knobs.transit_days.get(service) or next(iter(self.knobs.transit_days.values()))
        days = self.rng.triangular(transit.low, transit.high, transit.mode)
        pickup = self.rng.uniform(*self.knobs.pickup_delay_hours) * HOUR
        now = self.world.env.now
        tracker.est_delivery_date = iso(self.world.clock.datetime_at(now + pickup + days * DAY))
        self.state.advance(tracker, "pre_transit", "label_created", "Shipping Label Created, USPS Awaiting Item", None)
        self.tracker_created(tracker)
        self.world.process(self.journey(tracker, pickup, days * DAY, _location(destination)))

    def journey(
        self, tracker: Tracker, pickup: float, transit: float, destination: dict[str, Any]
    ) -> Generator[simpy.Event, Any, None]:
        env = self.world.env
        knobs = self.knobs
        refused = self.rng.random() < knobs.return_to_sender_rate
        weather = self.rng.random() < knobs.weather_delay_rate
        yield env.timeout(pickup)
        self.scan(tracker, "in_transit", "received_at_origin_facility", "Accepted at USPS Origin Facility", None)
        yield env.timeout(transit / 2)
        self.scan(tracker, "in_transit", "arrived_at_facility", "Arrived at USPS Regional Facility", None)
        if weather:
            self.scan(tracker, "in_transit", "weather_delay", "Delayed due to weather conditions", None)
            yield env.timeout(self.rng.uniform(*knobs.weather_delay_hours) * HOUR)
        yield env.timeout(transit / 2)
        self.scan(tracker, "in_transit", "arrived_at_destination", "Arrived at Post Office", destination)
        attempts = 0
        while True:
            yield env.timeout(self.until_morning())
            self.scan(tracker, "out_for_delivery", "out_for_delivery", "Out for Delivery", destination)
            yield env.timeout(self.rng.uniform(*knobs.out_for_delivery_hours) * HOUR)
            if refused:
                self.scan(tracker, "return_to_sender", "return", "Refused by Addressee, Return to Sender", destination)
                return
            if self.rng.random() >= knobs.failed_attempt_rate:
                self.scan(tracker, "delivered", "arrived_at_destination", "Delivered, Front Door/Porch", destination)
                return
            attempts += 1
            if attempts >= 2:
                self.scan(
                    tracker, "available_for_pickup", "arrived_at_pickup_location", "Available for Pickup", destination
                )
                yield env.timeout(self.rng.uniform(1, 3) * DAY)
                self.scan(
                    tracker, "delivered", "arrived_at_destination", "Delivered, Individual Picked Up", destination
                )
                return
            self.scan(
                tracker,
                "in_transit",
                "delivery_exception",
                "Delivery Attempted - No Access to Delivery Location",
                destination,
            )

    def scan(self, tracker: Tracker, status: str, detail: str, message: str, where: dict[str, Any] | None) -> None:
        previous = self.state.advance(tracker, status, detail, message, where)
        self.context.record(
            self.system, "tracker.scanned", tracker.tracking_code, {"status": status, "status_detail": detail}
        )
        changed = {"status": previous} if previous != status else {}
        self.context.outbox.publish(
            tracker_event(self.state, tracker, "tracker.updated", changed, self.webhook_secret())
        )
        for listener in self.listeners:
            listener(tracker, previous)

    def until_morning(self) -> float:
        """Seconds until the next delivery window opens (the next day's morning, or now if it is open)."""
        moment = self.world.clock.datetime_at(self.world.env.now)
        start = moment.replace(hour=DELIVERY_START_HOUR, minute=0, second=0, microsecond=0)
        if moment.hour >= DELIVERY_START_HOUR + 3:
            start += timedelta(days=1)
        return max((start - moment).total_seconds(), 0.0) + self.rng.uniform(*self.knobs.round_start_hours) * HOUR


def _location(address: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "city": address.get("city"),
        "state": address.get("state"),
        "country": address.get("country"),
        "zip": address.get("zip"),
    }
