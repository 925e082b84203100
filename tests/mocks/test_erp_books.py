"""The ERP's stock and accounting rules, straight on its books (no HTTP): what the checkers trust."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mocks.erp.errors import NetSuiteError
from mocks.erp.state import Change, ErpState, Transaction


class Books:
    """A small account: two locations, three items, one customer."""

    def __init__(self, *, tax_rate: float = 0.0, stock: float = 10) -> None:
        self.state = ErpState(lambda: datetime(2026, 11, 27, 8, tzinfo=UTC), tax_rate=tax_rate)
        self.east = self.state.add_location("WH-EAST").id
        self.west = self.state.add_location("WH-WEST").id
        self.items = [self.state.add_item(f"SKU-{n}", f"Thing {n}", basePrice=10.0 * (n + 1)).id for n in range(3)]
        for item in self.items:
            self.state.set_opening_stock(item, self.east, stock)
            self.state.set_opening_stock(item, self.west, stock)
        self.customer = self.state.add_customer("Ada", "001A").id
        self.changes: list[Change] = []
        self.state.listeners.append(self.changes.append)

    def order(self, *lines: tuple[int, float], location: str | None = None, **extra: Any) -> Transaction:
        body: dict[str, Any] = {
            "entity": {"id": self.customer},
            "item": {"items": [{"item": {"id": self.items[n]}, "quantity": q} for n, q in lines]},
            **extra,
        }
        if location is not None:
            body["location"] = {"id": location}
        return self.state.create_sales_order(body)

    def stock(self, n: int, location: str | None = None) -> tuple[float, float, float, float]:
        where = location or self.east
        held = self.state.bin(self.items[n], where)
        return held.on_hand, held.committed, held.available, self.state.backordered(self.items[n], where)

    def transform(self, source: Transaction, target: str, lines: list[dict[str, Any]] | None = None) -> Transaction:
        body = {} if lines is None else {"item": {"items": lines}}
        return self.state.transform(source.type, source.id, target, body)


# -- booking ----------------------------------------------------------------------------------------------


def test_booking_commits_what_is_available_and_backorders_the_rest() -> None:
    books = Books(stock=5)
    order = books.order((0, 3), (1, 8), location=books.east)

    assert order.status_name == "Pending Fulfillment"
    assert [(ln.committed, ln.backordered) for ln in order.lines] == [(3, 0), (5, 3)]
    assert books.stock(0) == (5, 3, 2, 0)
    assert books.stock(1) == (5, 5, 0, 3)
    assert books.stock(1, books.west) == (5, 0, 5, 0), "a line commits only at its own location"
    assert [c.kind for c in books.changes] == ["order.booked"]


def test_pending_approval_commits_nothing_until_approved() -> None:
    books = Books(stock=5)
    order = books.order((0, 2), orderStatus="A")
    assert order.status_name == "Pending Approval"
    assert books.stock(0) == (5, 0, 5, 0)
    assert not books.changes

    books.state.update_sales_order(order, {"orderStatus": {"id": "B"}})
    assert order.status_name == "Pending Fulfillment"
    assert books.stock(0) == (5, 2, 3, 0)
    assert [c.kind for c in books.changes] == ["order.booked"]


def test_received_stock_is_committed_to_backorders_first_come_first_served() -> None:
    books = Books(stock=2)
    first = books.order((0, 3))
    second = books.order((0, 2))
    assert [first.lines[0].committed, second.lines[0].committed] == [2, 0]

    books.state.receive_stock(books.items[0], books.east, 2)
    assert [first.lines[0].committed, second.lines[0].committed] == [3, 1]
    assert books.stock(0) == (4, 4, 0, 1)


def test_cancelling_releases_the_commitment() -> None:
    books = Books(stock=3)
    order = books.order((0, 3))
    books.state.update_sales_order(order, {"orderStatus": "C"})
    assert order.status_name == "Cancelled"
    assert books.stock(0) == (3, 0, 3, 0)
    with pytest.raises(NetSuiteError) as excinfo:
        books.transform(order, "itemFulfillment")
    assert excinfo.value.error_code == "INVALID_INITIALIZE_REF"


# -- fulfilment, billing, status ----------------------------------------------------------------------------


def test_order_status_walks_through_netsuite_states() -> None:
    books = Books(stock=10)
    order = books.order((0, 2), (1, 1))
    walk = [order.status_name]

    books.transform(order, "itemFulfillment", [{"orderLine": 1, "quantity": 1}, {"orderLine": 2, "itemReceive": False}])
    walk.append(order.status_name)
    books.transform(order, "invoice")
    walk.append(order.status_name)
    books.transform(order, "itemFulfillment")
    walk.append(order.status_name)
    books.transform(order, "invoice")
    walk.append(order.status_name)
    books.state.update_sales_order(order, {"orderStatus": "H"})
    walk.append(order.status_name)

    assert walk == [
        "Pending Fulfillment",
        "Pending Billing/Partially Fulfilled",
        "Partially Fulfilled",
        "Pending Billing",
        "Billed",
        "Closed",
    ]
    assert books.stock(0) == (8, 0, 8, 0)
    assert books.stock(1) == (9, 0, 9, 0)


def test_fulfilment_is_refused_beyond_what_is_committed() -> None:
    books = Books(stock=2)
    order = books.order((0, 5))
    with pytest.raises(NetSuiteError) as excinfo:
        books.transform(order, "itemFulfillment", [{"orderLine": 1, "quantity": 3}])
    assert excinfo.value.error_code == "USER_ERROR"
    assert excinfo.value.error_path == "item.items[0].quantity"
    assert books.stock(0) == (2, 2, 0, 3), "a refusal changes nothing"

    shipped = books.transform(order, "itemFulfillment")
    assert [ln.quantity for ln in shipped.lines] == [2]
    assert order.status_name == "Pending Billing/Partially Fulfilled"
    with pytest.raises(NetSuiteError) as excinfo:
        books.transform(order, "itemFulfillment")
    assert excinfo.value.error_code == "USER_ERROR", "nothing committed is left to ship"


def test_a_fulfilment_line_ships_from_the_warehouse_that_picked_it() -> None:
    books = Books(stock=5)
    order = books.order((0, 3))  # committed at the first location, WH-EAST
    west = {"id": books.west}
    shipped = books.transform(order, "itemFulfillment", [{"orderLine": 1, "quantity": 3, "location": west}])

    assert [ln.location_id for ln in shipped.lines] == [books.west]
    assert books.stock(0, books.east) == (5, 0, 5, 0), "the commitment at WH-EAST is released"
    assert books.stock(0, books.west) == (2, 0, 2, 0), "the units leave WH-WEST"
    assert books.state.bin(books.items[0], books.west).fulfilled == 3


def test_shipping_stock_committed_to_another_order_reallocates_the_newest_commitment() -> None:
    books = Books(stock=5)
    first = books.order((0, 5))
    second = books.order((0, 3))
    assert [ln.committed for ln in (*first.lines, *second.lines)] == [5, 0]

    books.transform(second, "itemFulfillment", [{"orderLine": 1, "quantity": 3}])

    on_hand, committed, _, backordered = books.stock(0)
    assert (on_hand, committed) == (2, 2), "never more committed than on hand"
    assert (first.lines[0].committed, backordered) == (2, 3), "the other order gave back what left the shelf"
    with pytest.raises(NetSuiteError) as excinfo:
        books.transform(first, "itemFulfillment", [{"orderLine": 1, "quantity": 3}])
    assert excinfo.value.error_code == "USER_ERROR", "nothing ships beyond what is on hand"
    assert books.stock(0) == (2, 2, 0, 3), "a refusal changes nothing"


def test_invoice_totals_lines_tax_and_shipping_once() -> None:
    books = Books(tax_rate=0.0825, stock=10)
    order = books.order((0, 2), (2, 1), shippingCost=7.5)
    books.transform(order, "itemFulfillment", [{"orderLine": 2, "itemReceive": False}])
    first = books.transform(order, "invoice")
    books.transform(order, "itemFulfillment")
    second = books.transform(order, "invoice")

    assert (first.subtotal, first.tax_total, first.shipping_cost, first.total) == (20.0, 1.65, 7.5, 29.15)
    assert (second.subtotal, second.tax_total, second.shipping_cost, second.total) == (30.0, 2.48, 0.0, 32.48)
    assert order.total == pytest.approx(first.total + second.total, abs=0.011)
    with pytest.raises(NetSuiteError) as excinfo:
        books.transform(order, "invoice")
    assert excinfo.value.error_code == "INVALID_INITIALIZE_REF", "a billed order has nothing left to bill"


def test_an_unshipped_order_cannot_be_invoiced() -> None:
    books = Books()
    order = books.order((0, 1))
    with pytest.raises(NetSuiteError) as excinfo:
        books.transform(order, "invoice")
    assert excinfo.value.error_code == "INVALID_INITIALIZE_REF"


# -- returns and refunds -------------------------------------------------------------------------------------


def shipped_and_billed(books: Books, *lines: tuple[int, float]) -> Transaction:
    order = books.order(*lines)
    books.transform(order, "itemFulfillment")
    books.transform(order, "invoice")
    return order


def test_return_receipt_restocks_by_disposition() -> None:
    books = Books(stock=10)
    order = shipped_and_billed(books, (0, 3))
    rma = books.transform(order, "returnAuthorization")
    assert rma.status_name == "Pending Receipt"

    books.transform(rma, "itemReceipt", [{"orderLine": 1, "quantity": 2, "custcol_disposition": "restock"}])
    assert rma.status_name == "Pending Refund/Partially Received", "received, not yet credited"
    books.transform(rma, "itemReceipt", [{"orderLine": 1, "quantity": 1, "custcol_disposition": "damaged"}])
    assert rma.status_name == "Pending Refund"

    stock = books.state.bin(books.items[0], books.east)
    assert (stock.on_hand, stock.restocked, stock.written_off) == (9, 2, 1)
    assert [c.kind for c in books.changes][-2:] == ["return.received", "return.received"]


def test_cannot_return_more_than_shipped() -> None:
    books = Books()
    order = books.order((0, 3))
    books.transform(order, "itemFulfillment", [{"orderLine": 1, "quantity": 2}])
    with pytest.raises(NetSuiteError) as excinfo:
        books.transform(order, "returnAuthorization", [{"orderLine": 1, "quantity": 3}])
    assert excinfo.value.error_code == "USER_ERROR"
    books.transform(order, "returnAuthorization", [{"orderLine": 1, "quantity": 2}])
    with pytest.raises(NetSuiteError):
        books.transform(order, "returnAuthorization")


def test_an_unreceived_return_cannot_be_credited_or_refunded() -> None:
    books = Books()
    order = shipped_and_billed(books, (0, 2))
    rma = books.transform(order, "returnAuthorization")
    with pytest.raises(NetSuiteError) as excinfo:
        books.transform(rma, "creditMemo")
    assert excinfo.value.error_code == "INVALID_INITIALIZE_REF"
    with pytest.raises(NetSuiteError) as excinfo:
        books.state.create_refund({"customer": {"id": books.customer}, "apply": {"items": [{"doc": {"id": rma.id}}]}})
    assert excinfo.value.error_code == "INVALID_CONTENT"
    assert not books.state.transactions["customerRefund"]


def test_credit_and_refund_stop_at_what_was_received_invoiced_and_paid() -> None:
    books = Books(tax_rate=0.1)
    order = shipped_and_billed(books, (0, 2))
    rma = books.transform(order, "returnAuthorization")
    books.transform(rma, "itemReceipt", [{"orderLine": 1, "quantity": 1}])
    with pytest.raises(NetSuiteError):
        books.transform(rma, "creditMemo", [{"orderLine": 1, "quantity": 2}])
    memo = books.transform(rma, "creditMemo")
    assert (memo.subtotal, memo.tax_total, memo.total) == (10.0, 1.0, 11.0)
    assert rma.status_name == "Partially Received", "what came back is credited; one unit is still out"

    apply = {"customer": {"id": books.customer}, "apply": {"items": [{"doc": {"id": memo.id}, "amount": 11.01}]}}
    with pytest.raises(NetSuiteError) as excinfo:
        books.state.create_refund(apply)
    assert excinfo.value.error_path == "apply.items[0].amount"
    refund = books.state.create_refund(
        {"customer": {"id": books.customer}, "apply": {"items": [{"doc": {"id": memo.id}}]}}
    )
    assert refund.total == 11.0
    assert memo.status_name == "Fully Applied"
    with pytest.raises(NetSuiteError):
        books.state.create_refund(
            {"customer": {"id": books.customer}, "apply": {"items": [{"doc": {"id": memo.id}, "amount": 0.01}]}}
        )
    assert books.changes[-1].kind == "refund.issued"


def test_wrong_transform_pairs_are_invalid_rcrd_transfrm() -> None:
    books = Books()
    order = books.order((0, 1))
    for source, target in (("salesOrder", "creditMemo"), ("salesOrder", "itemReceipt"), ("invoice", "salesOrder")):
        with pytest.raises(NetSuiteError) as excinfo:
            books.state.transform(source, order.id, target, {})
        assert excinfo.value.error_code == "INVALID_RCRD_TRANSFRM"


# -- the invariants, over random histories -----------------------------------------------------------------


class Lifecycle(RuleBasedStateMachine):
    """Random book/fulfil/invoice/return/receive/credit/refund/receive-stock sequences, with standalone
    credit memos for either of two customers; NetSuite refusals are part of the game, and every
    invariant must hold after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.books = Books(tax_rate=0.0725, stock=4)
        self.state = self.books.state
        self.customers = [self.books.customer, self.state.add_customer("Grace", "001B").id]

    def _pick(self, table: str, index: int, statuses: str) -> Transaction | None:
        """Mostly a record the step can apply to (so that chains get long), now and then any."""
        rows = list(self.state.transactions[table].values())
        if index % 5:
            rows = [r for r in rows if r.status in statuses]
        return rows[index % len(rows)] if rows else None

    def _any(self, table: str, statuses: str) -> bool:
        return any(r.status in statuses for r in self.state.transactions[table].values())

    def _try(self, action: Any, *args: Any, **kwargs: Any) -> None:
        try:
            action(*args, **kwargs)
        except NetSuiteError as error:
            assert error.status == 400, error.detail

    @precondition(lambda self: len(self.state.sales_orders) < 4)
    @rule(
        lines=st.lists(st.tuples(st.integers(0, 2), st.integers(1, 6)), min_size=1, max_size=3),
        west=st.booleans(),
        shipping=st.sampled_from([0.0, 4.99]),
    )
    def book(self, lines: list[tuple[int, int]], west: bool, shipping: float) -> None:
        self.books.order(*lines, location=self.books.west if west else self.books.east, shippingCost=shipping)

    @precondition(lambda self: self._any("salesOrder", "BDE"))
    @rule(index=st.integers(0, 50), line=st.integers(1, 3), quantity=st.one_of(st.none(), st.integers(1, 4)))
    def fulfil(self, index: int, line: int, quantity: int | None) -> None:
        order = self._pick("salesOrder", index, "BDE")
        if order is not None:
            line = 1 + (line - 1) % len(order.lines)
            lines = None if quantity is None else [{"orderLine": line, "quantity": quantity}]
            self._try(self.state.transform, "salesOrder", order.id, "itemFulfillment", _body(lines), replace=True)

    @precondition(lambda self: self._any("salesOrder", "DEF"))
    @rule(index=st.integers(0, 50))
    def invoice(self, index: int) -> None:
        order = self._pick("salesOrder", index, "DEF")
        if order is not None:
            self._try(self.state.transform, "salesOrder", order.id, "invoice", {})

    @precondition(lambda self: self._any("salesOrder", "DEFGH"))
    @rule(index=st.integers(0, 50), line=st.integers(1, 3), quantity=st.integers(1, 3))
    def authorise_return(self, index: int, line: int, quantity: int) -> None:
        order = self._pick("salesOrder", index, "DEFGH")
        if order is not None:
            line = 1 + (line - 1) % len(order.lines)
            lines = [{"orderLine": line, "quantity": quantity}]
            self._try(self.state.transform, "salesOrder", order.id, "returnAuthorization", _body(lines), replace=True)

    @precondition(lambda self: self._any("returnAuthorization", "BDE"))
    @rule(index=st.integers(0, 50), quantity=st.integers(1, 3), disposition=st.sampled_from(["restock", "damaged"]))
    def receive_return(self, index: int, quantity: int, disposition: str) -> None:
        rma = self._pick("returnAuthorization", index, "BDE")
        if rma is not None:
            lines = [{"orderLine": 1, "quantity": quantity, "custcol_disposition": disposition}]
            self._try(self.state.transform, "returnAuthorization", rma.id, "itemReceipt", _body(lines), replace=True)

    @precondition(lambda self: self._any("returnAuthorization", "DEF"))
    @rule(index=st.integers(0, 50))
    def credit(self, index: int) -> None:
        rma = self._pick("returnAuthorization", index, "DEF")
        if rma is not None:
            self._try(self.state.transform, "returnAuthorization", rma.id, "creditMemo", {})

    @rule(
        customer=st.integers(0, 1),
        lines=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3), st.integers(0, 40)), min_size=0, max_size=2),
        west=st.booleans(),
    )
    def credit_directly(self, customer: int, lines: list[tuple[int, int, int]], west: bool) -> None:
        """A standalone credit memo (a zero quantity is refused, as NetSuite does)."""
        body = {
            "entity": {"id": self.customers[customer]},
            "location": {"id": self.books.west if west else self.books.east},
            "item": {"items": [{"item": {"id": self.books.items[n]}, "quantity": q, "rate": r} for n, q, r in lines]},
        }
        self._try(self.state.create_credit_memo, body)

    @precondition(lambda self: self._any("creditMemo", "A"))
    @rule(index=st.integers(0, 50), amount=st.one_of(st.none(), st.integers(1, 60)), customer=st.integers(0, 1))
    def refund(self, index: int, amount: int | None, customer: int) -> None:
        memo = self._pick("creditMemo", index, "A")
        if memo is not None:
            application: dict[str, Any] = {"doc": {"id": memo.id}}
            if amount is not None:
                application["amount"] = amount
            self._try(
                self.state.create_refund,
                {"customer": {"id": self.customers[customer]}, "apply": {"items": [application]}},
            )

    @rule(item=st.integers(0, 2), west=st.booleans(), quantity=st.integers(-3, 6))
    def receive_stock(self, item: int, west: bool, quantity: int) -> None:
        where = self.books.west if west else self.books.east
        self._try(self.state.receive_stock, self.books.items[item], where, quantity)

    @invariant()
    def stock_is_never_negative_nor_overcommitted(self) -> None:
        for stock in self.state.bins.values():
            assert stock.on_hand >= -1e-9
            assert stock.committed <= stock.on_hand + 1e-9
            assert stock.committed >= -1e-9

    @invariant()
    def stock_is_conserved_per_sku_and_location(self) -> None:
        for stock in self.state.bins.values():
            moved_in = stock.restocked + stock.received + stock.credited_back
            assert stock.opening - stock.fulfilled + moved_in == pytest.approx(stock.on_hand)

    @invariant()
    def commitments_add_up(self) -> None:
        held: dict[tuple[str, str], float] = {}
        for order in self.state.sales_orders.values():
            for line in order.lines:
                key = (line.item_id, line.location_id or order.location_id or self.books.east)
                held[key] = held.get(key, 0.0) + line.committed
                assert line.fulfilled <= line.quantity + 1e-9
                assert line.billed <= line.fulfilled + 1e-9
                assert line.authorised <= line.fulfilled + 1e-9
                assert line.credited <= line.billed + 1e-9
        for key, stock in self.state.bins.items():
            assert stock.committed == pytest.approx(held.get(key, 0.0))

    @invariant()
    def credits_never_exceed_invoices_and_refunds_never_exceed_credits(self) -> None:
        for order in self.state.sales_orders.values():
            invoiced = sum(t.total for t in self.state.transactions["invoice"].values() if t.order_id == order.id)
            credited = sum(t.total for t in self.state.transactions["creditMemo"].values() if t.order_id == order.id)
            refunded = sum(
                t.total for t in self.state.transactions["customerRefund"].values() if t.order_id == order.id
            )
            assert credited <= invoiced + 1e-6
            assert refunded <= credited + 1e-6
        for rma in self.state.transactions["returnAuthorization"].values():
            for line in rma.lines:
                assert line.credited <= line.received + 1e-9 <= line.quantity + 2e-9

    @invariant()
    def a_customer_is_refunded_at_most_what_the_customer_was_credited(self) -> None:
        """Credits from returns are capped by the order's invoices (above); standalone credits by nothing
        (NetSuite does not); but no refund ever pays out more than the customer's own credit memos hold."""
        memos = self.state.transactions["creditMemo"]
        for customer in self.customers:
            credited = sum(t.total for t in memos.values() if t.entity_id == customer)
            refunds = [t for t in self.state.transactions["customerRefund"].values() if t.entity_id == customer]
            assert sum(t.total for t in refunds) <= credited + 1e-6
            assert all(memos[memo].entity_id == customer for t in refunds for memo, _ in t.applications)
        for memo in memos.values():
            paid = sum(
                a for t in self.state.transactions["customerRefund"].values() for m, a in t.applications if m == memo.id
            )
            assert memo.applied == pytest.approx(paid)
            assert memo.applied <= memo.total + 1e-6
            spent = memo.applied > 0 and memo.applied >= memo.total - 1e-9
            assert memo.status_name == ("Fully Applied" if spent else "Open")


def _body(lines: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {} if lines is None else {"item": {"items": lines}}


TestLifecycle = Lifecycle.TestCase
TestLifecycle.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
