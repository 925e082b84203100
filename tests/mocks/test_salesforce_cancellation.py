"""A customer asking to cancel an order in the storefront: only an activated order takes the request,
which the org records and announces on the order's change event channel like the activation."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from harness.population import Population
from harness.world import World
from mocks.salesforce import SalesforceMock
from mocks.salesforce.events import CHANNEL


def test_an_activated_order_takes_the_request_and_announces_it(
    salesforce: SalesforceMock, world: World, place_order: Callable[[Sequence[tuple[int, int]]], str]
) -> None:
    order_id = place_order(((0, 1),))
    announced = len(salesforce.changes.retained)

    assert salesforce.commerce.request_cancellation(order_id) is True
    world.env.run(until=world.env.now + 5)

    assert salesforce.state.get("Order", order_id)["Status"] == "Cancellation Requested"
    [event] = list(salesforce.changes.retained)[announced:]
    payload = event.body["payload"]
    assert event.channel == CHANNEL
    assert payload["ChangeEventHeader"]["changeType"] == "UPDATE"
    assert payload["ChangeEventHeader"]["recordIds"] == [order_id]
    assert "Status" in payload["ChangeEventHeader"]["changedFields"]
    assert payload["Status"] == "Cancellation Requested"


def test_a_draft_order_or_one_already_asked_about_refuses(
    salesforce: SalesforceMock,
    population: Population,
    place_order: Callable[[Sequence[tuple[int, int]]], str],
) -> None:
    account = salesforce.account_ids[population.customers[0].number]
    draft = salesforce.state.create(
        "Order",
        {
            "AccountId": account,
            "Pricebook2Id": salesforce.pricebook_id,
            "Status": "Draft",
            "EffectiveDate": "2026-11-27",
        },
    )
    announced = len(salesforce.changes.retained)
    assert salesforce.commerce.request_cancellation(draft["Id"]) is False
    assert salesforce.state.get("Order", draft["Id"])["Status"] == "Draft"
    assert len(salesforce.changes.retained) == announced

    order_id = place_order(((0, 1),))
    assert salesforce.commerce.request_cancellation(order_id) is True
    assert salesforce.commerce.request_cancellation(order_id) is False


def test_the_integration_may_answer_with_cancelled_or_activated_and_a_reason(
    salesforce: SalesforceMock, place_order: Callable[[Sequence[tuple[int, int]]], str]
) -> None:
    refused, accepted = place_order(((0, 1),)), place_order(((1, 1),))
    for order_id in (refused, accepted):
        salesforce.commerce.request_cancellation(order_id)
    salesforce.state.update("Order", accepted, {"Status": "Cancelled", "Fulfillment_Status__c": "Cancelled"})
    salesforce.state.update(
        "Order", refused, {"Status": "Activated", "Cancellation_Refused_Reason__c": "already picked"}
    )
    assert salesforce.state.get("Order", accepted)["Status"] == "Cancelled"
    assert salesforce.state.get("Order", refused)["Cancellation_Refused_Reason__c"] == "already picked"
