"""W6 against the real mocks, in process and in virtual time: an order captured, released and shipped
by the reference's own W1-W4 pieces, then returned through a service agent's case. One return
authorisation, one WMS return, receipts by disposition, one credit memo and one refund, however often
the events arrive; the case closed with what came back; and no money before the parcel did."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp

from harness.clock import Clock
from harness.outbox import Message, Outbox
from harness.population import generate
from harness.recorder import Recorder
from harness.world import World
from integrations.flawed.refund_on_request import RefundOnRequest
from integrations.reference.change_events import CaseChangeEvent
from integrations.reference.database import open_database
from integrations.reference.erp import Erp
from integrations.reference.fulfilment import Fulfilment
from integrations.reference.ledger import FulfilmentLedger, Ledger
from integrations.reference.locks import OneAtATime
from integrations.reference.order_capture import OrderCapture
from integrations.reference.retrying import TransientFailure
from integrations.reference.returns import Returns
from integrations.reference.salesforce import Salesforce
from integrations.reference.wms import Wms
from mocks.base import MockContext
from mocks.carrier import CarrierMock
from mocks.erp import ErpMock
from mocks.salesforce import ReturnedLine, SalesforceMock
from mocks.wms import WmsKnobs, WmsMock

pytestmark = pytest.mark.anyio
DAY = 86400.0
SEED = 20261127


class KeepingOutbox(Outbox):
    """Sends nothing anywhere; keeps what the mocks published so the test can deliver it by hand."""

    def __init__(self, world: World, recorder: Recorder, client: httpx.AsyncClient) -> None:
        super().__init__(world, recorder, client)
        self.sent: list[Message] = []

    def publish(self, message: Message) -> None:
        super().publish(message)
        self.sent.append(message)

    def bodies(self, topic: str) -> list[dict[str, Any]]:
        return [json.loads(m.body) for m in self.sent if m.topic == topic]


class ByHost(httpx.AsyncBaseTransport):
    """Routes each call to the mock whose made-up host it names, in process."""

    def __init__(self, apps: dict[str, ASGIApp]) -> None:
        self._apps = {host: httpx.ASGITransport(app=app) for host, app in apps.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._apps[request.url.host].handle_async_request(request)


@dataclass
class Shop:
    world: World
    outbox: KeepingOutbox
    salesforce: SalesforceMock
    erp: ErpMock
    wms: WmsMock
    clients: tuple[Salesforce, Erp, Wms]
    state_dir: Path
    successor: ErpMock
    """A cutover's successor account, with no stock and no order until :meth:`cut_over`."""
    successor_client: Erp

    def cut_over(self) -> None:
        self.erp.hand_over_to(self.successor)

    async def advance(self, seconds: float) -> None:
        await self.world.run_until(self.world.env.now + seconds)

    def returns(self, kind: type[Returns] = Returns) -> Returns:
        salesforce, erp, wms = self.clients
        return kind(salesforce, erp, wms, OneAtATime(), self.successor_client)

    async def delivered_order(self) -> tuple[str, str]:
        """An order placed, captured (W1), released (W3) and shipped and recorded (W4): (Salesforce id, ERP id)."""
        salesforce, erp, wms = self.clients
        account = next(iter(self.salesforce.account_ids.values()))
        skus = sorted(self.salesforce.price_entries)[:2]
        cart = [self.salesforce.cart_line(skus[0], 3), self.salesforce.cart_line(skus[1], 1)]
        process = self.world.process(self.salesforce.commerce.checkout(account, self.salesforce.pricebook_id, cart))
        await self.advance(60)
        order_id = str(process.value)
        database = open_database(self.state_dir / "integration.sqlite")
        await OrderCapture(salesforce, erp, Ledger(database), self.successor_client).capture(order_id)
        successors = {self.successor.system: self.successor_client}
        fulfilment = Fulfilment(salesforce, erp, wms, FulfilmentLedger(database), OneAtATime(), successors)
        booked_in = self.successor if self.erp.state.closed_to_new_orders else self.erp
        erp_id = booked_in.state.sales_order(f"eid:{order_id}").id
        release = await fulfilment.release(erp_id, booked_in.system)
        await self.advance(2 * DAY)
        await fulfilment.confirm_shipments(release.wms_order_id, erp_id, order_id, booked_in.system)
        return order_id, erp_id

    async def open_return(self, order_id: str, units: dict[int, int]) -> dict[str, Any]:
        """An agent's case returning ``units`` of the order's lines (by position); its change event."""
        items = sorted(self.salesforce.state.where("OrderItem", OrderId=order_id), key=lambda i: str(i["Id"]))
        lines = [ReturnedLine(str(items[n]["Id"]), quantity) for n, quantity in units.items()]
        case_id = self.salesforce.service.open_return(order_id, lines)
        await self.advance(5)  # the bus publishes a moment after the commit
        [event] = [
            e
            for e in self.outbox.bodies("/data/CaseChangeEvent")
            if e["payload"]["ChangeEventHeader"]["recordIds"] == [case_id]
        ]
        return event


