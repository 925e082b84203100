"""Mock ERP's throughput on a realistic request mix, next to WireMock stubs of the same calls.

The mix, as an order integration talks to NetSuite (one cycle per order, a worker runs cycles back
to back): a token grant every 5th cycle; ``PUT salesOrder/eid:<id>`` (an upsert that creates);
every 2nd cycle the same upsert again (an update); ``GET salesOrder/eid:<id>``; when the order is
booked (Pending Fulfillment), ``POST salesOrder/<internal id>/!transform/itemFulfillment``; a SuiteQL
query for the order by external id. About 4.7 requests per cycle.

Usage (WireMock from the npm package ``wiremock``; Java 17+):

    .venv/bin/python bench/erp_vs_wiremock.py [--requests 20000] [--seconds 30] [--generators 2]

Writes bench/results/erp.md.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peer import Client, System, main

RECORDS = "/services/rest/record/v1"
TOKEN = "/services/rest/auth/oauth2/v1/token"
SUITEQL = "/services/rest/query/v1/suiteql"
CLIENT = {
    "grant_type": "client_credentials",
    "client_id": "rehearse-erp-client",
    "client_secret": "rehearse-erp-secret",
}
CUSTOMERS = 50
PRODUCTS = 20
CONCURRENCY_LIMIT = 10_000


def account_id(index: int) -> str:
    return f"001BENCH{index:05d}AAA"


def sku(index: int) -> str:
    return f"SKU-{index + 1:05d}"


@functools.cache
def population() -> Any:
    from harness.population import generate

    return generate(1, customers=CUSTOMERS, products=PRODUCTS, stock_per_location=(10**7, 10**7))


def build(context: Any) -> Any:
    from mocks.erp import ErpMock

    pop = population()
    erp = ErpMock(context, concurrency_limit=CONCURRENCY_LIMIT)
    erp.seed(pop, {customer.number: account_id(i) for i, customer in enumerate(pop.customers)})
    assert [p.sku for p in pop.products] == [sku(i) for i in range(PRODUCTS)]
    return erp.asgi_app()


async def setup(client: Client) -> dict[str, Any]:
    reply = await client.call("POST", TOKEN, form=CLIENT)
    return {"auth": {"Authorization": f"Bearer {reply.json()['access_token']}"}}


async def grant(client: Client, session: dict[str, Any]) -> None:
    reply = await client.call("POST", TOKEN, form=CLIENT)
    if reply.status == 200:
        session["auth"] = {"Authorization": f"Bearer {reply.json()['access_token']}"}


async def cycle(client: Client, key: str, session: dict[str, Any]) -> None:
    n = int(key.rpartition("x")[2])
    if n % 5 == 0:
        await grant(client, session)
    auth = session["auth"]
    external_id = f"BENCH-{key}"
    order = {
        "entity": {"externalId": account_id(n % CUSTOMERS)},
        "otherRefNum": f"801{key}",
        "tranDate": "2026-11-27",
        "memo": f"ORD-{key}",
        "item": {
            "items": [
                {"item": {"externalId": sku(n % PRODUCTS)}, "quantity": 2, "rate": 19.5},
                {"item": {"externalId": sku((n + 7) % PRODUCTS)}, "quantity": 1, "rate": 42.0},
            ]
        },
    }
    path = f"{RECORDS}/salesOrder/eid:{external_id}"
    created = await client.call("PUT", path, headers=auth, json_body=order)
    if created.status == 401:  # the token ran out (simulated time): sign in again, as a client does
        await grant(client, session)
        auth = session["auth"]
        await client.call("PUT", path, headers=auth, json_body=order)
    if n % 2 == 0:
        await client.call("PUT", path, headers=auth, json_body={**order, "memo": f"ORD-{key} (amended)"})
    read = await client.call("GET", path, headers=auth)
    if read.status == 200:
        body = read.json()
        if body.get("status", {}).get("id") == "B":
            await client.call(
                "POST",
                f"{RECORDS}/salesOrder/{body['id']}/!transform/itemFulfillment",
                headers=auth,
                json_body={"externalId": f"IF-{external_id}"},
            )
    await client.call(
        "POST",
        SUITEQL,
        headers={**auth, "Prefer": "transient"},
        json_body={"q": f"SELECT id, tranid, status FROM transaction WHERE externalid = '{external_id}'"},
    )


def stubs() -> list[dict[str, Any]]:
    base = "http://127.0.0.1"
    order = {
        "links": [{"rel": "self", "href": f"{base}{RECORDS}/salesOrder/172"}],
        "id": "172",
        "tranId": "SO1001",
        "tranDate": "2026-11-27",
        "entity": {"id": "125", "refName": "Kristina Simmons"},
        "status": {"id": "B", "refName": "Pending Fulfillment"},
        "createdDate": "2026-11-27T08:00:00Z",
        "lastModifiedDate": "2026-11-27T08:00:00Z",
        "subtotal": 81.0,
        "taxTotal": 0.0,
        "taxRate": 0.0,
        "total": 81.0,
        "orderStatus": {"id": "B", "refName": "Pending Fulfillment"},
        "shippingCost": 0.0,
        "externalId": "BENCH-m0x0",
        "otherRefNum": "801m0x0",
        "memo": "ORD-m0x0",
        "item": {"links": [{"rel": "self", "href": f"{base}{RECORDS}/salesOrder/172/item"}]},
    }
    page = {
        "links": [{"rel": "self", "href": f"{base}{SUITEQL}?limit=1000&offset=0"}],
        "count": 1,
        "hasMore": False,
        "items": [{"links": [], "id": "172", "tranid": "SO1001", "status": "B"}],
        "offset": 0,
        "totalResults": 1,
    }
    json_headers = {"Content-Type": "application/json"}
    return [
        {
            "request": {"method": "POST", "url": TOKEN},
            "response": {
                "status": 200,
                "jsonBody": {"access_token": "stub-token", "token_type": "Bearer", "expires_in": 3600},
                "headers": json_headers,
            },
        },
        {
            "request": {"method": "PUT", "urlPathPattern": f"{RECORDS}/salesOrder/eid:.*"},
            "response": {"status": 204, "headers": {"Location": f"{base}{RECORDS}/salesOrder/172"}},
        },
        {
            "request": {"method": "GET", "urlPathPattern": f"{RECORDS}/salesOrder/eid:.*"},
            "response": {"status": 200, "jsonBody": order, "headers": json_headers},
        },
        {
            "request": {"method": "POST", "urlPathPattern": f"{RECORDS}/salesOrder/[0-9]+/!transform/itemFulfillment"},
            "response": {"status": 204, "headers": {"Location": f"{base}{RECORDS}/itemFulfillment/173"}},
        },
        {
            "request": {"method": "POST", "urlPath": SUITEQL},
            "response": {"status": 200, "jsonBody": page, "headers": json_headers},
        },
    ]


SYSTEM = System(
    name="erp",
    title="mock ERP",
    script=__file__,
    mix=(
        "per order cycle, a token grant every 5th cycle, `PUT salesOrder/eid:<id>` (create), the same upsert"
        " again every 2nd cycle (update), `GET salesOrder/eid:<id>`, `POST .../!transform/itemFulfillment`"
        " when the order reads as booked (Pending Fulfillment), and a SuiteQL query for the order by external"
        " id: per 10 cycles 2 tokens, 15 upserts, 10 reads, 10 transforms, 10 queries. Unique external ids"
        " per cycle; 50 customers, 20 items, stock that never runs out."
    ),
    health_path="/services/rest/record/v1/",
    build=build,
    stubs=stubs,
    setup=setup,
    cycle=cycle,
    notes=(
        f"The account's concurrency governor is raised from NetSuite's 15 to {CONCURRENCY_LIMIT} so that"
        " every request is served rather than refused with a (cheaper) 429; the capacity model (4 workers,"
        " 0.25 simulated seconds each) stays in, so at the World's speed it holds a request for",
        "0.25 / speed wall seconds and its SimPy bookkeeping is part of every governed request. Each SuiteQL",
        "query builds a row for every transaction in the account, which grows by two per cycle through the run.",
    ),
)

if __name__ == "__main__":
    main(SYSTEM)
