"""The no-idempotency variant does what its README says, where the reference does not: a duplicated
delivery, or a lost answer to the create, makes a second ERP order."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from sut_doubles import ORDER_ID, FakeSystems, Fault, FaultyTransport, inbox_rows, order_event, serving, wait_until

from integrations.flawed.no_idempotency import build_app as build_flawed_app
from integrations.reference.app import build_app as build_reference_app
from integrations.reference.settings import Settings

pytestmark = pytest.mark.anyio
AppFactory = Callable[..., FastAPI]


def settled(settings: Settings, deliveries: int) -> bool:
    rows = inbox_rows(settings.state_dir)
    return len(rows) == deliveries and all(row["state"] == "done" for row in rows)


@pytest.mark.parametrize(
    ("build_app", "stored", "erp_orders"),
    [(build_reference_app, 1, 1), (build_flawed_app, 2, 2)],
    ids=["reference", "no_idempotency"],
)
async def test_a_duplicated_delivery(
    settings: Settings,
    systems: FakeSystems,
    transport: FaultyTransport,
    build_app: AppFactory,
    stored: int,
    erp_orders: int,
) -> None:
    async with serving(build_app(settings, transport=transport)) as sut:
        for _ in range(2):
            assert (await sut.post("/webhooks/salesforce", json=order_event(replay_id=17))).status_code == 200
        await wait_until(lambda: settled(settings, stored), f"{stored} stored deliveries are applied")

    sales_orders = systems.sales_orders_for(ORDER_ID)
    assert len(sales_orders) == erp_orders
    assert systems.orders[ORDER_ID]["ERP_Order_Number__c"] == sales_orders[-1]["tranId"]


async def test_the_flawed_variant_keys_erp_orders_by_nothing_the_erp_enforces(
    settings: Settings, systems: FakeSystems, transport: FaultyTransport
) -> None:
    async with serving(build_flawed_app(settings, transport=transport)) as sut:
        await sut.post("/webhooks/salesforce", json=order_event(replay_id=17))
        await wait_until(lambda: settled(settings, 1), "the delivery is applied")

    [sales_order] = systems.sales_orders_for(ORDER_ID)
    assert sales_order["externalId"] is None
    assert sales_order["otherRefNum"] == ORDER_ID
    assert len(systems.calls("POST", "/record/v1/salesOrder")) == 1
    assert len(systems.calls("PUT", "/record/v1/salesOrder")) == 0


async def test_the_flawed_variant_duplicates_an_order_when_the_create_answer_is_lost(
    settings: Settings, systems: FakeSystems, transport: FaultyTransport
) -> None:
    transport.faults.append(Fault("POST", "/record/v1/salesOrder", after_commit=True, lose_connection=True))
    async with serving(build_flawed_app(settings, transport=transport)) as sut:
        await sut.post("/webhooks/salesforce", json=order_event(replay_id=17))
        await wait_until(lambda: settled(settings, 1), "the delivery is applied")

    assert len(systems.sales_orders_for(ORDER_ID)) == 2
