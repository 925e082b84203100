"""A customer's request to cancel against the real mocks, in process and in virtual time, with the
reference's own W1 and W3 pieces: never booked when it comes first, the ERP order cancelled before
release, the WMS order cancelled until picking and refused after, Salesforce told which, however the
activation and cancellation events are ordered or repeated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from test_reference_returns import Shop, open_shop

from integrations.flawed.cancel_ignores_warehouse_refusal import CancelWhateverTheWarehouseSays
from integrations.reference.cancellation import Cancellation
from integrations.reference.change_events import OrderChangeEvent
from integrations.reference.database import open_database
from integrations.reference.fulfilment import Fulfilment
from integrations.reference.ledger import FulfilmentLedger, Ledger
from integrations.reference.locks import OneAtATime
from integrations.reference.order_capture import OrderCapture
from integrations.reference.retrying import PermanentFailure, TransientFailure

pytestmark = pytest.mark.anyio
CHANNEL = "/data/OrderChangeEvent"


@pytest.fixture
async def shop(tmp_path: Path) -> AsyncIterator[Shop]:
    async with open_shop(tmp_path) as opened:
        yield opened


class Integration:
    """W1, W3 and the cancellation wired as ``build_app`` wires them, over one state file."""

    def __init__(self, shop: Shop, cancellation: type[Cancellation] = Cancellation) -> None:
        salesforce, erp, wms = shop.clients
        database = open_database(shop.state_dir / "integration.sqlite")
        releases, released = OneAtATime(), FulfilmentLedger(database)
        self.fulfilment = Fulfilment(salesforce, erp, wms, released, releases)
        self.cancellation = cancellation(salesforce, self.fulfilment.erps, wms, released, releases)
        self.capture = OrderCapture(salesforce, erp, Ledger(database), None, self.cancellation)

    async def deliver(self, *events: dict[str, Any]) -> None:
        for event in events:
            await self.capture.handle(OrderChangeEvent.from_message(event))


async def place(shop: Shop) -> str:
    account = next(iter(shop.salesforce.account_ids.values()))
    sku = sorted(shop.salesforce.price_entries)[0]
    cart = [shop.salesforce.cart_line(sku, 2)]
    process = shop.world.process(shop.salesforce.commerce.checkout(account, shop.salesforce.pricebook_id, cart))
    await shop.advance(60)
    return str(process.value)


async def order_events(shop: Shop, order_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The activation's change event, and the cancellation request's (made now)."""
    assert shop.salesforce.commerce.request_cancellation(order_id)
    await shop.advance(5)  # the bus publishes a moment after the commit
    updates = [
        e
        for e in shop.outbox.bodies(CHANNEL)
        if e["payload"]["ChangeEventHeader"]["recordIds"] == [order_id]
        and e["payload"]["ChangeEventHeader"]["changeType"] == "UPDATE"
    ]
    [activation] = [e for e in updates if e["payload"]["Status"] == "Activated"]
    [request] = [e for e in updates if e["payload"]["Status"] == "Cancellation Requested"]
    return activation, request


def salesforce_order(shop: Shop, order_id: str) -> dict[str, Any]:
    return shop.salesforce.state.get("Order", order_id)


async def test_a_request_before_capture_means_the_order_is_never_booked(shop: Shop) -> None:
    order_id = await place(shop)
    activation, request = await order_events(shop, order_id)
    sut = Integration(shop)
    await sut.deliver(request, activation, request, activation)  # reordered and repeated
    assert shop.erp.state.sales_orders == {}
    order = salesforce_order(shop, order_id)
    assert (order["Status"], order["Fulfillment_Status__c"]) == ("Cancelled", "Cancelled")


async def test_a_request_before_release_cancels_the_erp_order_and_nothing_is_released(shop: Shop) -> None:
    order_id = await place(shop)
    sut = Integration(shop)
    await sut.capture.capture(order_id)
    erp_id = shop.erp.state.sales_order(f"eid:{order_id}").id
    _, request = await order_events(shop, order_id)
    await sut.deliver(request, request)
    assert shop.erp.state.sales_orders[erp_id].status_name == "Cancelled"
    with pytest.raises(PermanentFailure, match="Cancelled: not released"):
        await sut.fulfilment.release(erp_id)
    assert shop.wms.state.orders == {}
    assert salesforce_order(shop, order_id)["Status"] == "Cancelled"


async def test_a_request_before_picking_cancels_the_wms_order_then_the_erp_order(shop: Shop) -> None:
    order_id = await place(shop)
    sut = Integration(shop)
    await sut.capture.capture(order_id)
    erp_id = shop.erp.state.sales_order(f"eid:{order_id}").id
    await sut.fulfilment.release(erp_id)
    # No simulated time passes: the order still waits for a picker when the request is acted on.
    assert shop.salesforce.commerce.request_cancellation(order_id)
    for _ in range(2):
        await sut.capture.capture(order_id)
    [wms_order] = shop.wms.state.orders.values()
    assert wms_order.status == "Cancelled"
    assert shop.erp.state.sales_orders[erp_id].status_name == "Cancelled"
    order = salesforce_order(shop, order_id)
    assert (order["Status"], order["ERP_Status__c"]) == ("Cancelled", "Cancelled")


async def test_an_order_whose_customer_asked_to_cancel_is_not_released_meanwhile(shop: Shop) -> None:
    order_id = await place(shop)
    sut = Integration(shop)
    await sut.capture.capture(order_id)
    erp_id = shop.erp.state.sales_order(f"eid:{order_id}").id
    assert shop.salesforce.commerce.request_cancellation(order_id)
    with pytest.raises(TransientFailure, match="awaits its cancellation"):
        await sut.fulfilment.release(erp_id)
    assert shop.wms.state.orders == {}


async def test_a_request_once_picking_began_is_refused_and_the_order_ships(shop: Shop) -> None:
    order_id = await place(shop)
    sut = Integration(shop)
    await sut.capture.capture(order_id)
    erp_id = shop.erp.state.sales_order(f"eid:{order_id}").id
    await sut.fulfilment.release(erp_id)
    await shop.advance(3 * 60)  # a picker has it in hand
    activation, request = await order_events(shop, order_id)
    await sut.deliver(request, activation, request)
    [wms_order] = shop.wms.state.orders.values()
    assert wms_order.status != "Cancelled"
    assert shop.erp.state.sales_orders[erp_id].status_name != "Cancelled"
    order = salesforce_order(shop, order_id)
    assert order["Status"] == "Activated"
    assert "cannot be cancelled" in order["Cancellation_Refused_Reason__c"]


async def test_the_flawed_variant_tells_the_customer_cancelled_while_the_parcel_ships(shop: Shop) -> None:
    order_id = await place(shop)
    sut = Integration(shop, CancelWhateverTheWarehouseSays)
    await sut.capture.capture(order_id)
    erp_id = shop.erp.state.sales_order(f"eid:{order_id}").id
    await sut.fulfilment.release(erp_id)
    await shop.advance(3 * 60)
    _, request = await order_events(shop, order_id)
    await sut.deliver(request)
    [wms_order] = shop.wms.state.orders.values()
    assert wms_order.status != "Cancelled"
    assert salesforce_order(shop, order_id)["Status"] == "Cancelled"
