"""Mock carrier: an EasyPost-flavoured shipping API whose parcels travel in simulated time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp

from harness.population import Population
from mocks.base import Mock, MockContext
from mocks.carrier.api import build_app
from mocks.carrier.behaviour import CarrierKnobs, Network, TrackerListener, TransitTime
from mocks.carrier.events import RETRY_SCHEDULE, SYSTEM
from mocks.carrier.state import CARRIER, CarrierState, Tracker

__all__ = ["API_KEY", "CARRIER", "CarrierKnobs", "CarrierMock", "Label", "TransitTime"]

API_KEY = "EZTKrehearse0000000000000000000000000000000"
"""A fixed, documented test-mode key (EasyPost test keys start ``EZTK``): a mock guards nothing."""


class Label:
    """What a shipper keeps of a bought label."""

    __slots__ = ("carrier", "service", "shipment_id", "tracking_code", "tracking_url")

    def __init__(self, shipment_id: str, tracking_code: str, carrier: str, service: str, tracking_url: str) -> None:
        self.shipment_id = shipment_id
        self.tracking_code = tracking_code
        self.carrier = carrier
        self.service = service
        self.tracking_url = tracking_url


class CarrierMock(Mock):
    system = SYSTEM

    def __init__(self, context: MockContext, knobs: CarrierKnobs = CarrierKnobs()) -> None:
        super().__init__(context)
        world = context.world
        self.knobs = knobs
        self.api_key = API_KEY
        self.state = CarrierState(lambda: world.clock.datetime_at(world.env.now), world.rng("carrier.ids"))
        self.network = Network(context, self.state, knobs, SYSTEM)
        context.outbox.open_channel(SYSTEM, RETRY_SCHEDULE)

    def seed(self, population: Population) -> None:
        """Nothing to migrate: a carrier account starts with no shipments. Kept for a uniform stage."""
        del population

    def purchase_label(
        self,
        to_address: Mapping[str, Any],
        from_address: Mapping[str, Any],
        weight_oz: float,
        service: str,
        reference: str,
    ) -> Label:
        """Create a shipment and buy it at the given service's rate, as a shipper's system does.

        Called in-process by the mock WMS (both live in one World): the carrier's state changes
        exactly as through ``POST /v2/shipments`` and ``/buy``, and the purchase is a domain event.
        """
        shipment = self.state.create_shipment(
            {
                "to_address": dict(to_address),
                "from_address": dict(from_address),
                "parcel": {"weight": weight_oz},
                "reference": reference,
            }
        )
        rate = next((r for r in shipment.rates if r["service"] == service), shipment.rates[0])
        shipment, tracker = self.network.buy(shipment, rate["id"])
        assert shipment.tracking_code is not None
        return Label(
            shipment.id,
            shipment.tracking_code,
            tracker.carrier,
            rate["service"],
            tracker.to_json()["public_url"],
        )

    def on_tracker_update(self, listener: TrackerListener) -> None:
        self.network.listeners.append(listener)

    def tracker_for(self, tracking_code: str) -> Tracker | None:
        found = self.state.trackers_by_code.get((tracking_code, CARRIER))
        return self.state.trackers[found] if found else None

    def asgi_app(self) -> ASGIApp:
        return build_app(self.context, self.state, self.network, self.api_key)

    def sut_environment(self, base_url: str) -> dict[str, str]:
        return {
            "REHEARSE_CARRIER_URL": f"{base_url}/v2",
            "REHEARSE_CARRIER_API_KEY": self.api_key,
            "REHEARSE_CARRIER_WEBHOOK_SECRET": self.knobs.webhook_secret,
        }

    def snapshot(self) -> dict[str, Any]:
        return self.state.snapshot()
