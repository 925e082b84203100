"""simple-salesforce, unmodified, against mock Salesforce over HTTPS with a run's CA.

The mock is served as the runner serves it (``MockServer`` with the run's certificates) on an
ephemeral loopback port, in an event loop of its own on a background thread; the client trusts the
CA only through ``REQUESTS_CA_BUNDLE``, as a SUT would. Every wait on the loop has a deadline.
"""

from __future__ import annotations

import asyncio
import gc
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from harness.clock import Clock
from harness.hosting import MockServer
from harness.outbox import Outbox
from harness.population import generate
from harness.recorder import Recorder
from harness.tls import RunCertificates
from harness.world import World
from mocks.base import MockContext
from mocks.salesforce import SalesforceMock

SEED = 20261127
DEADLINE = 10.0
VERSION = "62.0"
T = TypeVar("T")


@dataclass
class Org:
    mock: SalesforceMock
    server: MockServer
    loop: asyncio.AbstractEventLoop
    ca_bundle: Path

    def on_loop(self, action: Callable[[], T]) -> T:
        """Run ``action`` on the server's loop (where the mock's state lives) and wait for it."""

        async def call() -> T:
            return action()

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(timeout=DEADLINE)

    def login(self) -> Salesforce:
        """The client-credentials flow by hand, then simple-salesforce's session login."""
        creds = self.mock.credentials
        reply = requests.post(
            f"{self.server.base_url}/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": creds.client_id,
                "client_secret": creds.client_secret,
            },
            timeout=DEADLINE,
        )
        reply.raise_for_status()
        token = reply.json()
        assert token["instance_url"] == self.server.base_url
        return Salesforce(instance_url=token["instance_url"], session_id=token["access_token"], version=VERSION)


