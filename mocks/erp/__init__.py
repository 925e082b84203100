"""Mock ERP: a NetSuite-flavoured system of record for stock, orders, fulfilment, invoices and returns.

One ``ErpMock`` is one NetSuite account with its own books, tokens, limits and incidents. A
cutover rehearsal builds two (``ErpMock(context, system="erp")`` and ``system="erp-next"``); each
is served on its own port and reads its own ``REHEARSE_<SYSTEM>_*`` variables.

The fault and limit API the harness drives (all in simulated time, recorded by the caller):

- ``incidents.begin(kind, probability=1.0, until=None)`` / ``incidents.end()`` with ``kind`` one
  of ``unavailable`` (503 maintenance), ``reset``, ``hang``, ``commit_then_fail``;
- ``capacity.extra_latency`` (simulated seconds added to every request), ``capacity.workers`` and
  ``capacity.service_time`` (set before serving);
- ``governor.concurrency_limit`` (simultaneous requests before 429; 15 by default) and
  ``governor.stats`` (``served``, ``rejected``, ``peak_in_flight``) for the run's metrics;
- ``receive_stock(sku, location, quantity)`` for purchase receipts and adjustments.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp

from harness.population import Population
from mocks.base import Mock, MockContext
from mocks.erp.api import Credentials, build_app
from mocks.erp.behaviour import Capacity, Governor, Incidents
from mocks.erp.events import RETRY_SCHEDULE, ErpEventStream
from mocks.erp.state import Bin, Change, ErpState

__all__ = ["CREDENTIALS", "ErpMock"]

SYSTEM = "erp"
CREDENTIALS = Credentials(client_id="rehearse-erp-client", client_secret="rehearse-erp-secret")
"""Fixed, documented credentials, as for mock Salesforce (every ERP instance shares them)."""


class ErpMock(Mock):
    system = SYSTEM

    def __init__(
        self,
        context: MockContext,
        *,
        system: str = SYSTEM,
        token_lifetime: float = 3600,
        tax_rate: float = 0.0,
        default_order_status: str = "B",
        concurrency_limit: int = 15,
        workers: int = 4,
        service_time: float = 0.25,
        event_topics: tuple[str, ...] = (),
        numbering_from: int = 0,
    ) -> None:
        """``event_topics``: the user-event scripts deployed (see :mod:`mocks.erp.events`); none by
        default, so a SUT that does not consume ERP events is never sent any. ``numbering_from``:
        see :class:`ErpState` (a cutover's successor account numbers past the legacy's)."""
        super().__init__(context)
        # The base class names a system per class; an ERP account is named per instance.
        self.__dict__["system"] = system
        world = context.world
        self.state = ErpState(
            lambda: world.clock.datetime_at(world.env.now),
            tax_rate=tax_rate,
            default_order_status=default_order_status,
            numbering_from=numbering_from,
        )
        self.token_lifetime = token_lifetime
        self.credentials = CREDENTIALS
        self.capacity = Capacity(world, workers=workers, service_time=service_time)
        self.incidents = Incidents(world, system)
        self.events = ErpEventStream(system, self.state, event_topics)
        self.governor = Governor(world, self.capacity, self.incidents, concurrency_limit=concurrency_limit)
        context.outbox.open_channel(system, RETRY_SCHEDULE)
        self.state.listeners.append(self._publish)

    def seed(self, population: Population, account_ids: dict[str, str], *, with_stock: bool = True) -> None:
        """Master data and opening stock as a migration left them: customers keyed by their
        Salesforce account id, items by SKU, locations by name. A cutover's successor account is
        seeded ``with_stock=False``: its stock arrives at the cutover (:meth:`hand_over_to`)."""
        for location in population.locations:
            self.state.add_location(location)
        for product in population.products:
            item = self.state.add_item(product.sku, product.name, basePrice=product.price)
            for location_name, quantity in product.stock.items() if with_stock else ():
                self.state.set_opening_stock(item.id, self.state.location_named(location_name).id, quantity)
        for customer in population.customers:
            self.state.add_customer(customer.name, account_ids[customer.number], email=customer.email)

    def receive_stock(self, sku: str, location: str, quantity: float) -> Bin:
        """A purchase receipt (or, negative, an adjustment) the workload books: commits backorders."""
        bin_ = self.state.receive_stock(
            self.state.item_by_sku(sku).id, self.state.location_named(location).id, quantity
        )
        self.context.record(self.system, "inventory.received", sku, {"location": location, "quantity": quantity})
        return bin_

    def transfer_stock(self, sku: str, location: str, quantity: float) -> Bin:
        """One side of a cutover's hand-over (out negative, in positive): on hand moves as by a
        receipt, but the books name it a transfer so that conservation across accounts sees a move."""
        bin_ = self.state.receive_stock(
            self.state.item_by_sku(sku).id, self.state.location_named(location).id, quantity, transfer=True
        )
        self.context.record(self.system, "inventory.transferred", sku, {"location": location, "quantity": quantity})
        return bin_

    def hand_over_to(self, successor: ErpMock) -> dict[str, float]:
        """The cutover at its instant: this account refuses new sales orders from now on, and the
        stock no open order has committed moves to ``successor`` (an adjustment out here, a receipt
        there), so the orders booked here still ship from here and nothing is counted twice.
        Returns the units moved per ``SKU@location``."""
        self.state.closed_to_new_orders = (
            f"{self.system} is retired for new sales orders; book them in {successor.system}."
        )
        moved: dict[str, float] = {}
        for (item_id, location_id), stock in sorted(self.state.bins.items()):
            quantity = stock.available
            if quantity <= 0:
                continue
            sku, location = self.state.items[item_id].name, self.state.locations[location_id].name
            self.transfer_stock(sku, location, -quantity)
            successor.transfer_stock(sku, location, quantity)
            moved[f"{sku}@{location}"] = quantity
        return moved

    def asgi_app(self) -> ASGIApp:
        """The account's REST API behind its governor; apps built twice share tokens, books and limits."""
        app = build_app(
            self.system,
            self.context.world,
            self.state,
            self.credentials,
            token_lifetime=self.token_lifetime,
            record_event=lambda kind, key, payload: self.context.record(self.system, kind, key, payload),
        )
        return self.governor.wrap(app)

    def sut_environment(self, base_url: str) -> dict[str, str]:
        prefix = f"REHEARSE_{self.system.upper().replace('-', '_')}"
        return {
            f"{prefix}_URL": base_url,
            f"{prefix}_CLIENT_ID": self.credentials.client_id,
            f"{prefix}_CLIENT_SECRET": self.credentials.client_secret,
        }

    def snapshot(self) -> dict[str, Any]:
        return self.state.snapshot()

    def _publish(self, change: Change) -> None:
        self.context.record(
            self.system,
            change.kind,
            (change.order.external_id or change.order.tran_id) if change.order else change.record.tran_id,
            {"recordType": change.record.type, "id": change.record.id, "tranId": change.record.tran_id},
        )
        if self.events.deployed(change):
            world = self.context.world
            self.context.outbox.publish(self.events.message(change, world.clock.datetime_at(world.env.now)))