@pytest.fixture
async def shop(tmp_path: Path) -> AsyncIterator[Shop]:
    async with open_shop(tmp_path) as opened:
        yield opened


@asynccontextmanager
async def open_shop(tmp_path: Path) -> AsyncIterator[Shop]:
    """The four mocks in one virtual-time world, and the reference's clients wired to them in process."""
    recorder = Recorder(tmp_path / "history.sqlite")
    async with httpx.AsyncClient() as outbox_client:
        world = World(Clock(None), SEED)
        outbox = KeepingOutbox(world, recorder, outbox_client)
        context = MockContext(world, outbox, recorder)
        population = generate(SEED, customers=3, products=4, locations=("WH-EAST",), stock_per_location=(50, 50))
        salesforce = SalesforceMock(context)
        erp = ErpMock(context, event_topics=("order.booked",))
        carrier = CarrierMock(context)
        knobs = WmsKnobs(
            split_probability=0.0,
            partial_probability=0.0,
            backorder_probability=0.0,
            onhold_probability=0.0,
            return_transit_days=(0.01, 0.02),
            inspection_hours=(0.2, 0.4),
            return_dispositions=(0.5, 0.3, 0.2),
        )
        wms = WmsMock(context, carrier, knobs)
        salesforce.seed(population)
        erp.seed(population, salesforce.account_ids)
        carrier.seed(population)
        wms.seed(population)
        successor = ErpMock(context, system="erp-next", event_topics=("order.booked",), numbering_from=1_000_000)
        successor.seed(population, salesforce.account_ids, with_stock=False)
        apps = {
            "sf.test": salesforce.asgi_app(),
            "erp.test": erp.asgi_app(),
            "erp-next.test": successor.asgi_app(),
            "wms.test": wms.asgi_app(),
        }
        async with httpx.AsyncClient(transport=ByHost(apps)) as http:
            creds = salesforce.credentials
            clients = (
                Salesforce(
                    http, login_url="http://sf.test", client_id=creds.client_id, client_secret=creds.client_secret
                ),
                Erp(
                    http,
                    url="http://erp.test",
                    client_id=erp.credentials.client_id,
                    client_secret=erp.credentials.client_secret,
                ),
                Wms(http, url="http://wms.test/1.0", token=wms.token, channel_id=str(wms.channel.id)),
            )
            successor_client = Erp(
                http,
                url="http://erp-next.test",
                client_id=successor.credentials.client_id,
                client_secret=successor.credentials.client_secret,
            )
            yield Shop(world, outbox, salesforce, erp, wms, clients, tmp_path, successor, successor_client)
    recorder.close()


def books(shop: Shop) -> dict[str, Any]:
    return shop.erp.snapshot()


