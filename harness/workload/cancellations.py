"""Customers changing their mind after paying: a request to cancel an activated order, made in the storefront.

Whether an order's customer asks, and how long after the activation, are drawn from a stream of the
order's own, so the same order is cancelled at the same moment in every run of a seed, whatever else
happened in between. Some requests land before the warehouse picks the order and some after: the
race the integration must settle (cancel downstream, or refuse because the goods are on their way).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from harness.world import World
from mocks.salesforce import SalesforceMock
from scenarios import CancellationWorkload


class CancellationRequests:
    def __init__(self, world: World, salesforce: SalesforceMock, spec: CancellationWorkload, duration: float) -> None:
        self.world = world
        self.salesforce = salesforce
        self.spec = spec
        self.duration = duration
        self.requested = 0
        self.schedule: list[tuple[float, str]] = []
        """``(simulated time, Salesforce order id)`` of each request made."""
        self._activated: simpy.Store = simpy.Store(world.env)
        salesforce.commerce.activation_listeners.append(self._activated.put)

    def run(self) -> Generator[simpy.Event, Any, None]:
        while True:
            order_id = yield self._activated.get()
            self._decide(str(order_id))

    def _decide(self, order_id: str) -> None:
        rng = self.world.rng(f"workload.cancellations.{order_id}")
        if rng.random() >= self.spec.share:
            return
        delay = self.spec.delay.sample(rng)

        def story() -> Generator[simpy.Event, Any, None]:
            yield self.world.env.timeout(delay)
            if self.world.env.now < self.duration and self.salesforce.commerce.request_cancellation(order_id):
                self.requested += 1
                self.schedule.append((self.world.env.now, order_id))

        self.world.process(story())
