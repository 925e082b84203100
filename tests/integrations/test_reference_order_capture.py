"""W1 end to end against in-process Salesforce and ERP fakes: one ERP order per Salesforce order,
written back, whatever the deliveries and the faults."""

from __future__ import annotations

import json
import time
from contextlib import closing

import pytest
from sut_doubles import (
    ACCOUNT_ID,
    ORDER_ID,
    OTHER_ORDER_ID,
    FakeSystems,
    Fault,
    FaultyTransport,
    inbox_rows,
    order_event,
    serving,
    wait_until,
)

from integrations.reference.app import STATE_FILE, build_app
from integrations.reference.database import open_database
from integrations.reference.inbox import Inbox
from integrations.reference.settings import Settings

pytestmark = pytest.mark.anyio
SALES_ORDERS = "/record/v1/salesOrder"
SALESFORCE_ORDER = "/sobjects/Order/"


def netsuite_refusal(code: str) -> dict[str, object]:
    return {"title": "Bad Request", "status": 400, "o:errorDetails": [{"detail": "refused", "o:errorCode": code}]}


def written_back(systems: FakeSystems, order_id: str = ORDER_ID) -> bool:
    return systems.orders[order_id]["ERP_Order_Number__c"] is not None


def all_settled(settings: Settings, deliveries: int) -> bool:
    rows = inbox_rows(settings.state_dir)
    return len(rows) == deliveries and all(row["state"] != "pending" for row in rows)


async def test_an_activated_order_becomes_one_erp_order_written_back_to_salesforce(
    settings: Settings, systems: FakeSystems, transport: FaultyTransport
) -> None:
    async with serving(build_app(settings, transport=transport)) as sut:
        await sut.post("/webhooks/salesforce", json=order_event())
        await wait_until(lambda: all_settled(settings, 1) and written_back(systems), "the order is written back")

    [sales_order] = systems.sales_orders_for(ORDER_ID)
    assert sales_order["externalId"] == ORDER_ID
    assert sales_order["otherRefNum"] == ORDER_ID
    assert sales_order["entity"] == {"externalId": ACCOUNT_ID}
    assert sales_order["tranDate"] == "2026-11-27"
    assert sales_order["memo"] == systems.orders[ORDER_ID]["OrderNumber"]
    assert sales_order["item"]["items"] == [
        {"item": {"externalId": "SKU-RED-M"}, "quantity": 2, "rate": 19.99},
        {"item": {"externalId": "SKU-BLUE-L"}, "quantity": 1, "rate": 45.0},
    ]
    assert systems.orders[ORDER_ID]["ERP_Order_Number__c"] == sales_order["tranId"]
    assert systems.orders[ORDER_ID]["ERP_Status__c"] == "Pending Fulfillment"
    assert [row["state"] for row in inbox_rows(settings.state_dir)] == ["done"]


async def test_every_call_for_an_order_carries_its_id_as_correlation_id(
    settings: Settings, systems: FakeSystems, transport: FaultyTransport
) -> None:
    async with serving(build_app(settings, transport=transport)) as sut:
        await sut.post("/webhooks/salesforce", json=order_event())
        await wait_until(lambda: written_back(systems), "the order is written back")

    assert len(systems.exchanges) >= 7  # two logins, three Salesforce calls, two ERP calls
    assert {e.headers.get("x-correlation-id") for e in systems.exchanges} == {ORDER_ID}


async def test_duplicates_and_a_lost_answer_still_make_one_erp_order(
    settings: Settings, systems: FakeSystems, transport: FaultyTransport
) -> None:
    transport.faults.append(Fault("PUT", SALES_ORDERS, after_commit=True, lose_connection=True))
    async with serving(build_app(settings, transport=transport)) as sut:
        for replay_id in (17, 17, 18, 17):
            assert (await sut.post("/webhooks/salesforce", json=order_event(replay_id=replay_id))).status_code == 200
        await wait_until(lambda: all_settled(settings, 2) and written_back(systems), "both events are applied")

    assert len(systems.sales_orders_for(ORDER_ID)) == 1
    assert transport.sent_count("PUT", SALES_ORDERS) == 2, "the lost upsert was repeated, on the same record"
    assert len(systems.calls("POST", SALES_ORDERS)) == 0
    assert len(systems.calls("PATCH", SALESFORCE_ORDER)) == 1


