"""The simulated world of one scenario, before any server or SUT: mocks seeded, workload and faults set.

The runner serves this stage over HTTP; a dry run or a determinism test drives it with no server at
all. Both build it here, so the schedule they see is the same one.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import httpx
import simpy
from starlette.types import ASGIApp

from harness import knobs
from harness.activity import Activity
from harness.clock import Clock
from harness.cutover import SUCCESSOR_NUMBERING, Cutover
from harness.faults import Fault, FaultSite, install
from harness.faults.gate import FaultGate
from harness.outbox import Outbox
from harness.population import Population, generate
from harness.recorder import Recorder
from harness.workload.cancellations import CancellationRequests
from harness.workload.orders import OrderArrivals
from harness.workload.prices import PriceChanges
from harness.workload.receipts import StockReceipts
from harness.workload.returns import ReturnRequests
from harness.world import World
from mocks.base import Mock, MockContext
from mocks.carrier import CarrierMock
from mocks.erp import ErpMock
from mocks.salesforce import SalesforceMock
from mocks.wms import WmsMock
from scenarios import Scenario


@dataclass(slots=True)
class Stage:
    world: World
    outbox: Outbox
    activity: Activity
    population: Population
    salesforce: SalesforceMock
    erp: ErpMock
    wms: WmsMock
    carrier: CarrierMock
    arrivals: OrderArrivals
    faults: list[Fault]
    gates: dict[str, list[Fault]]
    cutover: Cutover | None = None
    """A cutover scenario's: it also serves the successor ERP (``cutover.successor``)."""
    returns: ReturnRequests | None = None
    receipts: StockReceipts | None = None
    price_changes: PriceChanges | None = None
    cancellations: CancellationRequests | None = None

    @property
    def mocks(self) -> list[Mock]:
        successor = [self.cutover.successor] if self.cutover else []
        return [self.salesforce, self.erp, *successor, self.wms, self.carrier]

    @property
    def erps(self) -> list[ErpMock]:
        """Every ERP account served: the legacy one, and a cutover's successor."""
        return [self.erp, self.cutover.successor] if self.cutover else [self.erp]

    def served_app(self, mock: Mock) -> ASGIApp:
        """The mock's API behind its fault gate: what the SUT is served."""
        return FaultGate(mock.asgi_app(), system=mock.system, world=self.world, faults=self.gates.get(mock.system, []))

    def open_trading(self) -> None:
        """Start the business activity; it runs as the world's clock advances."""
        self.world.process(self.arrivals.run())
        for generator in (self.returns, self.receipts, self.price_changes, self.cancellations):
            if generator is not None:
                self.world.process(generator.run())
        self.world.process(self._sample_load())
        if self.cutover is not None:
            self.world.process(self.cutover.run())

    def load(self) -> dict[str, int]:
        """How loaded the systems are now: what a surge's timeline and metrics show."""
        governor = self.erp.governor
        return {
            "erp_in_flight": governor.in_flight,
            "erp_queued": self.erp.capacity.queued,
            "erp_rejected_429": governor.stats["rejected"],
            "erp_peak_in_flight": governor.stats["peak_in_flight"],
            "wms_backlog": sum(self.wms.backlog().values()),
            "erp_overcommitted_bins": sum(
                1
                for erp in self.erps
                for b in erp.state.bins.values()
                if b.on_hand < 0 or b.committed > b.on_hand + 1e-9
            ),
        }

    def _sample_load(self) -> Generator[simpy.Event, Any, None]:
        while True:
            self.outbox.recorder.event("harness", "load", None, self.load(), self.world.env.now)
            yield self.world.env.timeout(LOAD_SAMPLE_SECONDS)

    def heal(self) -> None:
        for fault in self.faults:
            fault.heal()


LOAD_SAMPLE_SECONDS = 60.0
"""How often (simulated) the systems' load is sampled into the History."""

ERP_TOPICS_BY_WORKFLOW = {"W3": ("order.booked",), "W6": ("return.received", "refund.issued")}
"""The user-event scripts an ERP account deploys for the workflows in scope; none for W1 alone."""


def erp_topics(workflows: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(topic for wf in sorted(workflows) for topic in ERP_TOPICS_BY_WORKFLOW.get(wf, ()))


def build_stage(
    scenario: Scenario, *, seed: int, speed: float | None, recorder: Recorder, client: httpx.AsyncClient
) -> Stage:
    """``speed=None`` builds a virtual-time world."""
    world = World(Clock(speed), seed)
    activity = Activity()
    outbox = Outbox(world, recorder, client, activity)
    context = MockContext(world, outbox, recorder)
    population = generate(
        seed,
        customers=scenario.customers,
        products=scenario.products,
        locations=scenario.locations,
        stock_per_location=scenario.stock,
        hot_products=scenario.hot_products,
        hot_stock=scenario.hot_stock,
    )
    salesforce = SalesforceMock(context)
    erp = ErpMock(context, event_topics=erp_topics(scenario.workflows), **knobs.erp_options(scenario.behaviour))
    carrier = CarrierMock(context, knobs.carrier_knobs(scenario.behaviour))
    wms = WmsMock(context, carrier, knobs.wms_knobs(scenario.behaviour))
    salesforce.seed(population)
    erp.seed(population, salesforce.account_ids)
    cutover = None
    if scenario.cutover is not None:
        successor = ErpMock(
            context,
            system=scenario.cutover.target,
            event_topics=erp_topics(scenario.workflows),
            numbering_from=SUCCESSOR_NUMBERING,
            **knobs.erp_options(scenario.behaviour),
        )
        successor.seed(population, salesforce.account_ids, with_stock=False)
        cutover = Cutover(scenario.cutover, context, erp, successor)
    carrier.seed(population)
    wms.seed(population)
    arrivals = OrderArrivals(world, salesforce, population, scenario.orders, scenario.duration)
    receipts = (
        StockReceipts(world, erp, wms, population, scenario.receipts, scenario.duration) if scenario.receipts else None
    )
    prices = (
        PriceChanges(world, salesforce, population, scenario.price_changes, scenario.duration)
        if scenario.price_changes
        else None
    )
    site = FaultSite(world, outbox, recorder)
    faults = install(scenario.faults, site)
    returns = None
    if scenario.returns is not None and "W6" in scenario.workflows:
        erps = [erp, cutover.successor] if cutover else [erp]
        returns = ReturnRequests(world, salesforce, erps, wms, scenario.returns, scenario.duration)
    cancellations = None
    if scenario.cancellations is not None and "W1" in scenario.workflows:
        cancellations = CancellationRequests(world, salesforce, scenario.cancellations, scenario.duration)
    return Stage(
        world,
        outbox,
        activity,
        population,
        salesforce,
        erp,
        wms,
        carrier,
        arrivals,
        faults,
        site.gates,
        cutover,
        returns,
        receipts,
        prices,
        cancellations,
    )
