"""The service desk (W6): an agent's return case, its return order and lines in one transaction, and
its change event on the bus, pushed and pulled on its own channel, shaped as the contract says."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from shipping_rig import capturing_context, outbox_of

from contracts import EVENTS as EVENT_SCHEMAS
from harness.recorder import Recorder
from mocks.base import MockContext
from mocks.salesforce import ReturnedLine, SalesforceMock

V = "/services/data/v62.0"
CASE_EVENTS = f"{V}/rehearse/events/data/CaseChangeEvent"
ORDER_EVENTS = f"{V}/rehearse/events/data/OrderChangeEvent"
CASE_SCHEMA = Draft202012Validator(
    json.loads((EVENT_SCHEMAS / "salesforce-case-change-event.schema.json").read_text(encoding="utf-8"))
)


@pytest.fixture
def context(recorder: Recorder, outbox_client: httpx.AsyncClient) -> MockContext:
    """The org with an outbox that keeps what it pushed."""
    return capturing_context(recorder, outbox_client, seed=20261127)


def open_return(salesforce: SalesforceMock, order_id: str, quantity: int = 1) -> str:
    [first, *_] = sorted(salesforce.state.where("OrderItem", OrderId=order_id), key=lambda i: str(i["Id"]))
    case_id = salesforce.service.open_return(order_id, [ReturnedLine(first["Id"], quantity, "Wrong size")])
    salesforce.context.world.env.run()
    return case_id


def test_a_return_case_names_its_order_lines_and_quantities(
    sf: Any, sf_token: str, salesforce: SalesforceMock, place_order: Any
) -> None:
    order_id = place_order(((0, 2), (1, 1)))
    case_id = open_return(salesforce, order_id, quantity=2)
    case = sf.get(f"{V}/sobjects/Case/{case_id}", token=sf_token).json()
    assert (case["Type"], case["Status"], case["Order__c"], case["Refund_Status__c"]) == (
        "Return",
        "New",
        order_id,
        "Requested",
    )
    [return_order] = sf.get(f"{V}/sobjects/Case/{case_id}/ReturnOrders", token=sf_token).json()["records"]
    lines = sf.get(f"{V}/sobjects/ReturnOrder/{return_order['Id']}/ReturnOrderLineItems", token=sf_token).json()
    [line] = lines["records"]
    item = sf.get(f"{V}/sobjects/OrderItem/{line['OrderItemId']}", token=sf_token).json()
    assert item["OrderId"] == order_id and line["QuantityReturned"] == 2


def test_the_case_event_is_pushed_and_pulled_on_its_own_channel(
    sf: Any, sf_token: str, salesforce: SalesforceMock, place_order: Any
) -> None:
    order_id = place_order()
    case_id = open_return(salesforce, order_id)
    cases = sf.get(CASE_EVENTS, token=sf_token, params={"replayId": -2}).json()
    assert cases["channel"] == "/data/CaseChangeEvent" and cases["done"] is True
    [event] = cases["events"]
    assert list(CASE_SCHEMA.iter_errors(event)) == []
    header = event["payload"]["ChangeEventHeader"]
    assert (header["entityName"], header["changeType"], header["recordIds"]) == ("Case", "CREATE", [case_id])
    assert event["event"]["replayId"] == cases["latestReplayId"] == 3
    orders = sf.get(ORDER_EVENTS, token=sf_token, params={"replayId": -2}).json()
    assert [e["event"]["replayId"] for e in orders["events"]] == [1, 2]
    assert sf.get(CASE_EVENTS, token=sf_token, params={"replayId": 2}).json()["events"] == [event]
    assert outbox_of(salesforce.context).bodies("/data/CaseChangeEvent") == [event]


def test_an_unknown_channel_is_not_found(sf: Any, sf_token: str) -> None:
    reply = sf.get(f"{V}/rehearse/events/data/AccountChangeEvent", token=sf_token, params={"replayId": -2})
    assert reply.status_code == 404 and reply.json()[0]["errorCode"] == "NOT_FOUND"
