"""Mock WMS's ShipBob 1.0 surface, as an integration's HTTP client experiences it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest
from shipping_rig import outbox_of, run_for, shipping_pair

from harness.history import History
from harness.population import Population, generate
from harness.recorder import Recorder
from mocks.carrier import CarrierMock
from mocks.wms import CHANNEL_HEADER, WmsKnobs, WmsMock

if TYPE_CHECKING:
    from conftest import Api

DAY = 86400.0
CALM = WmsKnobs(split_probability=0, partial_probability=0, backorder_probability=0, onhold_probability=0)


@pytest.fixture(scope="module")
def stocked() -> Population:
    return generate(5, customers=3, products=6, locations=("WH-EAST", "WH-WEST"), stock_per_location=(40, 60))


@pytest.fixture
def pair(recorder: Recorder, outbox_client: httpx.AsyncClient, stocked: Population) -> tuple[WmsMock, CarrierMock]:
    return shipping_pair(recorder, outbox_client, stocked, wms=CALM)


@pytest.fixture
def wms(pair: tuple[WmsMock, CarrierMock]) -> WmsMock:
    return pair[0]


@pytest.fixture
def sb(wms: WmsMock, api_for: Any) -> Api:
    return api_for(wms.asgi_app())


def writes(wms: WmsMock) -> dict[str, str]:
    return {"Authorization": f"Bearer {wms.token}", CHANNEL_HEADER: str(wms.channel.id)}


def order_body(population: Population, reference: str, lines: list[tuple[int, int]], **extra: Any) -> dict[str, Any]:
    customer = population.customers[0]
    return {
        "reference_id": reference,
        "order_number": reference,
        "shipping_method": "Standard",
        "recipient": {
            "name": customer.name,
            "email": customer.email,
            "address": {
                "address1": customer.street,
                "city": customer.city,
                "state": customer.state,
                "country": "US",
                "zip_code": customer.postal_code,
            },
        },
        "products": [{"reference_id": population.products[i].sku, "quantity": q} for i, q in lines],
        **extra,
    }


def place(
    sb: Api, wms: WmsMock, population: Population, reference: str, lines: list[tuple[int, int]]
) -> dict[str, Any]:
    reply = sb.post("/1.0/order", json=order_body(population, reference, lines), headers=writes(wms))
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def problem(reply: httpx.Response, status: int) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert body["status"] == status and isinstance(body["title"], str) and body["type"].startswith("https://")
    return dict(body)


# -- auth and channels ---------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}])
def test_requests_without_a_valid_token_get_a_bare_401(sb: Api, headers: dict[str, str]) -> None:
    reply = sb.get("/1.0/order", headers=headers)
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"] == "Bearer"
    assert reply.content == b""


def test_writes_need_a_writable_channel(sb: Api, wms: WmsMock, stocked: Population) -> None:
    body = order_body(stocked, "R-1", [(0, 1)])
    missing = sb.post("/1.0/order", json=body, token=wms.token)
    assert CHANNEL_HEADER in problem(missing, 400)["errors"]
    [storefront] = [c for c in sb.get("/1.0/channel", token=wms.token).json() if c["name"] == "Storefront"]
    refused = sb.post("/1.0/order", json=body, headers={**writes(wms), CHANNEL_HEADER: str(storefront["id"])})
    assert refused.status_code == 403 and refused.content == b""
    assert wms.state.orders == {}


# -- orders --------------------------------------------------------------------------------------------


def test_create_returns_the_order_with_its_shipments(sb: Api, wms: WmsMock, stocked: Population) -> None:
    order = place(sb, wms, stocked, "SO-1001", [(0, 2), (1, 1)])
    assert order["reference_id"] == "SO-1001" and order["status"] == "Processing"
    assert order["channel"]["id"] == wms.channel.id
    assert [(p["reference_id"], p["quantity"]) for p in order["products"]] == [
        (stocked.products[0].sku, 2),
        (stocked.products[1].sku, 1),
    ]
    [shipment] = order["shipments"]
    assert shipment["status"] == "Processing" and shipment["location"]["name"] in stocked.locations
    assert sb.get(f"/1.0/order/{order['id']}", token=wms.token).json() == order


def test_a_duplicate_reference_is_refused_with_422_and_changes_nothing(
    sb: Api, wms: WmsMock, stocked: Population
) -> None:
    first = place(sb, wms, stocked, "SO-dup", [(0, 1)])
    again = sb.post("/1.0/order", json=order_body(stocked, "SO-dup", [(0, 5)]), headers=writes(wms))
    body = problem(again, 422)
    assert body["title"] == "Duplicate reference ID"
    assert str(first["id"]) in body["errors"]["reference_id"][0]
    assert len(wms.state.orders) == 1


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (
            lambda b: b["products"].__setitem__(0, {"reference_id": "NO-SUCH-SKU", "quantity": 1}),
            "products[0].reference_id",
        ),
        (lambda b: b["recipient"]["address"].pop("zip_code"), "recipient.address.zip_code"),
        (lambda b: b["products"].__setitem__(0, {"reference_id": "x", "quantity": 0}), "products[0].quantity"),
        (lambda b: b["products"].__setitem__(0, {"id": 999999, "quantity": 1}), "products[0].id"),
        (lambda b: b.__setitem__("products", []), "products"),
        (lambda b: b.pop("shipping_method"), "shipping_method"),
        (lambda b: b.__setitem__("reference_id", ""), "reference_id"),
        (lambda b: b.__setitem__("recipient", "nobody"), "recipient"),
    ],
)
def test_bad_orders_get_validation_problems_never_a_500(
    sb: Api, wms: WmsMock, stocked: Population, mutate: Any, field: str
) -> None:
    body = order_body(stocked, "SO-bad", [(0, 1)])
    mutate(body)
    assert field in problem(sb.post("/1.0/order", json=body, headers=writes(wms)), 400)["errors"]
    assert wms.state.orders == {}


@pytest.mark.parametrize("content", [b"{nope", b"[]", b"null", b'"text"'])
def test_malformed_bodies_are_400s(sb: Api, wms: WmsMock, content: bytes) -> None:
    problem(sb.post("/1.0/order", content=content, headers=writes(wms)), 400)


def test_unknown_sku_with_a_name_is_created_and_backordered(sb: Api, wms: WmsMock, stocked: Population) -> None:
    body = order_body(stocked, "SO-new", [(0, 1)])
    body["products"].append({"reference_id": "NEW-SKU", "name": "New thing", "quantity": 2})
    order = sb.post("/1.0/order", json=body, headers=writes(wms)).json()
    statuses = sorted(s["status"] for s in order["shipments"])
    assert statuses == ["Exception", "Processing"]
    [short] = [s for s in order["shipments"] if s["status"] == "Exception"]
    assert short["status_details"][0]["name"] == "OutOfStock"
    assert [(p["reference_id"], p["quantity"]) for p in short["products"]] == [("NEW-SKU", 2)]
    assert order["status"] == "Exception", "nothing shipped yet and part of it is out of stock"


def test_unknown_ids_and_paths_are_404s(sb: Api, wms: WmsMock) -> None:
    problem(sb.get("/1.0/order/123", token=wms.token), 404)
    problem(sb.get("/1.0/order/abc", token=wms.token), 404)
    problem(sb.get("/1.0/nowhere", token=wms.token), 404)
    problem(sb.put("/1.0/order", token=wms.token), 405)


def test_list_filters_by_reference_and_status_and_pages(sb: Api, wms: WmsMock, stocked: Population) -> None:
    ids = [place(sb, wms, stocked, f"SO-{n}", [(n % 3, 1)])["id"] for n in range(5)]
    page = sb.get("/1.0/order", params={"page": "2", "limit": "2"}, token=wms.token)
    assert [o["id"] for o in page.json()] == ids[2:4]
    assert (page.headers["total-count"], page.headers["total-pages"], page.headers["page-number"]) == ("5", "3", "2")
    assert "next-page" in page.headers
    by_ref = sb.get("/1.0/order", params={"ReferenceIds": "SO-1,SO-3"}, token=wms.token).json()
    assert [o["reference_id"] for o in by_ref] == ["SO-1", "SO-3"]
    sb.post(f"/1.0/order/{ids[0]}/cancel", headers=writes(wms))
    cancelled = sb.get("/1.0/order", params={"Status": "Cancelled"}, token=wms.token).json()
    assert [o["id"] for o in cancelled] == [ids[0]]
    problem(sb.get("/1.0/order", params={"Limit": "251"}, token=wms.token), 400)


# -- cancellation ---------------------------------------------------------------------------------------


def test_cancel_before_picking_releases_the_stock(sb: Api, wms: WmsMock, stocked: Population) -> None:
    sku = stocked.products[0].sku
    before = {w.name: w.available(sku) for w in wms.state.warehouses}
    order = place(sb, wms, stocked, "SO-c", [(0, 3)])
    reply = sb.post(f"/1.0/order/{order['id']}/cancel", headers=writes(wms))
    assert reply.status_code == 200
    assert reply.json()["status"] == "Success" and reply.json()["order"]["status"] == "Cancelled"
    assert {w.name: w.available(sku) for w in wms.state.warehouses} == before
    [cancelled] = outbox_of(wms.context).bodies("shipment_cancelled")
    assert cancelled["status"] == "Cancelled" and cancelled["order_id"] == order["id"]
    run_for(wms.context.world, 3 * DAY)
    assert all(s.stage == "Cancelled" for s in wms.state.orders[order["id"]].shipments), "nobody picked it"


def test_cancel_after_picking_began_or_shipping_is_refused(sb: Api, wms: WmsMock, stocked: Population) -> None:
    order = place(sb, wms, stocked, "SO-late", [(0, 1)])
    shipment = wms.state.orders[order["id"]].shipments[0]
    world = wms.context.world
    while shipment.stage == "Queued":
        run_for(world, 60)
    refused = sb.post(f"/1.0/order/{order['id']}/cancel", headers=writes(wms))
    assert "already" in problem(refused, 422)["errors"]["order"][0]
    run_for(world, 2 * DAY)
    assert shipment.stage in ("Shipped", "Delivered")
    problem(sb.post(f"/1.0/order/{order['id']}/cancel", headers=writes(wms)), 422)
    assert sb.get(f"/1.0/order/{order['id']}", token=wms.token).json()["status"] == "Fulfilled"


# -- a day in the warehouse -----------------------------------------------------------------------------


def test_an_order_ships_with_a_tracking_number_the_carrier_knows_and_is_delivered(
    sb: Api, pair: tuple[WmsMock, CarrierMock], stocked: Population
) -> None:
    wms, carrier = pair
    order = place(sb, wms, stocked, "SO-ship", [(0, 1), (2, 2)])
    run_for(wms.context.world, 12 * DAY)
    shipped = sb.get(f"/1.0/order/{order['id']}", token=wms.token).json()
    assert shipped["status"] == "Fulfilled"
    [shipment] = shipped["shipments"]
    assert shipment["status"] == "Completed" and shipment["actual_fulfillment_date"]
    tracker = carrier.tracker_for(shipment["tracking"]["tracking_number"])
    assert tracker is not None and tracker.shipment_id is not None
    outbox = outbox_of(wms.context)
    [announced] = outbox.bodies("order_shipped")
    assert announced["id"] == order["id"] and announced["shipments"][0]["tracking"] == shipment["tracking"]
    [sent] = [m for m in outbox.sent if m.topic == "order_shipped"]
    assert sent.headers["shipbob-topic"] == "order_shipped"
    if tracker.status == "delivered":
        [delivered] = outbox.bodies("shipment_delivered")
        assert delivered["id"] == shipment["id"] and delivered["delivery_date"]


def test_split_orders_ship_from_several_warehouses_each_with_its_own_tracking(
    recorder: Recorder, outbox_client: httpx.AsyncClient, stocked: Population, api_for: Any
) -> None:
    wms, carrier = shipping_pair(
        recorder,
        outbox_client,
        stocked,
        wms=WmsKnobs(split_probability=1.0, partial_probability=0, backorder_probability=0, onhold_probability=0),
    )
    sb = api_for(wms.asgi_app())
    order = place(sb, wms, stocked, "SO-split", [(0, 1), (1, 1), (2, 1)])
    assert len({s["location"]["id"] for s in order["shipments"]}) == 2
    run_for(wms.context.world, 3 * DAY)
    shipments = sb.get(f"/1.0/order/{order['id']}/shipment", token=wms.token).json()
    numbers = [s["tracking"]["tracking_number"] for s in shipments]
    assert len(set(numbers)) == len(shipments) == 2
    assert all(carrier.tracker_for(n) is not None for n in numbers)
    assert sum(p["quantity"] for s in shipments for p in s["products"]) == 3
    assert len(outbox_of(wms.context).bodies("order_shipped")) == 2, "one order_shipped per shipment"


def test_backorders_wait_for_stock_then_ship(sb: Api, wms: WmsMock, stocked: Population) -> None:
    sku = stocked.products[4].sku
    for warehouse in wms.state.warehouses:
        warehouse.on_hand[sku] = 0
    order = place(sb, wms, stocked, "SO-bo", [(3, 1), (4, 2)])
    assert sorted(s["status"] for s in order["shipments"]) == ["Exception", "Processing"]
    [exception] = outbox_of(wms.context).bodies("shipment_exception")
    assert exception["status"] == "Exception" and exception["products"][0]["reference_id"] == sku
    wms.receive_stock("WH-WEST", sku, 1)
    run_for(wms.context.world, DAY)
    still = sb.get(f"/1.0/order/{order['id']}", token=wms.token).json()
    assert still["status"] == "PartiallyFulfilled", "one unit arrived, one still backordered"
    assert sorted((s["status"], sum(p["quantity"] for p in s["products"])) for s in still["shipments"]) == [
        ("Completed", 1),
        ("Completed", 1),
        ("Exception", 1),
    ]
    run_for(wms.context.world, 3 * DAY)
    done = sb.get(f"/1.0/order/{order['id']}", token=wms.token).json()
    assert done["status"] == "Fulfilled", "replenishment arrived on its own (restock_after_hours)"


def test_a_surge_builds_a_backlog_that_drains(
    recorder: Recorder, outbox_client: httpx.AsyncClient, stocked: Population, api_for: Any
) -> None:
    from mocks.wms import Shift

    thin = WmsKnobs(
        shifts=(Shift(6, 14, 1, 1),),
        pick_minutes_per_shipment=10,
        split_probability=0,
        partial_probability=0,
        backorder_probability=0,
        onhold_probability=0,
    )
    wms, _ = shipping_pair(recorder, outbox_client, stocked, wms=thin)
    sb = api_for(wms.asgi_app())
    for n in range(200):
        place(sb, wms, stocked, f"SURGE-{n}", [(n % 6, 1)])
    world = wms.context.world
    run_for(world, 3600)  # 09:00
    morning = sum(wms.backlog().values())
    run_for(world, 7 * 3600)  # 16:00: the only shift ended at 14:00
    evening = sum(wms.backlog().values())
    run_for(world, 13 * 3600)  # 05:00 next day: nobody worked the night
    assert 0 < evening < morning, (morning, evening)
    assert sum(wms.backlog().values()) == evening
    run_for(world, 5 * DAY)
    assert sum(wms.backlog().values()) == 0
    recorder.flush()
    with History(recorder.path) as history:
        samples = [sum(e.payload.values()) for e in history.events(system="wms", kind="wms.backlog") if e.payload]
    peak = samples.index(max(samples))
    assert max(samples) >= morning and samples[-1] == 0 and peak < len(samples) - 1, (
        "the gauge shows it build and drain"
    )


# -- returns --------------------------------------------------------------------------------------------


def shipped_order(sb: Api, wms: WmsMock, stocked: Population) -> dict[str, Any]:
    order = place(sb, wms, stocked, "SO-ret", [(0, 3)])
    run_for(wms.context.world, 2 * DAY)
    shipment = sb.get(f"/1.0/order/{order['id']}/shipment", token=wms.token).json()[0]
    assert shipment["status"] == "Completed"
    return dict(shipment)


def test_a_return_is_received_inspected_and_restocked(sb: Api, wms: WmsMock, stocked: Population) -> None:
    shipment = shipped_order(sb, wms, stocked)
    product_id = shipment["products"][0]["id"]
    sku = shipment["products"][0]["reference_id"]
    too_many = {
        "reference_id": "RMA-1",
        "original_shipment_id": shipment["id"],
        "inventory": [{"id": product_id, "quantity": 4}],
    }
    assert "inventory[0].quantity" in problem(sb.post("/1.0/return", json=too_many, headers=writes(wms)), 400)["errors"]
    body = {**too_many, "inventory": [{"id": product_id, "quantity": 2}]}
    created = sb.post("/1.0/return", json=body, headers=writes(wms))
    assert created.status_code == 201 and created.json()["status"] == "Awaiting Arrival"
    problem(sb.post("/1.0/return", json=body, headers=writes(wms)), 422)
    on_hand = sum(w.on_hand[sku] for w in wms.state.warehouses)
    run_for(wms.context.world, 10 * DAY)
    record = sb.get(f"/1.0/return/{created.json()['id']}", token=wms.token).json()
    assert record["status"] == "Completed"
    [item] = record["inventory"]
    assert sum(a["quantity_processed"] for a in item["action_taken"]) == 2
    restocked = sum(a["quantity_processed"] for a in item["action_taken"] if a["action"] == "Restock")
    assert sum(w.on_hand[sku] for w in wms.state.warehouses) == on_hand + restocked
    [completed] = outbox_of(wms.context).bodies("return.completed")
    assert completed["id"] == record["id"]


def test_returns_refuse_what_was_not_shipped(sb: Api, wms: WmsMock, stocked: Population) -> None:
    order = place(sb, wms, stocked, "SO-nr", [(0, 1)])
    shipment_id = order["shipments"][0]["id"]
    body = {"reference_id": "RMA-x", "original_shipment_id": shipment_id, "inventory": [{"id": 1, "quantity": 1}]}
    assert "original_shipment_id" in problem(sb.post("/1.0/return", json=body, headers=writes(wms)), 400)["errors"]
    body["original_shipment_id"] = 42
    problem(sb.post("/1.0/return", json=body, headers=writes(wms)), 400)


# -- webhook subscriptions -----------------------------------------------------------------------------


def test_subscriptions_decide_what_is_sent_beyond_the_harness_topics(
    recorder: Recorder, outbox_client: httpx.AsyncClient, stocked: Population, api_for: Any
) -> None:
    silent = WmsKnobs(
        topics=(), split_probability=0, partial_probability=0, backorder_probability=0, onhold_probability=0
    )
    wms, _ = shipping_pair(recorder, outbox_client, stocked, wms=silent)
    sb = api_for(wms.asgi_app())
    place(sb, wms, stocked, "SO-quiet", [(0, 1)])
    run_for(wms.context.world, 2 * DAY)
    assert outbox_of(wms.context).sent == [] or all(m.system != "wms" for m in outbox_of(wms.context).sent)

    made = sb.post(
        "/1.0/webhook", json={"topic": "order_shipped", "subscription_url": "https://sut.example/wms"}, token=wms.token
    )
    assert made.status_code == 201 and made.json()["topic"] == "order_shipped"
    problem(
        sb.post("/1.0/webhook", json={"topic": "order_teleported", "subscription_url": "https://x"}, token=wms.token),
        400,
    )
    assert [s["id"] for s in sb.get("/1.0/webhook", token=wms.token).json()] == [made.json()["id"]]
    place(sb, wms, stocked, "SO-loud", [(0, 1)])
    run_for(wms.context.world, 2 * DAY)
    [sent] = [m for m in outbox_of(wms.context).sent if m.system == "wms"]
    assert sent.topic == "order_shipped" and sent.headers["shipbob-subscription-id"] == str(made.json()["id"])
    assert sb.request("DELETE", f"/1.0/webhook/{made.json()['id']}", token=wms.token).status_code == 204
    problem(sb.request("DELETE", f"/1.0/webhook/{made.json()['id']}", token=wms.token), 404)
