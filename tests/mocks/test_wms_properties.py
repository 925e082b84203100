"""Properties of the WMS's books over random order, stock and capacity mixes, in virtual time."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shipping_rig import outbox_of, run_for, shipping_pair

from harness.population import generate
from harness.recorder import Recorder
from mocks.carrier import CarrierKnobs
from mocks.wms import CHANNEL_HEADER, Shift, WmsKnobs
from mocks.wms.state import SHIPPED_STAGES

DAY = 86400.0
LOCATIONS = ("WH-EAST", "WH-WEST", "WH-CENTRAL")

orders = st.lists(
    st.lists(st.tuples(st.integers(0, 5), st.integers(1, 6)), min_size=1, max_size=4), min_size=1, max_size=25
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 1_000),
    warehouses=st.integers(1, 3),
    stock=st.tuples(st.integers(0, 4), st.integers(4, 30)),
    pickers=st.integers(1, 4),
    split=st.floats(0, 1),
    partial=st.floats(0, 0.5),
    backorder=st.floats(0, 0.5),
    restock=st.one_of(st.none(), st.floats(1, 72)),
    carts=orders,
    cancels=st.sets(st.integers(0, 24), max_size=6),
    cancel_after=st.floats(0, 12 * 3600),
)
def test_shipments_account_for_every_ordered_unit_and_stock_is_conserved(
    recorder: Recorder,
    outbox_client: httpx.AsyncClient,
    api_for: Any,
    seed: int,
    warehouses: int,
    stock: tuple[int, int],
    pickers: int,
    split: float,
    partial: float,
    backorder: float,
    restock: float | None,
    carts: list[list[tuple[int, int]]],
    cancels: set[int],
    cancel_after: float,
) -> None:
    population = generate(seed, customers=2, products=6, locations=LOCATIONS[:warehouses], stock_per_location=stock)
    knobs = WmsKnobs(
        shifts=(Shift(6, 14, pickers, pickers), Shift(14, 22, 1, 1)),
        split_probability=split,
        partial_probability=partial,
        backorder_probability=backorder,
        restock_after_hours=restock,
        onhold_probability=0.1,
    )
    wms, carrier = shipping_pair(
        recorder, outbox_client, population, seed=seed, wms=knobs, carrier=CarrierKnobs(failed_attempt_rate=0.2)
    )
    sb = api_for(wms.asgi_app())
    headers = {"Authorization": f"Bearer {wms.token}", CHANNEL_HEADER: str(wms.channel.id)}
    customer = population.customers[0]
    ids = []
    for n, cart in enumerate(carts):
        body = {
            "reference_id": f"SO-{n}",
            "shipping_method": ("Standard", "Expedited", "Overnight")[n % 3],
            "recipient": {
                "name": customer.name,
                "address": {
                    "address1": customer.street,
                    "city": customer.city,
                    "state": customer.state,
                    "country": "US",
                    "zip_code": customer.postal_code,
                },
            },
            "products": [{"reference_id": population.products[i].sku, "quantity": q} for i, q in cart],
        }
        reply = sb.post("/1.0/order", json=body, headers=headers)
        assert reply.status_code == 201, reply.text
        ids.append(reply.json()["id"])
    world = wms.context.world
    run_for(world, cancel_after)
    for n in sorted(cancels):
        if n < len(ids):
            reply = sb.post(f"/1.0/order/{ids[n]}/cancel", headers=headers)
            assert reply.status_code in (200, 422), reply.text
    run_for(world, 12 * DAY)

    state = wms.state
    for order in state.orders.values():
        ordered = order.ordered()
        in_shipments: Counter[str] = Counter()
        shipped: Counter[str] = Counter()
        for shipment in order.shipments:
            in_shipments.update(shipment.lines)
            assert all(q > 0 for q in shipment.lines.values()), shipment
            if shipment.stage in SHIPPED_STAGES:
                shipped.update(shipment.lines)
                assert shipment.tracking is not None
            if shipment.tracking is not None:
                tracker = carrier.tracker_for(shipment.tracking["tracking_number"])
                assert tracker is not None and tracker.shipment_id is not None
        assert in_shipments == ordered, (order.reference_id, in_shipments, ordered)
        assert all(shipped[sku] <= ordered[sku] for sku in shipped)
        if order.cancelled:
            assert not shipped and all(s.stage == "Cancelled" for s in order.shipments)
        assert (order.status == "Fulfilled") == (not order.cancelled and shipped == ordered)

    for sku in state.products:
        on_hand = sum(w.on_hand[sku] for w in state.warehouses)
        opening = wms.opening_stock.get(sku, 0)
        assert on_hand == opening - state.shipped[sku] + state.received[sku] - state.written_off[sku]
        for warehouse in state.warehouses:
            assert warehouse.on_hand[sku] >= 0 and 0 <= warehouse.allocated[sku] <= warehouse.on_hand[sku]


def test_same_seed_same_warehouse_and_carrier_story(recorder: Recorder, outbox_client: httpx.AsyncClient) -> None:
    population = generate(3, customers=2, products=6, locations=LOCATIONS, stock_per_location=(0, 8))
    knobs = WmsKnobs(split_probability=0.4, partial_probability=0.2, backorder_probability=0.2, onhold_probability=0.2)

    def story() -> tuple[object, ...]:
        wms, carrier = shipping_pair(recorder, outbox_client, population, seed=77, wms=knobs)
        for n in range(20):
            order = wms.state.create_order(
                wms.channel,
                {
                    "reference_id": f"SO-{n}",
                    "shipping_method": "Standard",
                    "recipient": {
                        "name": "A",
                        "address": {"address1": "1 A St", "city": "B", "country": "US", "zip_code": "10001"},
                    },
                    "products": [
                        {"reference_id": population.products[(n * 7 + k) % 6].sku, "quantity": 1 + k} for k in range(2)
                    ],
                },
            )
            wms.fulfilment.accept(order)
        run_for(wms.context.world, 15 * DAY)
        return wms.snapshot(), carrier.snapshot(), [m.body for m in outbox_of(wms.context).sent]

    assert story() == story()
