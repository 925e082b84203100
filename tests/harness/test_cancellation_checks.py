"""Cancelled orders over hand-made histories: a parcel for an order the customer was told is cancelled
is history's finding (and only history's), a cancellation accepted or refused cleanly is no finding,
and the systems must agree on which orders are cancelled."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from harness.recorder import DIRECTION_TO_MOCK, Exchange, Recorder
from harness.verdict import judge_run

SF_ORDER, ERP_ID, WMS_ID = "8015g0000007C9NAAU", "501", 901
SHIPS = "no shipment for a cancelled order"


def shipment(stage: str) -> dict[str, Any]:
    status = {"Shipped": "Completed", "Packed": "LabeledCreated", "Cancelled": "Cancelled"}.get(stage, "Processing")
    return {"id": 1, "status": status, "stage": stage, "lines": {"SKU-1": 2}, "tracking_number": None}


def make_run(
    tmp_path: Path,
    *,
    sf_status: str,
    erp_status: str,
    wms_status: str | None,
    stage: str = "Cancelled",
    fulfilled: int = 0,
    status_writes: tuple[str, ...] = (),
    labelled: bool = False,
    erp_copies: int = 1,
) -> Path:
    """One order of two units through W1 and W3: Salesforce, its ERP order and (unless ``wms_status`` is
    None) its WMS order with one shipment at ``stage``; ``status_writes`` are the integration's PATCHes of
    the order's Status, in order."""
    run_dir = tmp_path / f"run-{time.monotonic_ns()}"
    run_dir.mkdir()
    recorder = Recorder(run_dir / "history.sqlite")
    recorder.run_info("run", {"scenario": "cancel", "seed": 1, "speed": 60, "workflows": ["W1", "W3"]})
    recorder.run_info("complete", True)
    item = {"OrderId": SF_ORDER, "SKU__c": "SKU-1", "Quantity": 2, "UnitPrice": 10.0, "IsDeleted": False}
    order = {"Id": SF_ORDER, "OrderNumber": "00000101", "Status": sf_status, "ERP_Order_Number__c": "SO1001"}
    recorder.final_state("salesforce", {"records": {"Order": {SF_ORDER: order}, "OrderItem": {"i1": item}}})
    sales_order = {
        "id": ERP_ID,
        "tranId": "SO1001",
        "externalId": SF_ORDER,
        "otherRefNum": SF_ORDER,
        "status": erp_status,
        "total": 20.0,
        "lines": [{"sku": "SKU-1", "quantity": 2, "rate": 10.0, "fulfilled": fulfilled}],
    }
    fulfilments = [{"salesOrder": ERP_ID, "tranId": "IF1", "lines": [{"sku": "SKU-1", "quantity": 2}]}] * bool(
        fulfilled
    )
    copies = [sales_order] + [
        {**sales_order, "id": f"{ERP_ID}{n}", "tranId": f"SO100{n}"} for n in range(2, erp_copies + 1)
    ]
    recorder.final_state("erp", {"salesOrders": copies, "itemFulfillments": fulfilments, "invoices": []})
    wms = [{"id": WMS_ID, "reference_id": ERP_ID, "status": wms_status, "shipments": [shipment(stage)]}]
    recorder.final_state("wms", {"orders": wms if wms_status is not None else []})
    recorder.event("salesforce", "order.activated", SF_ORDER, {}, 10)
    recorder.event("erp", "salesOrder.created", SF_ORDER, {"id": ERP_ID}, 20)
    if wms_status is not None:
        recorder.event("wms", "order.created", ERP_ID, {"order": WMS_ID}, 30)
    if labelled:
        recorder.event("wms", "shipment.labelled", ERP_ID, {"shipment": 1, "tracking": "9400"}, 40)
    for n, status in enumerate(status_writes):
        recorder.exchange(
            Exchange(
                "salesforce",
                DIRECTION_TO_MOCK,
                "PATCH",
                f"/services/data/v62.0/sobjects/Order/{SF_ORDER}",
                100 + n,
                time.time(),
                status=204,
                request_body=json.dumps({"Status": status}).encode(),
                response_headers={"sforce-limit-info": f"api-usage={n + 1}/15000"},
                business_keys=(SF_ORDER,),
            )
        )
    recorder.close()
    return run_dir


