"""W1 and W2 across an ERP cutover, against two real mock ERP accounts: the legacy account is asked
first, so an order it holds is never booked again in the successor, and a new one goes to the
successor only once the legacy refuses it as retired; Salesforce is offered what the account taking
new orders can commit."""

from __future__ import annotations

import asyncio
import sqlite3

import httpx
import pytest

from harness.clock import Clock
from harness.outbox import Outbox
from harness.population import generate
from harness.recorder import Recorder
from harness.world import World
from integrations.reference.availability import Availability
from integrations.reference.erp import AccountRetired, Erp
from integrations.reference.fulfilment import Fulfilment, WmsShipment
from integrations.reference.ledger import FulfilmentLedger, Ledger
from integrations.reference.locks import OneAtATime
from integrations.reference.order_capture import OrderCapture
from integrations.reference.salesforce import Salesforce
from mocks.base import MockContext
from mocks.erp import ErpMock
from mocks.salesforce import SalesforceMock

pytestmark = pytest.mark.anyio


@pytest.fixture
def accounts(tmp_path) -> tuple[ErpMock, ErpMock, str]:  # type: ignore[no-untyped-def]
    recorder = Recorder(tmp_path / "h.sqlite")
    world = World(Clock(None), 3)
    never_sends = httpx.AsyncClient()  # the outbox has no receiver here
    context = MockContext(world, Outbox(world, recorder, never_sends), recorder)
    population = generate(3, customers=2, products=2, locations=("WH-EAST", "WH-WEST"))
    salesforce = SalesforceMock(context)
    salesforce.seed(population)
    legacy = ErpMock(context)
    successor = ErpMock(context, system="erp-next", numbering_from=1_000_000)
    legacy.seed(population, salesforce.account_ids)
    successor.seed(population, salesforce.account_ids, with_stock=False)
    customer = salesforce.account_ids[population.customers[0].number]
    yield legacy, successor, customer
    recorder.close()
    asyncio.run(never_sends.aclose())


def client(mock: ErpMock, http: httpx.AsyncClient) -> Erp:
    credentials = mock.credentials
    return Erp(
        http, url=f"http://{mock.system}.test", client_id=credentials.client_id, client_secret=credentials.client_secret
    )


def routes_to(*mocks: ErpMock) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        mounts={f"http://{mock.system}.test": httpx.ASGITransport(app=mock.asgi_app()) for mock in mocks}
    )


def body(customer: str) -> dict[str, object]:
    return {
        "entity": {"externalId": customer},
        "item": {"items": [{"item": {"externalId": "SKU-00001"}, "quantity": 1}]},
    }


async def test_new_orders_go_to_the_successor_only_once_the_legacy_is_retired(accounts) -> None:  # type: ignore[no-untyped-def]
    legacy, successor, customer = accounts
    routes = httpx.AsyncClient(
        mounts={
            "http://erp.test": httpx.ASGITransport(app=legacy.asgi_app()),
            "http://erp-next.test": httpx.ASGITransport(app=successor.asgi_app()),
        }
    )
    async with routes:
        capture = OrderCapture(
            Salesforce(routes, login_url="http://sf.test", client_id="-", client_secret="-"),
            client(legacy, routes),
            Ledger(sqlite3.connect(":memory:")),
            client(successor, routes),
        )
        assert await capture.book("SF-BEFORE", body(customer)) is capture.erp
        legacy.hand_over_to(successor)
        assert await capture.book("SF-BEFORE", body(customer)) is capture.erp  # a retry after a lost answer
        assert await capture.book("SF-AFTER", body(customer)) is capture.successor

        without_successor = OrderCapture(capture.salesforce, capture.erp, capture.ledger)
        with pytest.raises(AccountRetired):
            await without_successor.book("SF-LATE", body(customer))

    assert [o.external_id for o in legacy.state.sales_orders.values()] == ["SF-BEFORE"]
    assert [o.external_id for o in successor.state.sales_orders.values()] == ["SF-AFTER"]


def available(mock: ErpMock) -> dict[str, float]:
    by_sku: dict[str, float] = {}
    for (item_id, _), stock in mock.state.bins.items():
        sku = mock.state.items[item_id].name
        by_sku[sku] = by_sku.get(sku, 0.0) + stock.available
    return by_sku


async def test_salesforce_is_offered_what_the_account_taking_new_orders_can_commit(accounts) -> None:  # type: ignore[no-untyped-def]
    legacy, successor, _ = accounts
    async with routes_to(legacy, successor) as routes:
        salesforce = Salesforce(routes, login_url="http://sf.test", client_id="-", client_secret="-")
        w2 = Availability(salesforce, client(legacy, routes), successor=client(successor, routes))
        before = await w2.available()
        assert before == available(legacy) and sum(before.values()) > 0

        legacy.hand_over_to(successor)
        location = next(iter(legacy.state.locations.values())).name
        legacy.receive_stock("SKU-00001", location, 4)  # say a return restocked in the legacy after the cutover
        after = await w2.available()
        assert after == available(successor) == before, "the legacy's 4 units serve no new order"
        assert await w2.selling() is w2.successor


async def test_a_successor_that_took_an_order_but_holds_no_stock_is_the_one_selling(accounts) -> None:  # type: ignore[no-untyped-def]
    legacy, successor, customer = accounts
    async with routes_to(legacy, successor) as routes:
        w2 = Availability(
            Salesforce(routes, login_url="http://sf.test", client_id="-", client_secret="-"),
            client(legacy, routes),
            successor=client(successor, routes),
        )
        assert await w2.selling() is w2.erp
        successor.state.upsert_sales_order("SF-AFTER", body(customer))
        assert await w2.selling() is w2.successor
        assert await w2.available() == available(successor)


async def test_a_legacy_order_split_to_another_warehouse_after_the_cutover_is_still_fulfilled(accounts) -> None:  # type: ignore[no-untyped-def]
    """The cutover moved the legacy account's free stock away: a parcel of a legacy order that left
    from a warehouse where the order committed nothing cannot leave from there in the legacy books,
    so it leaves from the order's own commitment (seed 1 of erp-cutover at small scale found it)."""
    legacy, successor, customer = accounts
    routes = httpx.AsyncClient(mounts={"http://erp.test": httpx.ASGITransport(app=legacy.asgi_app())})
    async with routes:
        erp = client(legacy, routes)
        capture = OrderCapture(
            Salesforce(routes, login_url="http://sf.test", client_id="-", client_secret="-"),
            erp,
            Ledger(sqlite3.connect(":memory:")),
        )
        await capture.book("SF-BEFORE", body(customer))
        (order,) = legacy.state.sales_orders.values()
        committed_at = legacy.state.locations[legacy.state._line_location(order, order.lines[0])].name
        elsewhere = next(name for name in ("WH-EAST", "WH-WEST") if name != committed_at)
        legacy.hand_over_to(successor)
        fulfilment = Fulfilment(
            capture.salesforce,
            erp,
            None,
            FulfilmentLedger(sqlite3.connect(":memory:")),
            OneAtATime(),
            {"erp-next": client(successor, routes)},
        )
        parcel = WmsShipment(7, "Completed", {"SKU-00001": 1.0}, None, location=elsewhere)
        await fulfilment.record_in_erp(order.id, parcel)

    assert [line.fulfilled for line in order.lines] == [1.0]
