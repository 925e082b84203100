"""Mock WMS's throughput on a realistic request mix, next to WireMock stubs of the same calls.

The mix, as an order integration talks to ShipBob (one cycle per order): ``POST /1.0/order`` with a
unique reference id, ``GET /1.0/order/<id>``, and ``GET /1.0/order?ReferenceIds=<reference>`` (how a
retry finds an order it may have created already). The mock serves as in a rehearsal: every order
it accepts is picked, packed and shipped in simulated time (labels bought from the in-process mock
carrier), alongside the requests.

Usage (WireMock from the npm package ``wiremock``; Java 17+):

    .venv/bin/python bench/wms_vs_wiremock.py [--requests 20000] [--seconds 30] [--generators 2]

Writes bench/results/wms.md.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peer import Client, System, main, sample

TOKEN = "rehearse-wms-personal-access-token"
CHANNEL_HEADER = "shipbob_channel_id"
CHANNEL_ID = 100
"""The integration's channel in a freshly seeded mock WMS (checked when the mock is built)."""
CUSTOMERS = 50
PRODUCTS = 20
LOCATIONS = ("WH-EAST", "WH-WEST", "WH-CENTRAL")


@functools.cache
def population() -> Any:
    from harness.population import generate

    return generate(1, customers=CUSTOMERS, products=PRODUCTS, locations=LOCATIONS, stock_per_location=(10**7, 10**7))


def build(context: Any) -> Any:
    from mocks.carrier import CarrierMock
    from mocks.wms import CHANNEL_HEADER as header
    from mocks.wms import WmsMock

    carrier = CarrierMock(context)
    wms = WmsMock(context, carrier)
    wms.seed(population())
    assert (wms.channel.id, wms.token, header) == (CHANNEL_ID, TOKEN, CHANNEL_HEADER)
    return wms.asgi_app()


HEADERS = {"Authorization": f"Bearer {TOKEN}", CHANNEL_HEADER: str(CHANNEL_ID)}


def order(key: str, n: int) -> dict[str, Any]:
    pop = population()
    customer = pop.customers[n % CUSTOMERS]
    return {
        "reference_id": f"BENCH-{key}",
        "order_number": f"ORD-{key}",
        "shipping_method": "Standard",
        "recipient": {
            "name": customer.name,
            "email": customer.email,
            "address": {
                "address1": customer.street,
                "city": customer.city,
                "state": customer.state,
                "country": "US",
                "zip_code": customer.postal_code,
            },
        },
        "products": [
            {"reference_id": pop.products[n % PRODUCTS].sku, "quantity": 2},
            {"reference_id": pop.products[(n + 7) % PRODUCTS].sku, "quantity": 1},
        ],
    }


async def setup(client: Client) -> dict[str, Any]:
    population()  # Faker's work, before the clock starts
    return {}


async def cycle(client: Client, key: str, session: dict[str, Any]) -> None:
    n = int(key.rpartition("x")[2])
    body = order(key, n)
    created = await client.call("POST", "/1.0/order", headers=HEADERS, json_body=body)
    if created.status != 201:
        return
    await client.call("GET", f"/1.0/order/{created.json()['id']}", headers=HEADERS)
    await client.call("GET", "/1.0/order", headers=HEADERS, params={"ReferenceIds": body["reference_id"]})


def stubs() -> list[dict[str, Any]]:
    """One real answer of the mock's to each call, served canned."""

    async def script(client: Any) -> dict[str, Any]:
        created = await client.post("/1.0/order", json=order("s0x0", 0), headers=HEADERS)
        listed = await client.get("/1.0/order", params={"ReferenceIds": "BENCH-s0x0"}, headers=HEADERS)
        return {"order": created.json(), "list": listed.json(), "list_headers": dict(listed.headers)}

    answers = sample(build, script)
    json_headers = {"Content-Type": "application/json"}
    paging = {k: v for k, v in answers["list_headers"].items() if k in ("page-number", "total-pages", "total-count")}
    return [
        {
            "request": {"method": "POST", "url": "/1.0/order"},
            "response": {"status": 201, "jsonBody": answers["order"], "headers": json_headers},
        },
        {
            "request": {"method": "GET", "urlPathPattern": "/1.0/order/[0-9]+"},
            "response": {"status": 200, "jsonBody": answers["order"], "headers": json_headers},
        },
        {
            "request": {
                "method": "GET",
                "urlPath": "/1.0/order",
                "queryParameters": {"ReferenceIds": {"matches": ".+"}},
            },
            "response": {"status": 200, "jsonBody": answers["list"], "headers": {**json_headers, **paging}},
        },
    ]


SYSTEM = System(
    name="wms",
    title="mock WMS",
    script=__file__,
    mix=(
        "per order cycle, `POST /1.0/order` (a unique reference id, two lines), `GET /1.0/order/<id>` and"
        " `GET /1.0/order?ReferenceIds=<reference>`: a third each. 50 customers, 20 products, 3 warehouses"
        " with stock that never runs out; the WMS's default knobs (splits, partials, holds, backorders)."
    ),
    health_path="/1.0/location",
    build=build,
    stubs=stubs,
    setup=setup,
    cycle=cycle,
    notes=(
        "The stubs answer with bodies the mock itself gave for the same calls (sampled in-process before the"
        " run), so both servers send answers of the same size. The mock also picks, packs and ships every",
        "order it accepted in simulated time (buying labels from an in-process mock carrier) while it serves;",
        "listing by reference id scans the channel's orders, which grow by one per cycle through the run.",
    ),
)

if __name__ == "__main__":
    main(SYSTEM)