def serve(tmp: Path) -> Iterator[Org]:
    """A seeded mock org served over HTTPS on a background loop; stopped and joined afterwards."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="mock-salesforce", daemon=True)
    thread.start()
    recorder = Recorder(tmp / "history.sqlite")
    certificates = RunCertificates()

    async def build() -> tuple[SalesforceMock, MockServer, httpx.AsyncClient]:
        world = World(Clock(None), SEED)
        client = httpx.AsyncClient()
        mock = SalesforceMock(MockContext(world, Outbox(world, recorder, client), recorder))
        mock.seed(generate(SEED, customers=5, products=5))
        server = MockServer("salesforce", mock.asgi_app(), tls=certificates)
        await server.start(timeout=DEADLINE)
        return mock, server, client

    mock, server, client = asyncio.run_coroutine_threadsafe(build(), loop).result(timeout=DEADLINE)
    try:
        yield Org(mock, server, loop, certificates.write_ca(tmp))
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(timeout=DEADLINE), loop).result(timeout=2 * DEADLINE)
        asyncio.run_coroutine_threadsafe(client.aclose(), loop).result(timeout=DEADLINE)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=DEADLINE)
        loop.close()
        recorder.close()


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Org]:
    yield from serve(tmp_path_factory.mktemp("org"))


@pytest.fixture(autouse=True)
def trust_the_run_ca(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the runner puts in a SUT's environment: requests (so simple-salesforce) reads it."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(org.ca_bundle))


@pytest.fixture
def sf(org: Org) -> Iterator[Salesforce]:
    client = org.login()
    yield client
    # An open TLS connection holds up the server's shutdown (it waits for the client's close_notify).
    # A refused call's connection stays checked out while the exception's traceback cycle lives, so
    # collect it before closing the pool.
    gc.collect()
    client.session.close()


def test_the_mock_is_https_and_verification_is_real(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    assert org.server.base_url.startswith("https://127.0.0.1:")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{org.server.base_url}/services/data/", timeout=DEADLINE)
    plain = requests.get(f"{org.server.plain_url}/services/data/", timeout=DEADLINE)
    assert plain.status_code == 200, "the plain-HTTP twin serves the same app"


def test_create_get_update_delete(sf: Salesforce) -> None:
    accounts = sf.Account
    created = accounts.create({"Name": "Harbour Outfitters", "Customer_Number__c": "SS-1"})
    assert created["success"] is True and created["id"].startswith("001")

    fetched = accounts.get(created["id"])
    assert fetched["Name"] == "Harbour Outfitters"
    assert fetched["attributes"]["type"] == "Account"

    assert accounts.update(created["id"], {"Phone": "555-0101"}) == 204
    assert accounts.get(created["id"])["Phone"] == "555-0101"
    usage = accounts.api_usage["api-usage"]
    assert 0 < usage.used < usage.total == 1_000_000, "Sforce-Limit-Info is parsed from every response"

    assert accounts.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound) as gone:
        accounts.get(created["id"])
    assert gone.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"


def test_upsert_both_outcomes_and_get_by_custom_id(sf: Salesforce) -> None:
    assert sf.Account.upsert("Customer_Number__c/SS-UP", {"Name": "First"}) == 201
    assert sf.Account.upsert("Customer_Number__c/SS-UP", {"Name": "Second"}) == 200
    record = sf.Account.get_by_custom_id("Customer_Number__c", "SS-UP")
    assert record["Name"] == "Second"
    raw = sf.Account.upsert("Customer_Number__c/SS-UP", {"Name": "Third"}, raw_response=True)
    assert raw.json() == {"id": record["Id"], "success": True, "errors": [], "created": False}
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get_by_custom_id("Customer_Number__c", "SS-NOBODY")


def test_validation_errors_reach_the_client_as_vendor_errors(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Account.create({"Phone": "555-0100"})
    assert refused.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    with pytest.raises(SalesforceMalformedRequest) as bad_query:
        sf.query("SELECT Id, Nope FROM Account")
    assert bad_query.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_query_and_query_all_page_past_2000_records(org: Org, sf: Salesforce) -> None:
    def bulk_load() -> None:
        for n in range(2150):
            org.mock.state.create("Account", {"Name": f"Bulk {n:05d}"})

    org.on_loop(bulk_load)
    soql = "SELECT Id, Name FROM Account WHERE Name LIKE 'Bulk%' ORDER BY Name"

    first = sf.query(soql)
    assert first["totalSize"] == 2150 and first["done"] is False
    assert len(first["records"]) == 2000
    rest = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert rest["done"] is True and len(rest["records"]) == 150

    everything = sf.query_all(soql)
    names = [r["Name"] for r in everything["records"]]
    assert everything["totalSize"] == 2150
    assert names == [f"Bulk {n:05d}" for n in range(2150)]

    counted = sf.query("SELECT COUNT() FROM Account WHERE Name LIKE 'Bulk 0000%'")
    assert counted["totalSize"] == 10 and counted["records"] == []


def test_query_with_a_parent_relationship(org: Org, sf: Salesforce) -> None:
    account_id = next(iter(org.mock.account_ids.values()))
    name = org.on_loop(lambda: org.mock.state.records["Account"][account_id]["Name"])
    created = sf.Contact.create({"LastName": "Okafor", "AccountId": account_id})
    found = sf.query(f"SELECT Id, Account.Name FROM Contact WHERE Id = '{created['id']}'")
    assert found["records"][0]["Account"]["Name"] == name
    assert found["records"][0]["Account"]["attributes"]["type"] == "Account"


def test_describe_global_and_object(sf: Salesforce) -> None:
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert {"Account", "Order", "OrderItem", "Case", "Product2"} <= names
    fields = {f["name"]: f for f in sf.Order.describe()["fields"]}
    assert fields["AccountId"]["referenceTo"] == ["Account"]
    assert fields["Status"]["restrictedPicklist"] is True


def test_limits_through_restful(sf: Salesforce) -> None:
    limits = sf.restful("limits/")
    assert limits["DailyApiRequests"]["Max"] == 1_000_000
    assert 0 < limits["DailyApiRequests"]["Remaining"] < 1_000_000


def test_composite_chains_reference_ids(sf: Salesforce) -> None:
    body = {
        "allOrNone": True,
        "compositeRequest": [
            {
                "method": "POST",
                "url": f"/services/data/v{VERSION}/sobjects/Account",
                "referenceId": "account",
                "body": {"Name": "Composite Co"},
            },
            {
                "method": "POST",
                "url": f"/services/data/v{VERSION}/sobjects/Contact",
                "referenceId": "contact",
                "body": {"LastName": "Lee", "AccountId": "@{account.id}"},
            },
            {
                "method": "GET",
                "url": f"/services/data/v{VERSION}/sobjects/Contact/@{{contact.id}}",
                "referenceId": "read",
            },
        ],
    }
    answer = sf.restful("composite", method="POST", data=json.dumps(body))
    statuses = [r["httpStatusCode"] for r in answer["compositeResponse"]]
    assert statuses == [201, 201, 200]
    account_id = answer["compositeResponse"][0]["body"]["id"]
    assert answer["compositeResponse"][2]["body"]["AccountId"] == account_id


def test_expired_session_is_seen_as_expired(org: Org, sf: Salesforce) -> None:
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] > 0

    def age_session() -> None:
        env = org.mock.context.world.env
        env.advance_to(env.now + org.mock.session_lifetime + 1)

    org.on_loop(age_session)
    with pytest.raises(SalesforceExpiredSession) as expired:
        sf.query("SELECT COUNT() FROM Account")
    assert expired.value.content[0]["errorCode"] == "INVALID_SESSION_ID"
    again = org.login()
    assert again.query("SELECT COUNT() FROM Account")["totalSize"] > 0, "a new login works"
    again.session.close()


def test_an_exhausted_allowance_is_refused(org: Org, sf: Salesforce) -> None:
    allowance = org.mock.state.allowance

    def leave_three_calls() -> int:
        allowance.limit = org.mock.state.api_used + 3
        return allowance.limit

    limit = org.on_loop(leave_three_calls)
    try:
        for _ in range(3):
            sf.Account.describe()
        with pytest.raises(SalesforceRefusedRequest) as refused:
            sf.Account.describe()
        assert refused.value.content == [
            {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
        ]
        assert org.on_loop(lambda: org.mock.state.api_used) == limit, "refused calls are not counted"
    finally:
        org.on_loop(lambda: setattr(allowance, "limit", 1_000_000))
