"""Mock Salesforce's throughput on a realistic request mix, next to WireMock stubs of the same calls.

Per 20 requests: 1 token grant, 7 creates, 7 upserts by external id (creates first, then updates of
the same keys) and 5 SOQL queries. The machinery (serving the mock as a rehearsal does, WireMock,
the load generator, the result file) is bench/peer.py's.

Usage (WireMock from the npm package ``wiremock``; Java 17+):

    .venv/bin/python bench/salesforce_vs_wiremock.py [--requests 20000] [--seconds 30] [--generators 2]

Writes bench/results/salesforce.md.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peer import Client, System, main

V = "/services/data/v62.0"
TOKEN = "/services/oauth2/token"
MIX = ["token"] + ["create"] * 7 + ["upsert"] * 7 + ["query"] * 5
CLIENT = {
    "grant_type": "client_credentials",
    "client_id": "rehearse-salesforce-client",
    "client_secret": "rehearse-salesforce-secret",
}


def build(context: Any) -> Any:
    from harness.population import generate
    from mocks.salesforce import SalesforceMock

    mock = SalesforceMock(context)
    mock.seed(generate(1, customers=50, products=20))
    return mock.asgi_app()


async def grant(client: Client, session: dict[str, Any]) -> None:
    reply = await client.call("POST", TOKEN, form=CLIENT)
    if reply.status == 200:
        session["auth"] = {"Authorization": f"Bearer {reply.json()['access_token']}"}


async def setup(client: Client) -> dict[str, Any]:
    session: dict[str, Any] = {}
    await grant(client, session)
    return session


async def cycle(client: Client, key: str, session: dict[str, Any]) -> None:
    prefix, _, number = key.rpartition("x")
    n = int(number)
    kind = MIX[n % len(MIX)]
    if kind == "token":
        await grant(client, session)
        return
    for attempt in range(2):
        auth = session["auth"]
        if kind == "create":
            reply = await client.call("POST", f"{V}/sobjects/Account", headers=auth, json_body={"Name": f"Bench {key}"})
        elif kind == "upsert":
            reply = await client.call(
                "PATCH",
                f"{V}/sobjects/Account/Customer_Number__c/B-{prefix}-{n % 2000}",
                headers=auth,
                json_body={"Name": f"Upsert {key}"},
            )
        else:
            soql = f"SELECT Id, Name FROM Account WHERE Customer_Number__c = 'B-{prefix}-{n % 500}' LIMIT 1"
            reply = await client.call("GET", f"{V}/query", headers=auth, params={"q": soql})
        if reply.status != 401 or attempt:
            return
        await grant(client, session)  # the session ran out (simulated time): sign in again, as a client does


def stubs() -> list[dict[str, Any]]:
    token = {
        "access_token": "00D!stub",
        "instance_url": "http://127.0.0.1",
        "id": "https://login.salesforce.com/id/00D/005",
        "token_type": "Bearer",
        "issued_at": "1764230400000",
        "signature": "c2ln",
    }
    record = {"id": "0015g0000007C9NAAU", "success": True, "errors": []}
    page = {"totalSize": 1, "done": True, "records": [{"attributes": {"type": "Account"}, "Id": record["id"]}]}
    json_headers = {"Content-Type": "application/json"}
    return [
        {
            "request": {"method": "POST", "url": TOKEN},
            "response": {"status": 200, "jsonBody": token, "headers": json_headers},
        },
        {
            "request": {"method": "POST", "url": f"{V}/sobjects/Account"},
            "response": {"status": 201, "jsonBody": record, "headers": json_headers},
        },
        {
            "request": {"method": "PATCH", "urlPathPattern": f"{V}/sobjects/Account/Customer_Number__c/.*"},
            "response": {"status": 200, "jsonBody": {**record, "created": False}, "headers": json_headers},
        },
        {
            "request": {"method": "GET", "urlPath": f"{V}/query"},
            "response": {"status": 200, "jsonBody": page, "headers": json_headers},
        },
    ]


SYSTEM = System(
    name="salesforce",
    title="mock Salesforce",
    script=__file__,
    mix=(
        "per 20 requests, 1 OAuth token grant, 7 Account creates, 7 upserts by external id (creates first,"
        " then updates of the same keys) and 5 SOQL queries."
    ),
    health_path="/services/data/",
    build=build,
    stubs=stubs,
    setup=setup,
    cycle=cycle,
)

if __name__ == "__main__":
    main(SYSTEM)
