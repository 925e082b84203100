"""Shoppers placing orders through the storefront (Salesforce Commerce)."""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import Any

import simpy

from harness.population import Population, Product
from harness.world import World
from mocks.salesforce import SalesforceMock
from scenarios import OrderWorkload


def arrival_times(spec: OrderWorkload, duration: float, rng: random.Random) -> list[float]:
    """When shoppers check out, in simulated seconds.

    With a ``count``, that many instants uniformly at random: given their number, Poisson arrivals
    are uniformly spread, so the count is exact (as CI runs want) and the burstiness kept. With a
    rate profile, a non-homogeneous Poisson process by thinning: candidates at the peak rate, each
    kept with probability rate(t) / peak.
    """
    if spec.count is not None:
        return sorted(rng.uniform(0, duration) for _ in range(spec.count))
    assert spec.rate is not None
    peak = spec.rate.peak_per_second
    times, t = [], 0.0
    while peak > 0:
        t += rng.expovariate(peak)
        if t >= duration:
            break
        if rng.random() * peak < spec.rate.per_second(t):
            times.append(t)
    return times


class OrderArrivals:
    """Shoppers checking out through the storefront, at the scenario's arrival times."""

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
        self.arrivals = arrival_times(spec, duration, rng)
        self._rng = rng
        self._hot = [p for p in population.products if p.hot]

    def run(self) -> Generator[simpy.Event, Any, None]:
        env = self.world.env
        for at in self.arrivals:
            yield env.timeout(max(at - env.now, 0))
            customer = self._rng.choice(self.population.customers)
            products = self._basket(self._rng.randint(*self.spec.lines))
            cart = [self.salesforce.cart_line(p.sku, self._rng.randint(*self.spec.quantity)) for p in products]
            account = self.salesforce.account_ids[customer.number]
            self.world.process(self.salesforce.commerce.checkout(account, self.salesforce.pricebook_id, cart))
            self.placed += 1

    def _basket(self, lines: int) -> list[Product]:
        """Distinct products; each line is a hot SKU with probability ``hot_share``."""
        chosen: list[Product] = []
        while len(chosen) < lines:
            pool = self._hot if self._hot and self._rng.random() < self.spec.hot_share else self.population.products
            candidates = [p for p in pool if p not in chosen] or [
                p for p in self.population.products if p not in chosen
            ]
            chosen.append(self._rng.choice(candidates))
        return chosen