async def test_an_order_captured_before_a_restart_is_not_sent_to_the_erp_again(
    settings: Settings, systems: FakeSystems, transport: FaultyTransport
) -> None:
    async with serving(build_app(settings, transport=transport)) as sut:
        await sut.post("/webhooks/salesforce", json=order_event(replay_id=17))
        await wait_until(lambda: all_settled(settings, 1) and written_back(systems), "the order is captured")
    erp_calls_before = transport.sent_count("PUT", SALES_ORDERS) + transport.sent_count("GET", SALES_ORDERS)

    async with serving(build_app(settings, transport=transport)) as sut:
        await sut.post("/webhooks/salesforce", json=order_event(replay_id=18))
        await wait_until(lambda: all_settled(settings, 2), "the second event is applied")

    assert transport.sent_count("PUT", SALES_ORDERS) + transport.sent_count("GET", SALES_ORDERS) == erp_calls_before
    assert len(systems.calls("PATCH", SALESFORCE_ORDER)) == 1


async def test_a_missing_write_back_is_completed_from_the_ledger(
    settings: Settings, systems: FakeSystems, transport: FaultyTransport
) -> None:
    transport.faults.append(Fault("PATCH", SALESFORCE_ORDER, status=400, body=[{"errorCode": "INVALID_FIELD"}]))
    async with serving(build_app(settings, transport=transport)) as sut:
        await sut.post("/webhooks/salesforce", json=order_event(replay_id=17))
        await wait_until(lambda: all_settled(settings, 1), "the first event fails")
        assert not written_back(systems)
        await sut.post("/webhooks/salesforce", json=order_event(replay_id=18))
        await wait_until(lambda: written_back(systems), "the order is written back")

    assert transport.sent_count("PUT", SALES_ORDERS) == 1
    assert systems.orders[ORDER_ID]["ERP_Order_Number__c"] == systems.sales_orders_for(ORDER_ID)[0]["tranId"]


async def test_an_order_booked_by_a_failed_attempt_is_written_back_when_the_erp_refuses_to_change_it(
    settings: Settings, systems: FakeSystems, transport: FaultyTransport
) -> None:
    """rate-limit-storm under load: the read-back after the upsert was refused, so the attempt failed
    with the order booked; by the retry W3 had billed it, and NetSuite refuses to change its lines."""
    transport.faults.append(Fault("GET", SALES_ORDERS, status=400, body=netsuite_refusal("USER_ERROR")))
    async with serving(build_app(settings, transport=transport)) as sut:
        await sut.post("/webhooks/salesforce", json=order_event(replay_id=17))
        await wait_until(lambda: all_settled(settings, 1), "the first attempt fails after booking")
        assert len(systems.sales_orders_for(ORDER_ID)) == 1 and not written_back(systems)
        transport.faults.append(Fault("PUT", SALES_ORDERS, status=400, body=netsuite_refusal("USER_ERROR")))
        await sut.post("/webhooks/salesforce", json=order_event(replay_id=18))
        await wait_until(lambda: written_back(systems), "the order is written back")

    assert transport.sent_count("PUT", SALES_ORDERS) == 2
    assert systems.orders[ORDER_ID]["ERP_Order_Number__c"] == systems.sales_orders_for(ORDER_ID)[0]["tranId"]