async def test_a_return_is_authorised_received_credited_and_refunded_once(shop: Shop) -> None:
    order_id, _ = await shop.delivered_order()
    event = await shop.open_return(order_id, {0: 3, 1: 1})
    returns = shop.returns()
    for _ in range(2):  # a redelivered case event changes nothing
        await returns.handle_case(CaseChangeEvent.from_message(event))
    case_id = event["payload"]["ChangeEventHeader"]["recordIds"][0]
    assert [r["externalId"] for r in books(shop)["returnAuthorizations"]] == [case_id]
    assert [r.reference_id for r in shop.wms.state.returns.values()] == [case_id]
    assert books(shop)["customerRefunds"] == [], "nothing is paid before the parcel is back"
    assert shop.salesforce.state.get("Case", case_id)["Status"] == "Working"

    await shop.advance(2 * DAY)
    [completed] = shop.outbox.bodies("return.completed")
    for _ in range(3):  # duplicated webhooks, and a retry after a lost answer
        await returns.handle_return_completed(completed)
    erp = books(shop)
    received = {ln["disposition"]: ln["quantity"] for doc in erp["itemReceipts"] for ln in doc["lines"]}
    taken = {}
    for item in completed["inventory"]:
        for action in item["action_taken"]:
            kind = {"Restock": "restock", "Dispose": "damaged", "Quarantine": "dispose"}[action["action"]]
            taken[kind] = taken.get(kind, 0) + action["quantity_processed"]
    assert {k: int(v) for k, v in received.items()} == taken and sum(taken.values()) == 4
    [memo], [refund] = erp["creditMemos"], erp["customerRefunds"]
    assert refund["total"] == memo["total"] > 0 and refund["externalId"] == f"ref-{case_id}"
    case = shop.salesforce.state.get("Case", case_id)
    assert (case["Status"], case["Refund_Status__c"], case["Refund_Amount__c"]) == (
        "Closed",
        "Refunded",
        refund["total"],
    )
    assert refund["tranId"] in case["Return_Outcome__c"]
    returned = {
        item["SKU__c"]: item.get("Quantity_Returned__c")
        for item in shop.salesforce.state.where("OrderItem", OrderId=order_id)
    }
    assert sorted(returned.values()) == [1.0, 3.0]


async def test_a_return_completed_before_its_authorisation_waits(shop: Shop) -> None:
    order_id, _ = await shop.delivered_order()
    event = await shop.open_return(order_id, {0: 1})
    await shop.returns().handle_case(CaseChangeEvent.from_message(event))
    await shop.advance(2 * DAY)
    [completed] = shop.outbox.bodies("return.completed")
    stranger = {**completed, "reference_id": "5005g0000007ZZZAAA"}
    with pytest.raises(TransientFailure, match="no ERP return authorisation"):
        await shop.returns().handle_return_completed(stranger)
    assert books(shop)["customerRefunds"] == []


async def test_the_flawed_variant_pays_when_the_case_opens(shop: Shop) -> None:
    order_id, _ = await shop.delivered_order()
    event = await shop.open_return(order_id, {0: 2})
    await shop.returns(RefundOnRequest).handle_case(CaseChangeEvent.from_message(event))
    assert len(books(shop)["customerRefunds"]) == 1
    assert [r.status for r in shop.wms.state.returns.values()] == ["Awaiting Arrival"]


async def test_across_a_cutover_each_return_is_settled_in_the_account_that_booked_its_order(shop: Shop) -> None:
    before, _ = await shop.delivered_order()
    shop.cut_over()
    after, after_erp_id = await shop.delivered_order()
    assert int(after_erp_id) > 1_000_000, "booked in the successor"
    returns = shop.returns()
    cases = []
    for order_id in (before, after):
        event = await shop.open_return(order_id, {0: 1})
        await returns.handle_case(CaseChangeEvent.from_message(event))
        cases.append(event["payload"]["ChangeEventHeader"]["recordIds"][0])
    await shop.advance(2 * DAY)
    for completed in shop.outbox.bodies("return.completed"):
        await returns.handle_return_completed(completed)

    legacy, successor = shop.erp.snapshot(), shop.successor.snapshot()
    assert [r["externalId"] for r in legacy["returnAuthorizations"]] == [cases[0]]
    assert [r["externalId"] for r in successor["returnAuthorizations"]] == [cases[1]]
    assert [r["externalId"] for r in legacy["customerRefunds"]] == [f"ref-{cases[0]}"]
    assert [r["externalId"] for r in successor["customerRefunds"]] == [f"ref-{cases[1]}"]
    assert [shop.salesforce.state.get("Case", case)["Status"] for case in cases] == ["Closed", "Closed"]
