"""Merchandisers repricing the catalogue in Salesforce's standard pricebook during the run.

Orders placed after a change carry the new price on their lines; the ERP order must carry the price
the shopper paid (W1), not the one the ERP item was loaded with.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from harness.population import Population
from harness.workload.receipts import pick_product, poisson_times
from harness.world import World
from mocks.salesforce import SalesforceMock
from scenarios import PriceWorkload


class PriceChanges:
    def __init__(
        self, world: World, salesforce: SalesforceMock, population: Population, spec: PriceWorkload, duration: float
    ) -> None:
        self.world = world
        self.salesforce = salesforce
        self.population = population
        self.spec = spec
        self._rng = world.rng("workload.prices")
        self.arrivals = poisson_times(spec.per_hour, 0.0, duration, self._rng)

    def run(self) -> Generator[simpy.Event, Any, None]:
        env = self.world.env
        for at in self.arrivals:
            yield env.timeout(max(at - env.now, 0))
            product = pick_product(self.population, self.spec.hot_share, self._rng)
            _, price = self.salesforce.price_entries[product.sku]
            new_price = max(round(price * (1 + self._rng.uniform(*self.spec.change)), 2), 0.01)
            self.salesforce.change_price(product.sku, new_price)