def failures(run_dir: Path) -> set[tuple[str, str]]:
    return {(f.checker, f.invariant) for r in judge_run(run_dir).results for f in r.findings}


def test_a_cancellation_accepted_everywhere_is_no_finding(tmp_path: Path) -> None:
    run = make_run(tmp_path, sf_status="Cancelled", erp_status="Cancelled", wms_status="Cancelled")
    assert failures(run) == set()
    assert failures(make_run(tmp_path, sf_status="Cancelled", erp_status="Cancelled", wms_status=None)) == set()


def test_a_refused_cancellation_is_no_finding(tmp_path: Path) -> None:
    run = make_run(
        tmp_path,
        sf_status="Activated",
        erp_status="Pending Fulfillment",
        wms_status="Processing",
        stage="Packed",
        status_writes=("Activated",),
        labelled=True,
    )
    assert failures(run) == set()


def test_a_parcel_for_a_cancelled_order_is_history_s_finding_alone(tmp_path: Path) -> None:
    run = make_run(
        tmp_path,
        sf_status="Cancelled",
        erp_status="Cancelled",
        wms_status="Fulfilled",
        stage="Shipped",
        status_writes=("Cancelled",),
        labelled=True,
    )
    findings = [f for r in judge_run(run).results for f in r.findings]
    assert [(f.checker, f.invariant) for f in findings] == [("history", SHIPS)]
    [finding] = findings
    assert finding.keys == (SF_ORDER, "SO1001", f"wms:{WMS_ID}")
    assert {"wms shipments past picking", "carrier labels"} <= finding.holdings.keys()
    assert finding.trace and "PATCH" in finding.trace[0]


def test_an_erp_fulfilment_for_a_cancelled_order_is_caught_too(tmp_path: Path) -> None:
    run = make_run(tmp_path, sf_status="Cancelled", erp_status="Billed", wms_status=None, fulfilled=2)
    found = failures(run)
    assert ("history", SHIPS) in found
    assert ("consistency", "a cancelled order is cancelled in the ERP and the WMS") in found


def test_cancelled_is_terminal(tmp_path: Path) -> None:
    run = make_run(
        tmp_path,
        sf_status="Activated",
        erp_status="Cancelled",
        wms_status="Cancelled",
        status_writes=("Cancelled", "Activated"),
    )
    found = failures(run)
    assert ("history", "Cancelled is terminal") in found
    assert ("history", SHIPS) not in found


def test_a_request_left_unanswered_is_a_lost_cancellation(tmp_path: Path) -> None:
    run = make_run(
        tmp_path,
        sf_status="Cancellation Requested",
        erp_status="Pending Fulfillment",
        wms_status="Processing",
        stage="Queued",
    )
    assert failures(run) == {("consistency", "every request to cancel is answered")}


def test_salesforce_and_the_downstream_systems_must_agree(tmp_path: Path) -> None:
    told_but_not_done = make_run(
        tmp_path, sf_status="Cancelled", erp_status="Pending Fulfillment", wms_status="Processing", stage="Queued"
    )
    assert failures(told_but_not_done) == {("consistency", "a cancelled order is cancelled in the ERP and the WMS")}
    done_but_not_told = make_run(tmp_path, sf_status="Activated", erp_status="Cancelled", wms_status="Cancelled")
    assert failures(done_but_not_told) == {
        ("consistency", "an order cancelled downstream shows Cancelled in Salesforce")
    }


def test_two_erp_orders_for_a_cancelled_order_are_still_one_too_many(tmp_path: Path) -> None:
    run = make_run(tmp_path, sf_status="Cancelled", erp_status="Cancelled", wms_status=None, erp_copies=2)
    assert failures(run) == {("exactly-once", "one ERP sales order per Salesforce order")}
