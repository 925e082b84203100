"""Purchase receipts: inbound stock put away at a warehouse and received against its purchase order.

The 3PL puts the units away (the WMS's on hand rises and its backorders fill) and the ERP receives
them at the same location (on hand rises and its backordered lines commit) at the same simulated
instant, as a receiving order closed on both sides would. What the integration must notice is the
ERP's new availability, which no webhook announces (W2).
"""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import Any

import simpy

from harness.population import Population, Product
from harness.world import World
from mocks.erp import ErpMock
from mocks.wms import WmsMock
from scenarios import ReceiptWorkload


def poisson_times(per_hour: float, start: float, end: float, rng: random.Random) -> list[float]:
    """Instants of a homogeneous Poisson process with ``per_hour`` events per simulated hour."""
    times: list[float] = []
    t = start
    while True:
        t += rng.expovariate(per_hour / 3600)
        if t >= end:
            return times
        times.append(t)


def pick_product(population: Population, hot_share: float, rng: random.Random) -> Product:
    """A hot product with probability ``hot_share`` (when there are any), else any product."""
    hot = [p for p in population.products if p.hot]
    pool = hot if hot and rng.random() < hot_share else population.products
    return rng.choice(pool)


class StockReceipts:
    def __init__(
        self, world: World, erp: ErpMock, wms: WmsMock, population: Population, spec: ReceiptWorkload, duration: float
    ) -> None:
        self.world = world
        self.erp = erp
        self.wms = wms
        self.population = population
        self.spec = spec
        self._rng = world.rng("workload.receipts")
        self.arrivals = poisson_times(spec.per_hour, spec.start, duration, self._rng)
        self.received = 0

    def run(self) -> Generator[simpy.Event, Any, None]:
        env = self.world.env
        for at in self.arrivals:
            yield env.timeout(max(at - env.now, 0))
            product = pick_product(self.population, self.spec.hot_share, self._rng)
            location = self._rng.choice(self.population.locations)
            units = self._rng.randint(*self.spec.quantity)
            self.wms.receive_stock(location, product.sku, units)
            self.erp.receive_stock(product.sku, location, units)
            self.received += units
