"""Customers returning delivered orders (W6's workload): only what reached them, from one parcel,
at the scenario's share, and the same way for the same order in every run of a seed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

import scenarios
from harness.recorder import Recorder
from harness.stage import Stage, build_stage
from mocks.wms.state import Order

HOUR = 3600.0


def delivered_stage(tmp_path: Path, share: float, *, parcels_delivered: bool = True) -> Stage:
    """The returns scenario's world with a few orders captured, released and delivered by hand."""
    overrides = [f"workload.returns.share={share}", "workload.returns.delay=10m"]
    stock = ["behaviour.wms.backorder_probability=0", "behaviour.wms.partial_probability=0"]
    scenario = scenarios.load("returns-refunds", overrides + stock)

    async def build() -> Stage:
        async with httpx.AsyncClient() as client:
            return build_stage(
                scenario, seed=7, speed=None, recorder=Recorder(tmp_path / f"h{share}.sqlite"), client=client
            )

    stage = asyncio.run(build())
    salesforce, erp, wms = stage.salesforce, stage.erp, stage.wms
    skus = sorted(salesforce.price_entries)
    for n in range(6):
        account = next(iter(salesforce.account_ids.values()))
        cart = [salesforce.cart_line(skus[n], 2), salesforce.cart_line(skus[n + 1], 3)]
        process = stage.world.env.process(salesforce.commerce.checkout(account, salesforce.pricebook_id, cart))
        stage.world.env.run(until=stage.world.env.now + 60)
        order_id = str(process.value)
        lines = [
            {"item": {"externalId": sku}, "quantity": q, "rate": 1.0} for sku, q in ((skus[n], 2), (skus[n + 1], 3))
        ]
        sales_order, _ = erp.state.upsert_sales_order(
            order_id, {"entity": {"externalId": account}, "otherRefNum": order_id, "item": {"items": lines}}
        )
        body = {
            "reference_id": sales_order.id,
            "order_number": sales_order.tran_id,
            "shipping_method": "Standard",
            "recipient": {
                "name": "A Customer",
                "address": {"address1": "1 Main St", "city": "Town", "country": "US", "zip_code": "10001"},
            },
            "products": [{"reference_id": skus[n], "quantity": 2}, {"reference_id": skus[n + 1], "quantity": 3}],
        }
        order = wms.state.create_order(wms.channel, body)
        wms.fulfilment.accept(order)
        for shipment in order.shipments:
            assert shipment.location is not None, "the scenario's stock covers these small orders"
            wms.state.ship(shipment)
            if parcels_delivered:
                wms.state.move(shipment, "Delivered")
    return stage


def opened_cases(stage: Stage) -> list[tuple[str, list[tuple[str, float]]]]:
    stage.world.env.process(stage.returns.run())  # type: ignore[union-attr]
    stage.world.env.run(until=stage.world.env.now + 2 * HOUR)
    state = stage.salesforce.state
    cases = []
    for case in sorted(state.where("Case", Type="Return"), key=lambda c: str(c["CaseNumber"])):
        [return_order] = state.where("ReturnOrder", CaseId=case["Id"])
        lines = [
            (state.get("OrderItem", line["OrderItemId"])["SKU__c"], line["QuantityReturned"])
            for line in state.where("ReturnOrderLineItem", ReturnOrderId=return_order["Id"])
        ]
        cases.append((str(case["Order__c"]), sorted(lines)))
    return cases


def parcel_of(order: Order, sku: str) -> int:
    return next(s.lines[sku] for s in order.shipments if sku in s.lines)


def test_every_delivered_order_comes_back_at_share_one(tmp_path: Path) -> None:
    stage = delivered_stage(tmp_path, 1.0)
    cases = opened_cases(stage)
    assert len(cases) == 6 and stage.returns is not None and stage.returns.opened == 6
    shipped = {o.reference_id: o for o in stage.wms.state.orders.values()}
    by_salesforce = {so.external_id: shipped[so.id] for so in stage.erp.state.sales_orders.values()}
    for order_id, lines in cases:
        assert 1 <= len(lines) <= 2
        for sku, quantity in lines:
            assert 1 <= quantity <= parcel_of(by_salesforce[order_id], sku)


def test_nothing_comes_back_at_share_zero_or_before_delivery(tmp_path: Path) -> None:
    assert opened_cases(delivered_stage(tmp_path, 0.0)) == []
    assert opened_cases(delivered_stage(tmp_path / "x", 1.0, parcels_delivered=False)) == []


def test_the_same_orders_come_back_the_same_way_from_the_seed(tmp_path: Path) -> None:
    first = opened_cases(delivered_stage(tmp_path / "a", 0.5))
    again = opened_cases(delivered_stage(tmp_path / "b", 0.5))
    assert first == again and 0 < len(first) < 6
