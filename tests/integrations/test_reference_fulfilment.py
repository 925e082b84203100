"""W3-W5 against in-process fakes: one WMS order per ERP order, one fulfilment and one invoice per
shipment, Salesforce lines and status that never claim more than shipped or move backwards, and
receivers that refuse what is malformed or unsigned without storing it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fulfilment_doubles import (
    CARRIER_SECRET,
    CHANNEL_ID,
    SO_ID,
    SO_TRAN_ID,
    FulfilmentSystems,
    event_id,
    fulfilment_settings,
    order_booked,
    tracker_event,
)
from sut_doubles import Fault, FaultyTransport, inbox_rows, serving, wait_until

from integrations.reference.app import build_app
from integrations.reference.fulfilment_events import carrier_signature
from integrations.reference.settings import Settings

pytestmark = pytest.mark.anyio
WMS_ORDER = "/1.0/order"


@pytest.fixture
def fake() -> FulfilmentSystems:
    return FulfilmentSystems()


@pytest.fixture
def wires(fake: FulfilmentSystems) -> FaultyTransport:
    return FaultyTransport(fake)


@pytest.fixture
def config(tmp_path: Path) -> Settings:
    return fulfilment_settings(tmp_path / "state")


def settled(settings: Settings) -> bool:
    rows = inbox_rows(settings.state_dir)
    return bool(rows) and all(row["state"] != "pending" for row in rows)


async def test_a_booked_order_is_released_to_the_wms_once(
    config: Settings, fake: FulfilmentSystems, wires: FaultyTransport
) -> None:
    # The ERP sends the event twice under different ids (two scripts, a resave): still one WMS order.
    async with serving(build_app(config, transport=wires)) as sut:
        for n in (1, 2, 1):
            assert (await sut.post("/webhooks/erp", json=order_booked(f"erp:{n}"))).status_code == 200
        await wait_until(lambda: settled(config) and len(inbox_rows(config.state_dir)) == 2, "both are applied")

    [order] = fake.wms_orders
    assert order.channel == CHANNEL_ID
    assert order.body["reference_id"] == SO_ID
    assert order.body["order_number"] == SO_TRAN_ID
    assert order.body["products"] == [
        {"reference_id": "SKU-RED-M", "quantity": 2},
        {"reference_id": "SKU-BLUE-L", "quantity": 1},
    ]
    assert order.body["recipient"]["name"] == "Ada Lovelace"
    assert order.body["recipient"]["address"]["zip_code"] == "62701"
    assert [row["state"] for row in inbox_rows(config.state_dir)] == ["done", "done"]


async def test_an_erp_event_with_fields_the_contract_does_not_name_is_still_applied(
    config: Settings, fake: FulfilmentSystems, wires: FaultyTransport
) -> None:
    # A vendor adds fields without notice: a tolerant receiver takes the event, it does not 400 it.
    event = order_booked()
    event["subsidiary"] = {"id": "1"}
    event["record"]["currency"] = "USD"
    event["lines"][0]["commitInventory"] = "availableQty"
    async with serving(build_app(config, transport=wires)) as sut:
        assert (await sut.post("/webhooks/erp", json=event)).status_code == 200
        await wait_until(lambda: settled(config), "the release is applied")
    assert len(fake.wms_orders) == 1


async def test_a_lost_wms_answer_is_found_by_its_reference_not_created_again(
    config: Settings, fake: FulfilmentSystems, wires: FaultyTransport
) -> None:
    wires.faults.append(Fault("POST", WMS_ORDER, status=503, after_commit=True, times=4))
    async with serving(build_app(config, transport=wires)) as sut:
        await sut.post("/webhooks/erp", json=order_booked())
        await wait_until(lambda: settled(config), "the release is applied", timeout=10)

    assert len(fake.wms_orders) == 1
    assert wires.sent_count("GET", WMS_ORDER) >= 1  # the 422 duplicate was looked up by reference
    assert inbox_rows(config.state_dir)[0]["state"] == "done"


async def test_shipments_are_fulfilled_and_invoiced_once_each_and_salesforce_never_says_shipped_early(
    config: Settings, fake: FulfilmentSystems, wires: FaultyTransport
) -> None:
    async with serving(build_app(config, transport=wires)) as sut:
        await sut.post("/webhooks/erp", json=order_booked())
        await wait_until(lambda: bool(fake.wms_orders), "the order is released")
        [order] = fake.wms_orders
        first = fake.ship(order, {"SKU-RED-M": 2}, tracking="TRK1")
        fake.ship(order, {"SKU-BLUE-L": 1}, tracking=None)  # backordered
        # The fulfilment's answer is lost once: the retry finds shp-<id> and does not fulfil twice.
        wires.faults.append(Fault("POST", "!transform/itemFulfillment", status=503, after_commit=True))
        shipped = json.dumps(fake.wms_order_json(order))
        headers = {"shipbob-topic": "order_shipped", "Content-Type": "application/json"}
        for _ in range(2):  # redelivered: the same bytes, stored once
            assert (await sut.post("/webhooks/wms", content=shipped, headers=headers)).status_code == 200
        await wait_until(lambda: settled(config) and fake.sf_order["Fulfillment_Status__c"] is not None, "W4 ran")

        assert [(t.record_type, t.external_id) for t in fake.transformed] == [
            ("itemFulfillment", f"shp-{first['id']}"),
            ("invoice", f"inv-{first['id']}"),
        ]
        assert fake.transformed[0].lines == [{"orderLine": 1, "quantity": 2, "location": {"externalId": "WH-EAST"}}]
        assert fake.transformed[1].lines == [{"orderLine": 1, "quantity": 2}]
        assert fake.sf_order["Fulfillment_Status__c"] == "Partially Shipped"
        red, blue = fake.item("SKU-RED-M"), fake.item("SKU-BLUE-L")
        assert (red["Quantity_Shipped__c"], red["Quantity_Backordered__c"], red["Tracking_Numbers__c"]) == (
            2,
            0,
            "TRK1",
        )
        assert (blue["Quantity_Shipped__c"], blue["Quantity_Backordered__c"]) == (0, 1)

        # The backorder ships: a second shipment, a second order_shipped.
        fake.unship_backorder(order)
        second = fake.ship(order, {"SKU-BLUE-L": 1}, tracking="TRK2")
        await sut.post("/webhooks/wms", json=fake.wms_order_json(order), headers={"shipbob-topic": "order_shipped"})
        await wait_until(lambda: settled(config) and fake.sf_order["Fulfillment_Status__c"] == "Shipped", "all shipped")

    assert len(fake.of_type("itemFulfillment")) == len(fake.of_type("invoice")) == 2
    assert fake.of_type("itemFulfillment")[1].external_id == f"shp-{second['id']}"
    blue = fake.item("SKU-BLUE-L")
    assert (blue["Quantity_Shipped__c"], blue["Quantity_Backordered__c"]) == (1, 0)
    assert fake.status_history == ["Partially Shipped", "Shipped"]
    assert fake.sf_order["ERP_Status__c"] == "Billed"


async def test_tracking_moves_the_order_to_delivered_and_never_back(
    config: Settings, fake: FulfilmentSystems, wires: FaultyTransport
) -> None:
    async with serving(build_app(config, transport=wires)) as sut:
        await sut.post("/webhooks/erp", json=order_booked())
        await wait_until(lambda: bool(fake.wms_orders), "the order is released")
        [order] = fake.wms_orders
        fake.ship(order, {"SKU-RED-M": 2}, tracking="TRK1")
        fake.ship(order, {"SKU-BLUE-L": 1}, tracking="TRK2")
        await sut.post("/webhooks/wms", json=fake.wms_order_json(order), headers={"shipbob-topic": "order_shipped"})
        await wait_until(lambda: fake.sf_order["Fulfillment_Status__c"] == "Shipped", "both shipped")

        async def track(code: str, status: str, n: int) -> None:
            body, headers = tracker_event(code, status, event_id(n))
            assert (await sut.post("/webhooks/carrier", content=body, headers=headers)).status_code == 200

        await track("TRK1", "delivered", 1)
        await wait_until(lambda: fake.sf_order["Fulfillment_Status__c"] == "Partially Delivered", "one delivered")
        await track("TRK1", "in_transit", 2)  # late: the parcel was delivered already
        await track("TRK2", "delivered", 3)
        await wait_until(lambda: settled(config) and fake.sf_order["Fulfillment_Status__c"] == "Delivered", "all in")
        await track("TRK2", "out_for_delivery", 4)  # reordered, after delivery
        await wait_until(lambda: settled(config), "the late event is applied")

    assert fake.status_history == ["Shipped", "Partially Delivered", "Delivered"]


@pytest.mark.parametrize(
    ("path", "body", "headers"),
    [
        ("/webhooks/erp", b"{", {}),
        ("/webhooks/erp", json.dumps({**order_booked(), "eventType": "order.exploded"}).encode(), {}),
        ("/webhooks/wms", b"[]", {"shipbob-topic": "order_shipped"}),
        ("/webhooks/wms", b'{"id": 1}', {"shipbob-topic": "order_shipped"}),
        ("/webhooks/wms", b"{}", {"shipbob-topic": "order_teleported"}),
        ("/webhooks/wms", b"{}", {}),
        ("/webhooks/carrier", tracker_event("TRK1", "delivered", event_id(1))[0][:-1], {}),
    ],
    ids=["erp-not-json", "erp-unknown-type", "wms-array", "wms-no-fields", "wms-unknown-topic", "wms-no-topic", "car"],
)
async def test_malformed_events_are_refused_with_400_and_not_stored(
    config: Settings, wires: FaultyTransport, path: str, body: bytes, headers: dict[str, str]
) -> None:
    if path == "/webhooks/carrier":  # signed correctly, but the body is not an Event
        headers = {"X-Hmac-Signature": carrier_signature(body, CARRIER_SECRET)}
    async with serving(build_app(config, transport=wires)) as sut:
        response = await sut.post(path, content=body, headers={"Content-Type": "application/json", **headers})
    assert (response.status_code, response.json()["error"]) == (400, "invalid_event")
    assert inbox_rows(config.state_dir) == []


@pytest.mark.parametrize("signature", [None, "hmac-sha256-hex=00", "sha1=abc"])
async def test_a_carrier_event_without_the_right_signature_is_refused_with_401(
    config: Settings, wires: FaultyTransport, signature: str | None
) -> None:
    body, _ = tracker_event("TRK1", "delivered", event_id(1))
    headers = {"Content-Type": "application/json", **({"X-Hmac-Signature": signature} if signature else {})}
    async with serving(build_app(config, transport=wires)) as sut:
        response = await sut.post("/webhooks/carrier", content=body, headers=headers)
    assert response.status_code == 401
    assert inbox_rows(config.state_dir) == []


async def test_events_no_workflow_acts_on_are_acknowledged_and_not_stored(
    config: Settings, wires: FaultyTransport
) -> None:
    shipment = {
        "id": 9,
        "order_id": 1,
        "reference_id": SO_ID,
        "status": "Exception",
        "status_details": [{"name": "OutOfStock"}],
        "location": None,
        "tracking": None,
        "products": [{"id": 1, "reference_id": "SKU-RED-M", "quantity": 1}],
        "created_date": "x",
        "last_update_at": "x",
    }
    async with serving(build_app(config, transport=wires)) as sut:
        response = await sut.post("/webhooks/wms", json=shipment, headers={"shipbob-topic": "shipment_exception"})
    assert (response.status_code, response.json()) == (200, {"accepted": True, "ignored": True})
    assert inbox_rows(config.state_dir) == []
