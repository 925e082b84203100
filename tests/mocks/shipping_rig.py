"""Test rigs for the WMS and carrier mocks: an outbox that keeps what it published, and a mock
served on a real loopback port for clients that speak blocking HTTP (official SDKs).

The served mock and its World live on an event loop in a helper thread, as in a run; the test
thread talks to it over TCP and asks that loop to advance simulated time when it needs to.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
from starlette.types import ASGIApp

from harness.clock import Clock
from harness.hosting import MockServer
from harness.outbox import Message, Outbox
from harness.population import Population
from harness.recorder import Recorder
from harness.world import World
from mocks.base import MockContext
from mocks.carrier import CarrierKnobs, CarrierMock
from mocks.wms import WmsKnobs, WmsMock

T = TypeVar("T")
DEADLINE = 30.0


class CapturingOutbox(Outbox):
    """An outbox with no receiver that keeps every message, so tests can read bodies and headers."""

    def __init__(self, world: World, recorder: Recorder, client: httpx.AsyncClient) -> None:
        super().__init__(world, recorder, client)
        self.sent: list[Message] = []

    def publish(self, message: Message) -> None:
        super().publish(message)
        self.sent.append(message)

    def bodies(self, topic: str) -> list[dict[str, Any]]:
        return [json.loads(m.body) for m in self.sent if m.topic == topic]


def capturing_context(recorder: Recorder, client: httpx.AsyncClient, seed: int) -> MockContext:
    world = World(Clock(None), seed)
    return MockContext(world, CapturingOutbox(world, recorder, client), recorder)


def outbox_of(context: MockContext) -> CapturingOutbox:
    assert isinstance(context.outbox, CapturingOutbox)
    return context.outbox


class LoopbackRig:
    def __init__(self, system: str, app: ASGIApp, world: World) -> None:
        self.world = world
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=f"rig-{system}", daemon=True)
        self.server = MockServer(system, app)

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=DEADLINE)

    def start(self) -> str:
        self.thread.start()
        self.call(self.server.start())
        return self.server.base_url

    def advance(self, seconds: float) -> None:
        """Run the World forward (virtual time) on the server's loop."""
        self.call(self.world.run_until(self.world.env.now + seconds))

    def stop(self) -> None:
        self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=DEADLINE)
        self.loop.close()


def shipping_pair(
    recorder: Recorder,
    client: httpx.AsyncClient,
    population: Population,
    *,
    seed: int = 11,
    wms: WmsKnobs = WmsKnobs(),
    carrier: CarrierKnobs = CarrierKnobs(),
) -> tuple[WmsMock, CarrierMock]:
    """A WMS and its carrier in one virtual-time World, wired and seeded as the stage wires them."""
    context = capturing_context(recorder, client, seed)
    carrier_mock = CarrierMock(context, carrier)
    wms_mock = WmsMock(context, carrier_mock, wms)
    carrier_mock.seed(population)
    wms_mock.seed(population)
    return wms_mock, carrier_mock


def run_for(world: World, seconds: float) -> None:
    asyncio.run(world.run_until(world.env.now + seconds))
