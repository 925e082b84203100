"""W3-W5 invariants over hand-made histories: each break is named by the right checker."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from harness.recorder import DIRECTION_TO_MOCK, Exchange, Recorder
from harness.verdict import judge_run

SF_ORDER, ERP_ID = "8015g0000007C9NAAU", "501"


def sales_order(fulfilled: int, status: str = "Partially Fulfilled") -> dict[str, Any]:
    return {
        "id": ERP_ID,
        "tranId": "SO1001",
        "externalId": SF_ORDER,
        "otherRefNum": SF_ORDER,
        "status": status,
        "total": 40.0,
        "lines": [
            {"sku": "SKU-1", "quantity": 2, "rate": 10.0, "fulfilled": fulfilled},
            {"sku": "SKU-2", "quantity": 2, "rate": 10.0, "fulfilled": 0},
        ],
    }


def wms_order(reference: str = ERP_ID, shipment_id: int = 1) -> dict[str, Any]:
    return {
        "id": 900 + shipment_id,
        "reference_id": reference,
        "status": "PartiallyFulfilled",
        "shipments": [
            {"id": shipment_id, "status": "Completed", "lines": {"SKU-1": 2}, "tracking_number": "9400"},
            {"id": shipment_id + 100, "status": "Exception", "lines": {"SKU-2": 2}, "tracking_number": None},
        ],
    }


def make_run(
    tmp_path: Path,
    *,
    wms: list[dict[str, Any]],
    fulfilments: int = 1,
    fulfilled: int = 2,
    shipped_shown: int = 2,
    sf_status: str = "Partially Shipped",
    status_patches: tuple[str, ...] = (),
    through_collection: bool = False,
    invoice_rate: float | None = None,
    erp_account: str = "erp",
) -> Path:
    run_dir = tmp_path / f"run-{time.monotonic_ns()}"
    run_dir.mkdir()
    recorder = Recorder(run_dir / "history.sqlite")
    recorder.run_info("run", {"scenario": "w4", "seed": 1, "speed": 60, "workflows": ["W1", "W3", "W4", "W5"]})
    recorder.run_info("complete", True)
    items = {
        "i1": {
            "OrderId": SF_ORDER,
            "SKU__c": "SKU-1",
            "Quantity": 2,
            "UnitPrice": 10.0,
            "IsDeleted": False,
            "Quantity_Shipped__c": shipped_shown,
        },
        "i2": {
            "OrderId": SF_ORDER,
            "SKU__c": "SKU-2",
            "Quantity": 2,
            "UnitPrice": 10.0,
            "IsDeleted": False,
            "Quantity_Shipped__c": 0,
        },
    }
    order = {
        "Id": SF_ORDER,
        "OrderNumber": "00000101",
        "Status": "Activated",
        "ERP_Order_Number__c": "SO1001",
        "Fulfillment_Status__c": sf_status,
    }
    recorder.final_state("salesforce", {"records": {"Order": {SF_ORDER: order}, "OrderItem": items}})
    invoiced = [] if invoice_rate is None else [{"sku": "SKU-1", "quantity": 2, "rate": invoice_rate}]
    doc = {"salesOrder": ERP_ID, "lines": [{"sku": "SKU-1", "quantity": fulfilled // max(fulfilments, 1)}]}
    recorder.final_state(
        erp_account,
        {
            "salesOrders": [sales_order(fulfilled)],
            "itemFulfillments": [doc] * fulfilments,
            "invoices": [{"salesOrder": ERP_ID, "lines": invoiced}] * fulfilments,
        },
    )
    recorder.final_state("wms", {"orders": wms})
    recorder.event("salesforce", "order.activated", SF_ORDER, {}, 10)
    recorder.event("erp", "salesOrder.created", SF_ORDER, {"id": ERP_ID}, 20)
    for copy in wms:
        recorder.event("wms", "order.created", copy["reference_id"], {}, 30)
    for n, status in enumerate(status_patches):
        record = {"attributes": {"type": "Order"}, "id": SF_ORDER, "Fulfillment_Status__c": status}
        recorder.exchange(
            Exchange(
                "salesforce",
                DIRECTION_TO_MOCK,
                "PATCH",
                "/services/data/v62.0/composite/sobjects",
                100 + n,
                time.time(),
                status=200,
                request_body=json.dumps({"allOrNone": True, "records": [record]}).encode(),
                response_body=json.dumps([{"id": SF_ORDER, "success": True, "errors": []}]).encode(),
                response_headers={"content-type": "application/json", "sforce-limit-info": f"api-usage={n + 1}/15000"},
            )
            if through_collection
            else Exchange(
                "salesforce",
                DIRECTION_TO_MOCK,
                "PATCH",
                f"/services/data/v62.0/sobjects/Order/{SF_ORDER}",
                100 + n,
                time.time(),
                status=204,
                request_body=json.dumps({"Fulfillment_Status__c": status}).encode(),
                response_headers={"sforce-limit-info": f"api-usage={n + 1}/15000"},
            )
        )
    recorder.close()
    return run_dir


def failures(run_dir: Path) -> set[tuple[str, str]]:
    return {(f.checker, f.invariant) for r in judge_run(run_dir).results for f in r.findings}


def test_a_consistent_partial_shipment_passes(tmp_path: Path) -> None:
    run = make_run(tmp_path, wms=[wms_order()], status_patches=("Partially Shipped",))
    assert failures(run) == set()
    assert {r.name for r in judge_run(run).results} >= {"history", "consistency", "exactly-once"}


def test_a_split_order_shown_as_shipped_is_caught(tmp_path: Path) -> None:
    run = make_run(tmp_path, wms=[wms_order()], sf_status="Shipped")
    assert failures(run) == {("consistency", "an order shows Shipped only when every unit shipped")}


@pytest.mark.parametrize("account", ["erp", "erp-next"])
def test_an_invoice_at_salesforce_prices_passes_and_one_at_the_line_total_is_caught(
    tmp_path: Path, account: str
) -> None:
    # erp-next: a cutover's successor books and invoices orders too, and is held to the same prices.
    assert failures(make_run(tmp_path, wms=[wms_order()], invoice_rate=10.0, erp_account=account)) == set()
    overbilled = make_run(tmp_path, wms=[wms_order()], invoice_rate=20.0, erp_account=account)
    assert failures(overbilled) == {("consistency", "amounts invoiced agree with Salesforce prices, line by line")}


def test_a_booked_order_never_released_is_caught(tmp_path: Path) -> None:
    run = make_run(tmp_path, wms=[], fulfilled=0, shipped_shown=0)
    assert ("consistency", "every booked ERP order released to the warehouse") in failures(run)


def test_two_wms_orders_for_one_erp_order_are_caught(tmp_path: Path) -> None:
    copies = [wms_order(), {**wms_order(shipment_id=2), "reference_id": ERP_ID, "shipments": []}]
    assert ("exactly-once", "one WMS order per ERP order") in failures(make_run(tmp_path, wms=copies))


def test_a_shipment_fulfilled_twice_is_caught(tmp_path: Path) -> None:
    run = make_run(tmp_path, wms=[wms_order()], fulfilments=2, fulfilled=4)
    found = failures(run)
    assert ("exactly-once", "one ERP fulfilment per WMS shipment") in found
    assert ("consistency", "every shipment recorded in the ERP, line by line") in found


def test_salesforce_quantities_must_follow_the_warehouse(tmp_path: Path) -> None:
    run = make_run(tmp_path, wms=[wms_order()], shipped_shown=0)
    assert failures(run) == {("consistency", "Salesforce shows the shipped quantities, line by line")}


@pytest.mark.parametrize("through_collection", [False, True], ids=["order-url", "sobject-collection"])
def test_a_status_that_moves_backwards_is_caught_with_both_exchanges(tmp_path: Path, through_collection: bool) -> None:
    statuses = ("Partially Shipped", "Delivered", "Partially Shipped")
    run = make_run(tmp_path, wms=[wms_order()], status_patches=statuses, through_collection=through_collection)
    findings = [f for r in judge_run(run).results for f in r.findings]
    assert [(f.checker, f.invariant) for f in findings] == [
        ("history", "Salesforce fulfilment status only moves forward")
    ]
    assert len(findings[0].trace) == 2 and "Delivered" in findings[0].message


def test_a_wms_order_for_an_unknown_erp_order_is_caught(tmp_path: Path) -> None:
    stray = {**wms_order(), "reference_id": "999"}
    assert ("history", "no WMS order before its ERP order was booked") in failures(
        make_run(tmp_path, wms=[wms_order(), stray])
    )
