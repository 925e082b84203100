"""What happens in the org without the SUT: shoppers check out, and the event bus publishes.

Commerce creates an order as Draft with its products, then activates it once payment clears; the
change event leaves the bus a moment after the commit. A customer may later ask to cancel an activated
order; beyond that, nothing touches an order but the SUT.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import simpy

from harness.outbox import Message
from mocks.base import MockContext
from mocks.salesforce.events import SYSTEM, ChangeEventStream
from mocks.salesforce.state import SalesforceState


@dataclass(frozen=True, slots=True)
class CartLine:
    pricebook_entry_id: str
    quantity: int
    unit_price: float


@dataclass(frozen=True, slots=True)
class CommerceTiming:
    payment_clearance: float = 20.0
    """Simulated seconds between checkout (Draft) and activation."""
    event_bus_latency: float = 1.0
    """Simulated seconds between a commit and its change event leaving the bus."""


class OrgSide:
    """A side of the org that changes records by itself (shoppers, service agents) and announces each
    change on the event bus a moment after its commit."""

    def __init__(
        self,
        context: MockContext,
        state: SalesforceState,
        changes: ChangeEventStream,
        timing: CommerceTiming = CommerceTiming(),
    ) -> None:
        self.context = context
        self.world = context.world
        self.state = state
        self.changes = changes
        self.timing = timing

    def announce(self, message: Message) -> None:
        self.world.call_later(self.timing.event_bus_latency, lambda: self.context.outbox.publish(message))


class Commerce(OrgSide):
    """The storefront side of the org: places and activates orders as shoppers check out, and takes a
    customer's request to cancel an activated order.

    ``activation_listeners`` hear of each activation as it commits: the storefront's own later
    activity (a customer changing their mind) is timed from that moment.
    """

    def __init__(
        self,
        context: MockContext,
        state: SalesforceState,
        changes: ChangeEventStream,
        timing: CommerceTiming = CommerceTiming(),
    ) -> None:
        super().__init__(context, state, changes, timing)
        self.activation_listeners: list[Callable[[str], object]] = []

    def checkout(
        self, account_id: str, pricebook_id: str, lines: Sequence[CartLine]
    ) -> Generator[simpy.Event, Any, str]:
        """A shopper's checkout as a SimPy process; its value is the order id."""
        order = self.state.create(
            "Order",
            {
                "AccountId": account_id,
                "Pricebook2Id": pricebook_id,
                "Status": "Draft",
                "EffectiveDate": self.world.clock.datetime_at(self.world.env.now).date().isoformat(),
            },
        )
        for line in lines:
            self.state.create(
                "OrderItem",
                {
                    "OrderId": order["Id"],
                    "PricebookEntryId": line.pricebook_entry_id,
                    "Quantity": line.quantity,
                    "UnitPrice": line.unit_price,
                },
            )
        self.context.record(SYSTEM, "order.placed", order["Id"], {"lines": len(lines), "account": account_id})
        self.publish(order["Id"], "CREATE", {k: v for k, v in order.items() if v is not None and k != "Id"})
        yield self.world.env.timeout(self.timing.payment_clearance)
        activated = self.state.update("Order", order["Id"], {"Status": "Activated"})
        self.context.record(SYSTEM, "order.activated", order["Id"], {"total": activated["TotalAmount"]})
        self.publish(
            order["Id"],
            "UPDATE",
            {
                "Status": activated["Status"],
                "ActivatedDate": activated["ActivatedDate"],
                "LastModifiedDate": activated["LastModifiedDate"],
            },
        )
        for listener in self.activation_listeners:
            listener(str(order["Id"]))
        return str(order["Id"])

    def request_cancellation(self, order_id: str) -> bool:
        """The customer asks to cancel: only an Activated order takes the request (a Draft one was never
        sold, and one already asked about waits for its answer). ``False`` when it was not taken.

        The org only records the request; whether the goods can still be stopped is for the
        integration to find out downstream and to answer with ``Cancelled`` or back to ``Activated``.
        """
        order = self.state.get("Order", order_id)
        if order["Status"] != "Activated":
            return False
        requested = self.state.update("Order", order_id, {"Status": "Cancellation Requested"})
        self.context.record(SYSTEM, "order.cancellation_requested", order_id, {"number": requested["OrderNumber"]})
        self.publish(
            order_id,
            "UPDATE",
            {"Status": requested["Status"], "LastModifiedDate": requested["LastModifiedDate"]},
        )
        return True

    def publish(self, order_id: str, change_type: str, changed: dict[str, Any]) -> None:
        self.announce(
            self.changes.order_change(order_id, change_type, changed, self.world.clock.datetime_at(self.world.env.now))
        )


@dataclass(frozen=True, slots=True)
class ReturnedLine:
    order_item_id: str
    quantity: int
    reason: str = "Changed mind"


class ServiceDesk(OrgSide):
    """The service side of the org: agents open return cases when customers call about an order.

    A return is a Case (``Type`` Return, ``Order__c``) with one ReturnOrder whose line items name the
    OrderItems and quantities coming back; the case's change event is what the integration acts on.
    """

    def open_return(self, order_id: str, lines: Sequence[ReturnedLine]) -> str:
        """Opens the case with its return order in one transaction; its value is the case id."""
        order = self.state.get("Order", order_id)
        with self.state.transaction():
            case = self.state.create(
                "Case",
                {
                    "AccountId": order["AccountId"],
                    "Order__c": order_id,
                    "Type": "Return",
                    "Origin": "Phone",
                    "Priority": "Medium",
                    "Subject": f"Return for order {order['OrderNumber']}",
                    "Status": "New",
                    "Refund_Status__c": "Requested",
                },
            )
            return_order = self.state.create(
                "ReturnOrder",
                {"CaseId": case["Id"], "OrderId": order_id, "AccountId": order["AccountId"], "Status": "Submitted"},
            )
            for line in lines:
                self.state.create(
                    "ReturnOrderLineItem",
                    {
                        "ReturnOrderId": return_order["Id"],
                        "OrderItemId": line.order_item_id,
                        "QuantityReturned": line.quantity,
                        "ReasonForReturn": line.reason,
                    },
                )
        units = sum(line.quantity for line in lines)
        self.context.record(SYSTEM, "case.opened", case["Id"], {"order": order_id, "lines": len(lines), "units": units})
        changed = {k: v for k, v in case.items() if v is not None and k != "Id"}
        message = self.changes.change(
            "Case",
            case["Id"],
            "CREATE",
            changed,
            self.world.clock.datetime_at(self.world.env.now),
            business_keys=(order_id,),
        )
        self.announce(message)
        return str(case["Id"])