async def test_orders_that_are_not_activated_are_left_alone(
    settings: Settings, systems: FakeSystems, transport: FaultyTransport
) -> None:
    systems.add_order(OTHER_ORDER_ID, status="Draft")
    async with serving(build_app(settings, transport=transport)) as sut:
        await sut.post("/webhooks/salesforce", json=order_event(OTHER_ORDER_ID, replay_id=1))
        await sut.post(
            "/webhooks/salesforce",
            json=order_event(ORDER_ID, replay_id=2, status=None, changed_fields=("Description",)),
        )
        await sut.post(
            "/webhooks/salesforce", json=order_event(ORDER_ID, replay_id=3, change_type="DELETE", changed_fields=())
        )
        await wait_until(lambda: all_settled(settings, 3), "all events are applied")

    assert [row["state"] for row in inbox_rows(settings.state_dir)] == ["done"] * 3
    assert [(e.method, e.path) for e in systems.exchanges if "/services/data/" in e.path] == [
        ("GET", f"/services/data/v62.0/sobjects/Order/{OTHER_ORDER_ID}")
    ]
    assert systems.sales_orders == {}


async def test_a_refusal_by_the_erp_fails_the_delivery_for_good(
    settings: Settings, systems: FakeSystems, transport: FaultyTransport
) -> None:
    transport.faults.append(Fault("PUT", SALES_ORDERS, status=400, body=netsuite_refusal("INVALID_CONTENT"), times=5))
    async with serving(build_app(settings, transport=transport)) as sut:
        await sut.post("/webhooks/salesforce", json=order_event())
        await wait_until(lambda: all_settled(settings, 1), "the delivery is given up")

    [row] = inbox_rows(settings.state_dir)
    assert row["state"] == "failed"
    assert "INVALID_CONTENT" in row["last_error"]
    assert transport.sent_count("PUT", SALES_ORDERS) == 1
    assert not written_back(systems)


async def test_a_throttled_erp_reschedules_the_delivery_no_sooner_than_asked(
    settings: Settings, systems: FakeSystems, transport: FaultyTransport
) -> None:
    transport.faults.append(Fault("PUT", SALES_ORDERS, status=429, headers={"Retry-After": "30"}))
    async with serving(build_app(settings, transport=transport)) as sut:
        await sut.post("/webhooks/salesforce", json=order_event())
        await wait_until(lambda: inbox_rows(settings.state_dir)[0]["attempts"] == 1, "the delivery is rescheduled")

    [row] = inbox_rows(settings.state_dir)
    assert row["state"] == "pending"
    assert row["next_attempt_at"] >= row["received_at"] + 30
    assert "429" in row["last_error"]
    assert transport.sent_count("PUT", SALES_ORDERS) == 1
    assert systems.sales_orders == {}


async def test_a_delivery_left_pending_by_a_previous_run_is_applied_on_start(
    settings: Settings, systems: FakeSystems, transport: FaultyTransport
) -> None:
    settings.state_dir.mkdir(parents=True)
    with closing(open_database(settings.state_dir / STATE_FILE)) as database:
        Inbox(database).accept(json.dumps(order_event()), event_key="salesforce/17", now=time.time())

    async with serving(build_app(settings, transport=transport)):
        await wait_until(lambda: all_settled(settings, 1) and written_back(systems), "the order is captured")
    assert len(systems.sales_orders_for(ORDER_ID)) == 1


async def test_an_expired_salesforce_session_is_renewed(
    settings: Settings, systems: FakeSystems, transport: FaultyTransport
) -> None:
    systems.add_order(OTHER_ORDER_ID)
    async with serving(build_app(settings, transport=transport)) as sut:
        await sut.post("/webhooks/salesforce", json=order_event(ORDER_ID, replay_id=1))
        await wait_until(lambda: written_back(systems, ORDER_ID), "the first order is captured")
        systems.expire_sessions()
        await sut.post("/webhooks/salesforce", json=order_event(OTHER_ORDER_ID, replay_id=2))
        await wait_until(lambda: written_back(systems, OTHER_ORDER_ID), "the second order is captured")

    assert systems.token_requests.count("salesforce") == 2
    assert systems.token_requests.count("erp") == 2
    assert [row["attempts"] for row in inbox_rows(settings.state_dir)] == [0, 0]
