"""Mock carrier's throughput on a realistic request mix, next to WireMock stubs of the same calls.

The mix, as a shipper's system talks to EasyPost (one cycle per parcel): ``POST /v2/shipments``,
``POST /v2/shipments/<id>/buy`` at the cheapest rate (with an ``Idempotency-Key``), ``POST
/v2/trackers`` for the label's tracking code (the tracker the buy made: answered 200, not created
twice) and ``GET /v2/trackers/<id>``. The mock serves as in a rehearsal: every bought parcel travels
in simulated time, its tracker moving and publishing events, alongside the requests.

Usage (WireMock from the npm package ``wiremock``; Java 17+):

    .venv/bin/python bench/carrier_vs_wiremock.py [--requests 20000] [--seconds 30] [--generators 2]

Writes bench/results/carrier.md.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peer import Client, System, main, sample

API_KEY = "EZTKrehearse0000000000000000000000000000000"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()}
FROM = {
    "company": "Rehearse Fulfilment East",
    "street1": "100 Dock Rd",
    "city": "Edison",
    "state": "NJ",
    "zip": "08817",
    "country": "US",
}
TO = [
    {"name": "Ryan Gallagher", "street1": "417 Montgomery St", "city": "San Francisco", "state": "CA", "zip": "94104"},
    {"name": "Ana Ortiz", "street1": "1 Main St", "city": "Austin", "state": "TX", "zip": "78701"},
    {"name": "Lee Park", "street1": "55 Water St", "city": "New York", "state": "NY", "zip": "10041"},
]


def build(context: Any) -> Any:
    from mocks.carrier import API_KEY as key
    from mocks.carrier import CarrierMock

    carrier = CarrierMock(context)
    assert carrier.api_key == key == API_KEY
    return carrier.asgi_app()


def shipment(key: str, n: int) -> dict[str, Any]:
    return {
        "shipment": {
            "to_address": {**TO[n % len(TO)], "country": "US"},
            "from_address": FROM,
            "parcel": {"weight": 4 + n % 40},
            "reference": f"BENCH-{key}",
        }
    }


async def setup(client: Client) -> dict[str, Any]:
    return {}


async def cycle(client: Client, key: str, session: dict[str, Any]) -> None:
    n = int(key.rpartition("x")[2])
    created = await client.call("POST", "/v2/shipments", headers=AUTH, json_body=shipment(key, n))
    if created.status != 201:
        return
    body = created.json()
    rate = min(body["rates"], key=lambda r: float(r["rate"]))
    bought = await client.call(
        "POST",
        f"/v2/shipments/{body['id']}/buy",
        headers={**AUTH, "Idempotency-Key": f"buy-{key}"},
        json_body={"rate": {"id": rate["id"]}},
    )
    if bought.status != 200:
        return
    label = bought.json()
    tracked = await client.call(
        "POST",
        "/v2/trackers",
        headers=AUTH,
        json_body={"tracker": {"tracking_code": label["tracking_code"], "carrier": rate["carrier"]}},
    )
    if tracked.status in (200, 201):
        await client.call("GET", f"/v2/trackers/{tracked.json()['id']}", headers=AUTH)


def stubs() -> list[dict[str, Any]]:
    """One real answer of the mock's to each call, served canned."""

    async def script(client: Any) -> dict[str, Any]:
        created = (await client.post("/v2/shipments", json=shipment("s0x0", 0), headers=AUTH)).json()
        rate = min(created["rates"], key=lambda r: float(r["rate"]))
        bought = await client.post(
            f"/v2/shipments/{created['id']}/buy", json={"rate": {"id": rate["id"]}}, headers=AUTH
        )
        code = bought.json()["tracking_code"]
        tracked = await client.post("/v2/trackers", json={"tracker": {"tracking_code": code}}, headers=AUTH)
        return {"shipment": created, "bought": bought.json(), "tracker": tracked.json()}

    answers = sample(build, script)
    json_headers = {"Content-Type": "application/json"}
    return [
        {
            "request": {"method": "POST", "url": "/v2/shipments"},
            "response": {"status": 201, "jsonBody": answers["shipment"], "headers": json_headers},
        },
        {
            "request": {"method": "POST", "urlPathPattern": "/v2/shipments/[^/]+/buy"},
            "response": {"status": 200, "jsonBody": answers["bought"], "headers": json_headers},
        },
        {
            "request": {"method": "POST", "url": "/v2/trackers"},
            "response": {"status": 200, "jsonBody": answers["tracker"], "headers": json_headers},
        },
        {
            "request": {"method": "GET", "urlPathPattern": "/v2/trackers/[^/]+"},
            "response": {"status": 200, "jsonBody": answers["tracker"], "headers": json_headers},
        },
    ]


SYSTEM = System(
    name="carrier",
    title="mock carrier",
    script=__file__,
    mix=(
        "per parcel cycle, `POST /v2/shipments`, `POST /v2/shipments/<id>/buy` at the cheapest rate (with an"
        " Idempotency-Key), `POST /v2/trackers` for the label's tracking code and `GET /v2/trackers/<id>`:"
        " a quarter each."
    ),
    health_path="/v2/trackers",
    build=build,
    stubs=stubs,
    setup=setup,
    cycle=cycle,
    notes=(
        "The stubs answer with bodies the mock itself gave for the same calls (sampled in-process before the"
        " run), so both servers send answers of the same size. The mock also moves every bought parcel through",
        "its journey in simulated time while it serves, each tracker update recorded and published to the",
        "outbox (no receiver in this bench, so recorded only).",
    ),
)

if __name__ == "__main__":
    main(SYSTEM)
