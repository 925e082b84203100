"""The contract checker judges recorded traffic against contracts/: it names the exchange, the place
in the contract and the value, and groups what breaks the same place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.checkers import CheckContext
from harness.checkers.contract import Contract
from harness.history import History
from harness.recorder import DIRECTION_TO_MOCK, DIRECTION_TO_SUT, Exchange, Recorder

LIMITS = {"sforce-limit-info": "api-usage=3/15000"}
ORDER = {
    "reference_id": "1001",
    "shipping_method": "Standard",
    "recipient": {
        "name": "Ada",
        "address": {"address1": "1 Main St", "city": "Boston", "country": "US", "zip_code": "02134"},
        "email": None,
    },
    "products": [{"reference_id": "SKU-00001", "quantity": 1}],
}


def call(
    system: str,
    method: str,
    path: str,
    status: int,
    body: Any = None,
    answer: Any = None,
    *,
    response_headers: dict[str, str] | None = None,
    at: float = 10.0,
) -> Exchange:
    return Exchange(
        system=system,
        direction=DIRECTION_TO_MOCK,
        method=method,
        path=path,
        sim_time=at,
        wall_time=0.0,
        status=status,
        request_headers={"content-type": "application/json"},
        request_body=b"" if body is None else json.dumps(body).encode(),
        response_headers=response_headers or {"content-type": "application/json"},
        response_body=b"" if answer is None else json.dumps(answer).encode(),
    )


def judged(tmp_path: Path, *exchanges: Exchange) -> list[Any]:
    recorder = Recorder(tmp_path / "h.sqlite")
    for exchange in exchanges:
        recorder.exchange(exchange)
    recorder.close()
    with History(tmp_path / "h.sqlite") as history:
        return Contract().check(CheckContext(history, {"W1"}))


def test_traffic_as_the_vendors_document_it_passes(tmp_path: Path) -> None:
    order_id = "801000000000001AAA"
    findings = judged(
        tmp_path,
        call(
            "salesforce",
            "PATCH",
            f"/services/data/v62.0/sobjects/Order/{order_id}",
            204,
            {"ERP_Order_Number__c": "SO1001"},
            response_headers=LIMITS,
        ),
        call(
            "erp",
            "PUT",
            f"/services/rest/record/v1/salesOrder/eid:{order_id}",
            204,
            {"entity": {"id": "7"}},
            response_headers={"location": "http://127.0.0.1/services/rest/record/v1/salesOrder/1001"},
        ),
        call(
            "erp",
            "POST",
            "/services/rest/record/v1/salesOrder",
            503,
            answer={
                "type": "x",
                "title": "Service Unavailable",
                "status": 503,
                "o:errorDetails": [{"detail": "down", "o:errorCode": "SERVICE_UNAVAILABLE"}],
            },
        ),
        call("wms", "POST", "/1.0/order", 422, ORDER, {"type": "x", "title": "Unprocessable Entity", "status": 422}),
    )
    assert findings == []


def test_a_violation_names_the_exchange_the_contract_place_and_the_value(tmp_path: Path) -> None:
    numeric_zip = json.loads(json.dumps(ORDER))
    numeric_zip["recipient"]["address"]["zip_code"] = 2134
    findings = judged(
        tmp_path,
        *[call("wms", "POST", "/1.0/order", 201, numeric_zip, at=60.0 * n) for n in range(5)],
    )
    [finding] = findings
    assert finding.invariant == "requests keep the wms contract"
    assert "5 request(s)" in finding.message and "/recipient/address/zip_code" in finding.message
    assert finding.holdings["contract"].startswith("#/paths/~11.0~1order/post/requestBody/")
    assert len(finding.trace) == 3
    assert finding.trace[1].startswith("#2 t=60.0s POST /1.0/order: 2134")


@pytest.mark.parametrize(
    ("exchange", "broken"),
    [
        (call("salesforce", "GET", "/services/data/v62.0/limits", 200, answer={}), "Sforce-Limit-Info"),
        (call("erp", "POST", "/services/rest/record/v1/salesOrder", 201, {}), "status not among"),
        (call("erp", "POST", "/services/rest/record/v1/salesOrders", 204, {}), "'salesOrders' is not one of"),
        (call("wms", "GET", "/1.0/nothing-here", 404), "no such operation"),
        (
            call("carrier", "POST", "/v2/trackers", 201, {"tracker": {"tracking_code": "9400"}}, {"id": "x"}),
            "responses/201/content",
        ),
    ],
    ids=["missing-limit-header", "undeclared-status", "unknown-record-type", "unknown-path", "bad-answer-body"],
)
def test_each_kind_of_break_is_found(tmp_path: Path, exchange: Exchange, broken: str) -> None:
    findings = judged(tmp_path, exchange)
    told = [f.invariant + " " + f.message + " " + " ".join(f.holdings.values()) for f in findings]
    assert any(broken in text for text in told), told


def test_webhooks_are_held_to_their_event_schema(tmp_path: Path) -> None:
    delivery = Exchange(
        system="carrier",
        direction=DIRECTION_TO_SUT,
        method="POST",
        path="/webhooks/carrier",
        sim_time=5.0,
        wall_time=0.0,
        status=200,
        request_body=json.dumps({"object": "Event", "description": "tracker.updated"}).encode(),
    )
    [finding] = judged(tmp_path, delivery)
    assert finding.invariant == "webhooks keep the carrier contract"
    assert finding.holdings["contract"].startswith("carrier-tracker-event.schema.json#/")
