"""Writes the example pacts ``good.json`` and ``bad.json`` with pact-python's consumer DSL.

An integration team's consumer tests, in miniature: each interaction is declared, exercised against
Pact's mock server with httpx (as the team's client code would call the ERP and the WMS), and the
pact file written from what was exercised. ``good.json`` holds expectations the mocks keep;
``bad.json`` holds one a NetSuite client must not have (a create answering 201 with a body), so
``rehearse contracts verify-pact contracts/examples/bad.json`` fails naming it.

Run from the repository root: ``python contracts/examples/write_examples.py``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx
from pact import Pact, match

HERE = Path(__file__).resolve().parent
CONSUMER = "acme-order-sync"
PROVIDER = "rehearse-erp-and-wms"
ERP_TOKEN = "consumer-test-erp-token"
"""Any bearer token: ``verify-pact`` treats the tokens a pact's ERP requests carry as issued."""
WMS_HEADERS = {"Authorization": "Bearer rehearse-wms-personal-access-token", "shipbob_channel_id": "100"}
TOKEN_FORM = "grant_type=client_credentials&client_id=rehearse-erp-client&client_secret=rehearse-erp-secret"
SALES_ORDER = {
    "externalId": "801000000000001AAA",
    "entity": {"externalId": "C1"},
    "item": {"items": [{"item": {"externalId": "SKU-1"}, "quantity": 2}]},
}
WMS_ORDER = {
    "reference_id": "SO-1",
    "order_number": "SO1001",
    "recipient": {
        "name": "Ann Lee",
        "address": {"address1": "1 Main St", "city": "Edison", "state": "NJ", "country": "US", "zip_code": "08817"},
    },
    "products": [{"reference_id": "SKU-1", "quantity": 1}],
    "shipping_method": "Standard",
}
Exercise = Callable[[httpx.Client], httpx.Response]


def erp_token(pact: Pact) -> Exercise:
    (
        pact.upon_receiving("an ERP access token for the integration's client credentials")
        .with_request("POST", "/services/rest/auth/oauth2/v1/token")
        .with_header("Content-Type", "application/x-www-form-urlencoded")
        .with_body(TOKEN_FORM, "application/x-www-form-urlencoded")
        .will_respond_with(200)
        .with_body(
            {"access_token": match.str("a-token"), "token_type": "Bearer", "expires_in": match.int(3600)},
            "application/json",
        )
    )
    return lambda client: client.post(
        "/services/rest/auth/oauth2/v1/token",
        content=TOKEN_FORM,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ).raise_for_status()


def create_sales_order(pact: Pact) -> Exercise:
    (
        pact.upon_receiving("a sales order created from a Salesforce order")
        .given("customer C1 exists")
        .given("item SKU-1 has 5 available at WH-EAST")
        .with_request("POST", "/services/rest/record/v1/salesOrder")
        .with_header("Authorization", f"Bearer {ERP_TOKEN}")
        .with_body(SALES_ORDER, "application/json")
        .will_respond_with(204)
        .with_header(
            "Location",
            match.regex(
                "http://127.0.0.1/services/rest/record/v1/salesOrder/42",
                regex=r"^https?://[^/]+/services/rest/record/v1/salesOrder/\d+$",
            ),
        )
    )
    return lambda client: client.post(
        "/services/rest/record/v1/salesOrder", json=SALES_ORDER, headers={"Authorization": f"Bearer {ERP_TOKEN}"}
    ).raise_for_status()


def read_sales_order(pact: Pact) -> Exercise:
    (
        pact.upon_receiving("a sales order read by its external id")
        .given("sales order SO-1 exists")
        .with_request("GET", "/services/rest/record/v1/salesOrder/eid:SO-1")
        .with_header("Authorization", f"Bearer {ERP_TOKEN}")
        .will_respond_with(200)
        .with_body(
            {
                "id": match.str("159"),
                "tranId": match.str("SO1001"),
                "externalId": "SO-1",
                "status": {"id": match.str("B"), "refName": match.str("Pending Fulfillment")},
                "total": match.number(10.0),
            },
            "application/json",
        )
    )
    return lambda client: client.get(
        "/services/rest/record/v1/salesOrder/eid:SO-1", headers={"Authorization": f"Bearer {ERP_TOKEN}"}
    ).raise_for_status()


def create_wms_order(pact: Pact) -> Exercise:
    (
        pact.upon_receiving("a warehouse order released for a booked sales order")
        .given("item SKU-1 has 5 available at WH-EAST")
        .with_request("POST", "/1.0/order")
        .with_headers(WMS_HEADERS)
        .with_body(WMS_ORDER, "application/json")
        .will_respond_with(201)
        .with_body(
            {
                "id": match.int(100001),
                "reference_id": "SO-1",
                "status": match.str("Processing"),
                "shipments": match.each_like({"id": match.int(200001), "status": match.str("Processing")}),
            },
            "application/json",
        )
    )
    return lambda client: client.post("/1.0/order", json=WMS_ORDER, headers=WMS_HEADERS).raise_for_status()


def create_sales_order_expecting_201(pact: Pact) -> Exercise:
    """How a team used to Salesforce's REST API expects a create to answer: NetSuite does not."""
    (
        pact.upon_receiving("a sales order created, answered with its id")
        .given("customer C1 exists")
        .given("item SKU-1 has 5 available at WH-EAST")
        .with_request("POST", "/services/rest/record/v1/salesOrder")
        .with_header("Authorization", f"Bearer {ERP_TOKEN}")
        .with_body(SALES_ORDER, "application/json")
        .will_respond_with(201)
        .with_body({"id": match.str("42"), "success": True}, "application/json")
    )
    return lambda client: client.post(
        "/services/rest/record/v1/salesOrder", json=SALES_ORDER, headers={"Authorization": f"Bearer {ERP_TOKEN}"}
    ).raise_for_status()


def write(name: str, declare: list[Callable[[Pact], Exercise]]) -> Path:
    """Declare the interactions, exercise each against Pact's mock server, write ``<name>.json``."""
    pact = Pact(CONSUMER, PROVIDER).with_specification("V4")
    exercises = [interaction(pact) for interaction in declare]
    with pact.serve(addr="127.0.0.1") as server, httpx.Client(base_url=str(server.url), timeout=10) as client:
        for exercise in exercises:
            exercise(client)
    with tempfile.TemporaryDirectory() as folder:
        pact.write_file(folder, overwrite=True)
        written = json.loads(next(Path(folder).glob("*.json")).read_text())
    target = HERE / f"{name}.json"
    target.write_text(json.dumps(written, indent=2, sort_keys=True) + "\n")
    return target


def main() -> None:
    print(write("good", [erp_token, create_sales_order, read_sales_order, create_wms_order]))
    print(write("bad", [erp_token, create_sales_order_expecting_201]))


if __name__ == "__main__":
    main()
