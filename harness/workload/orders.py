"""Shoppers placing orders through the storefront (Salesforce Commerce)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from harness.population import Population
from harness.world import World
from mocks.salesforce import SalesforceMock
from scenarios import OrderWorkload


class OrderArrivals:
    """Places ``count`` orders at uniformly random instants of the trading day.

    Given their number, Poisson arrivals are uniformly spread: this keeps the count exact, which
    CI runs and the smoke scenario want, without giving up the Poisson process's burstiness.
    """

    def __init__(
        self,
        world: World,
        salesforce: SalesforceMock,
        population: Population,
        spec: OrderWorkload,
        duration: float,
    ) -> None:
        self.world = world
        self.salesforce = salesforce
        self.population = population
        self.spec = spec
        self.duration = duration
        self.placed = 0
        rng = world.rng("workload.orders")
        self.arrivals = sorted(rng.uniform(0, duration) for _ in range(spec.count))
        self._rng = rng

    def run(self) -> Generator[simpy.Event, Any, None]:
        env = self.world.env
        for at in self.arrivals:
            yield env.timeout(max(at - env.now, 0))
            customer = self._rng.choice(self.population.customers)
            products = self._rng.sample(self.population.products, self._rng.randint(*self.spec.lines))
            cart = [self.salesforce.cart_line(p.sku, self._rng.randint(*self.spec.quantity)) for p in products]
            account = self.salesforce.account_ids[customer.number]
            self.world.process(self.salesforce.commerce.checkout(account, self.salesforce.pricebook_id, cart))
            self.placed += 1
