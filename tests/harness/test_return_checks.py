"""W6 invariants over hand-made histories: one of each per return, no refund before receipt, and the
three systems agreeing on what came back and what was paid; each break named by the right checker."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from harness.recorder import Recorder
from harness.verdict import judge_run

SF_ORDER, CASE, ERP_ID, SHIPMENT, WMS_RETURN = "8015g0000007C9NAAU", "5005g0000007C9PAAU", "501", 7, 300001
CUSTOMER = "182"


def documents(kind: str, count: int, total: float, quantity: int = 2) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{kind}-{n}",
            "tranId": f"{kind.upper()}{n}",
            "salesOrder": ERP_ID,
            "total": total,
            "lines": [{"sku": "SKU-1", "quantity": quantity}],
        }
        for n in range(count)
    ]


def make_run(
    tmp_path: Path,
    *,
    received_at: float | None = 500.0,
    refunded_at: float = 600.0,
    refunds: int = 1,
    standalone_refunds: int = 0,
    authorisations: int = 1,
    erp_received: int = 2,
    credit: float = 20.0,
    shown_returned: int = 2,
    case_status: str = "Closed",
    account: str = "erp",
) -> Path:
    run_dir = tmp_path / f"run-{time.monotonic_ns()}"
    run_dir.mkdir()
    recorder = Recorder(run_dir / "history.sqlite")
    recorder.run_info("run", {"scenario": "w6", "seed": 1, "speed": 60, "workflows": ["W6"]})
    recorder.run_info("complete", True)
    case = {
        "Id": CASE,
        "CaseNumber": "00001001",
        "Type": "Return",
        "Order__c": SF_ORDER,
        "Status": case_status,
        "Refund_Status__c": "Refunded" if case_status == "Closed" else "Pending",
        "Refund_Amount__c": 20.0 if case_status == "Closed" else None,
        "IsDeleted": False,
    }
    item = {"OrderId": SF_ORDER, "SKU__c": "SKU-1", "Quantity": 3, "Quantity_Returned__c": shown_returned}
    recorder.final_state(
        "salesforce",
        {
            "records": {
                "Order": {SF_ORDER: {"Id": SF_ORDER, "OrderNumber": "00000101"}},
                "Case": {CASE: case},
                "OrderItem": {"i1": item},
            }
        },
    )
    recorder.final_state(
        account,
        {
            "salesOrders": [
                {
                    "id": ERP_ID,
                    "tranId": "SO1001",
                    "externalId": SF_ORDER,
                    "entity": CUSTOMER,
                    "status": "Billed",
                    "lines": [],
                }
            ],
            "invoices": documents("inv", 1, 30.0, 3),
            "returnAuthorizations": documents("rma", authorisations, 20.0),
            "itemReceipts": documents("ir", 1, 0.0, erp_received),
            "creditMemos": documents("cm", 1, credit),
            "customerRefunds": [
                *(
                    {"id": f"ref-{n}", "tranId": f"REF{n}", "entity": CUSTOMER, "salesOrder": ERP_ID, "total": 20.0}
                    for n in range(refunds)
                ),
                *(
                    {"id": f"sref-{n}", "tranId": f"SREF{n}", "entity": CUSTOMER, "salesOrder": None, "total": 20.0}
                    for n in range(standalone_refunds)
                ),
            ],
            "customers": {CUSTOMER: "001A"},
        },
    )
    status = "Completed" if received_at is not None else "Awaiting Arrival"
    recorder.final_state(
        "wms",
        {
            "orders": [{"id": 900, "reference_id": ERP_ID, "shipments": [{"id": SHIPMENT, "lines": {"SKU-1": 3}}]}],
            "returns": [
                {
                    "id": WMS_RETURN,
                    "reference_id": CASE,
                    "status": status,
                    "original_shipment_id": SHIPMENT,
                    "items": [{"sku": "SKU-1", "quantity": 2, "actions": []}],
                }
            ],
        },
    )
    if received_at is not None:
        recorder.event("wms", "return.completed", CASE, {"return": WMS_RETURN}, received_at)
    for n in range(refunds):
        recorder.event(
            account, "refund.issued", SF_ORDER, {"recordType": "customerRefund", "id": f"ref-{n}"}, refunded_at + n
        )
    recorder.close()
    return run_dir


def failures(run_dir: Path) -> set[tuple[str, str]]:
    return {(f.checker, f.invariant) for r in judge_run(run_dir).results for f in r.findings}


def test_a_return_refunded_once_after_receipt_passes(tmp_path: Path) -> None:
    run = make_run(tmp_path)
    assert failures(run) == set()
    metrics = judge_run(run).metrics
    assert metrics["refunds_issued"] == metrics["returns_received"] == metrics["returns_closed"] == 1
    assert metrics["refund_after_receipt_p50_sim_s"] == 100.0


def test_a_refund_before_the_parcel_arrived_is_caught_by_history_alone(tmp_path: Path) -> None:
    run = make_run(tmp_path, received_at=700.0, refunded_at=600.0)
    assert failures(run) == {("history", "no refund before the return was received")}


def test_a_refund_for_a_return_never_received_is_caught(tmp_path: Path) -> None:
    found = failures(make_run(tmp_path, received_at=None, case_status="Working", shown_returned=0, erp_received=0))
    assert ("history", "no refund before the return was received") in found
    assert ("exactly-once", "one refund per return received") in found


def test_a_refund_repeated_is_caught(tmp_path: Path) -> None:
    found = failures(make_run(tmp_path, refunds=2))
    assert ("exactly-once", "one refund per return received") in found
    assert ("consistency", "refunded amounts agree with the credits") in found


def test_a_refund_repeated_through_a_standalone_credit_is_caught_per_customer(tmp_path: Path) -> None:
    run = make_run(tmp_path, standalone_refunds=1)
    assert failures(run) == {("exactly-once", "one refund per return received")}
    [finding] = [f for r in judge_run(run).results for f in r.findings]
    assert finding.keys == (CUSTOMER, SF_ORDER, CASE)
    assert "001A" in finding.message and "1 name no sales order" in finding.message


def test_refunds_that_name_their_order_are_judged_per_order_only(tmp_path: Path) -> None:
    findings = [f for r in judge_run(make_run(tmp_path, refunds=2)).results for f in r.findings]
    assert [f.keys[0] for f in findings if f.invariant == "one refund per return received"] == [SF_ORDER]


def test_a_second_return_authorisation_is_caught(tmp_path: Path) -> None:
    assert failures(make_run(tmp_path, authorisations=2)) == {
        ("exactly-once", "one ERP return authorisation per return case")
    }


def test_quantities_and_amounts_must_agree_across_the_systems(tmp_path: Path) -> None:
    assert ("consistency", "returned quantities agree (WMS, ERP)") in failures(make_run(tmp_path, erp_received=1))
    assert failures(make_run(tmp_path, shown_returned=1)) == {
        ("consistency", "Salesforce shows the returned quantities, line by line")
    }
    over = failures(make_run(tmp_path, credit=35.0))
    assert ("consistency", "credits never exceed what was invoiced") in over


def test_a_received_return_whose_case_stays_open_is_caught(tmp_path: Path) -> None:
    assert failures(make_run(tmp_path, case_status="Working")) == {
        ("consistency", "every received return's case closed with the refund")
    }


def test_a_return_settled_in_a_cutovers_successor_is_judged_from_its_books(tmp_path: Path) -> None:
    run = make_run(tmp_path, account="erp-next")
    assert failures(run) == set()
    metrics = judge_run(run).metrics
    assert metrics["refunds_issued"] == metrics["returns_received"] == metrics["returns_closed"] == 1
    assert metrics["refund_after_receipt_p50_sim_s"] == 100.0
    repeated = failures(make_run(tmp_path, account="erp-next", standalone_refunds=1))
    assert repeated == {("exactly-once", "one refund per return received")}
