"""Mock ERP's record API beyond sales orders: transforms, collections and ``q``, SuiteQL, events,
limits and incidents, and two accounts side by side."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.types import ASGIApp

from harness.clock import Clock
from harness.outbox import Message, Outbox
from harness.population import Population
from harness.recorder import Recorder
from harness.world import World
from mocks.base import MockContext
from mocks.erp import ErpMock
from mocks.erp.behaviour import Capacity, ConnectionDropped

if TYPE_CHECKING:
    from conftest import Api

RECORD = "/services/rest/record/v1"
ORDERS = f"{RECORD}/salesOrder"
SUITEQL = "/services/rest/query/v1/suiteql"
TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
SCHEMA = json.loads((Path(__file__).parents[2] / "contracts/events/erp-event.schema.json").read_text())

Rig = tuple[ErpMock, "Api", str]


def problem(reply: httpx.Response, status: int) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert set(body) == {"type", "title", "status", "o:errorDetails"}, body
    [entry] = body["o:errorDetails"]
    return dict(entry)


def new_id(reply: httpx.Response, record_type: str) -> str:
    assert reply.status_code == 204, reply.text
    assert reply.content == b""
    prefix = f"{RECORD}/{record_type}/"
    location = reply.headers["location"]
    assert prefix in location, location
    return location.rsplit("/", 1)[1]


@pytest.fixture
def build(
    new_context: Callable[[], MockContext], population: Population, api_for: Callable[[ASGIApp], Api]
) -> Callable[..., Rig]:
    """A seeded ERP with any knobs, its API and a token."""

    def make(context: MockContext | None = None, **knobs: Any) -> Rig:
        mock = ErpMock(context or new_context(), **knobs)
        mock.seed(population, {c.number: f"001{c.number}" for c in population.customers})
        api = api_for(mock.asgi_app())
        creds = {
            "grant_type": "client_credentials",
            "client_id": mock.credentials.client_id,
            "client_secret": mock.credentials.client_secret,
        }
        reply = api.post(TOKEN_PATH, data=creds)
        assert reply.status_code == 200, reply.text
        return mock, api, str(reply.json()["access_token"])

    return make


@pytest.fixture
def rig(build: Callable[..., Rig]) -> Rig:
    return build()


def order_body(erp: ErpMock, population: Population, lines: list[tuple[int, int]], **extra: Any) -> dict[str, Any]:
    return {
        "entity": {"externalId": f"001{population.customers[0].number}"},
        "item": {"items": [{"item": {"externalId": population.products[n].sku}, "quantity": q} for n, q in lines]},
        **extra,
    }


def place(rig: Rig, population: Population, key: str, lines: list[tuple[int, int]], **extra: Any) -> str:
    erp, ns, token = rig
    reply = ns.put(f"{ORDERS}/eid:{key}", token=token, json=order_body(erp, population, lines, **extra))
    return new_id(reply, "salesOrder")


def transform(rig: Rig, source: str, key: str, target: str, body: dict[str, Any] | None = None) -> httpx.Response:
    _, ns, token = rig
    return ns.post(f"{RECORD}/{source}/{key}/!transform/{target}", token=token, json=body or {})


# -- the chain through the API -------------------------------------------------------------------------------


def test_book_fulfil_invoice_return_receive_credit_refund_over_http(rig: Rig, population: Population) -> None:
    erp, ns, token = rig
    order = place(rig, population, "801-chain", [(0, 2), (1, 1)], shippingCost=5)
    fulfilment = new_id(
        transform(
            rig, "salesOrder", order, "itemFulfillment", {"item": {"items": [{"orderLine": 2, "itemReceive": False}]}}
        ),
        "itemFulfillment",
    )
    shown = ns.get(f"{RECORD}/itemFulfillment/{fulfilment}", token=token, params={"expandSubResources": "true"}).json()
    assert shown["createdFrom"]["id"] == order
    assert [(ln["orderLine"], ln["quantity"]) for ln in shown["item"]["items"]] == [(1, 2)]
    assert ns.get(f"{ORDERS}/{order}", token=token).json()["status"]["refName"] == "Pending Billing/Partially Fulfilled"

    invoice = new_id(transform(rig, "salesOrder", order, "invoice"), "invoice")
    billed = ns.get(f"{RECORD}/invoice/{invoice}", token=token).json()
    assert billed["total"] == pytest.approx(2 * population.products[0].price + 5, abs=0.01)
    assert billed["status"]["refName"] == "Paid In Full"

    rma = new_id(transform(rig, "salesOrder", order, "returnAuthorization"), "returnAuthorization")
    refused = ns.post(
        f"{RECORD}/customerRefund",
        token=token,
        json={"customer": {"id": billed["entity"]["id"]}, "apply": {"items": [{"doc": {"id": rma}}]}},
    )
    assert problem(refused, 400)["o:errorCode"] == "INVALID_CONTENT", "no credit memo: nothing to refund"
    assert problem(transform(rig, "returnAuthorization", rma, "creditMemo"), 400)["o:errorCode"] == (
        "INVALID_INITIALIZE_REF"
    )
    new_id(
        transform(
            rig,
            "returnAuthorization",
            rma,
            "itemReceipt",
            {"item": {"items": [{"orderLine": 1, "quantity": 2, "custcol_disposition": "restock"}]}},
        ),
        "itemReceipt",
    )
    memo = new_id(transform(rig, "returnAuthorization", rma, "creditMemo"), "creditMemo")
    refund = ns.post(
        f"{RECORD}/customerRefund",
        token=token,
        json={"customer": {"id": billed["entity"]["id"]}, "apply": {"items": [{"doc": {"id": memo}}]}},
    )
    refund_id = new_id(refund, "customerRefund")
    paid = ns.get(f"{RECORD}/customerRefund/{refund_id}", token=token, params={"expandSubResources": "true"}).json()
    assert paid["total"] == pytest.approx(2 * population.products[0].price, abs=0.01)
    assert paid["apply"]["items"][0]["doc"]["id"] == memo
    assert ns.get(f"{RECORD}/returnAuthorization/{rma}", token=token).json()["status"]["refName"] == "Refunded"
    item = erp.state.item_by_sku(population.products[0].sku)
    stock = erp.state.bin(item.id, erp.state.location_named("WH-EAST").id)
    assert stock.on_hand == stock.opening, "shipped two, both restocked"


def test_a_standalone_credit_memo_credits_a_customer_over_http_and_a_refund_pays_it_out(
    rig: Rig, population: Population
) -> None:
    erp, ns, token = rig
    product = population.products[0]
    customer = {"externalId": f"001{population.customers[0].number}"}
    body = {
        "entity": customer,
        "memo": "goodwill",
        "item": {"items": [{"item": {"externalId": product.sku}, "quantity": 1, "rate": 12.5}]},
    }
    memo = new_id(ns.post(f"{RECORD}/creditMemo", token=token, json=body), "creditMemo")
    shown = ns.get(f"{RECORD}/creditMemo/{memo}", token=token, params={"expandSubResources": "true"}).json()
    assert "createdFrom" not in shown, "standalone: created from no return authorisation"
    assert (shown["total"], shown["amountRemaining"], shown["status"]["refName"]) == (12.5, 12.5, "Open")
    assert shown["item"]["items"][0]["location"]["refName"] == "WH-EAST"
    stock = erp.state.bin(erp.state.item_by_sku(product.sku).id, erp.state.location_named("WH-EAST").id)
    assert (stock.on_hand, stock.credited_back) == (stock.opening + 1, 1), "its inventory line is back on hand"

    refund = ns.post(
        f"{RECORD}/customerRefund",
        token=token,
        json={"customer": {"id": shown["entity"]["id"]}, "apply": {"items": [{"doc": {"id": memo}}]}},
    )
    paid = ns.get(f"{RECORD}/customerRefund/{new_id(refund, 'customerRefund')}", token=token).json()
    assert paid["total"] == 12.5
    assert ns.get(f"{RECORD}/creditMemo/{memo}", token=token).json()["status"]["refName"] == "Fully Applied"
    [snapshot] = erp.state.snapshot()["customerRefunds"]
    assert (snapshot["entity"], snapshot["salesOrder"]) == (shown["entity"]["id"], None)


@pytest.mark.parametrize(
    ("body", "code", "path"),
    [
        ({"item": {"items": [{"item": {"id": "0"}, "quantity": 1}]}}, "INVALID_CONTENT", "entity"),
        ({"entity": "CUSTOMER", "item": {"items": []}}, "USER_ERROR", "item"),
        ({"entity": "CUSTOMER", "item": {"items": [{"item": "SKU", "quantity": 0}]}}, "INVALID_FLD_VALUE", None),
        ({"entity": "CUSTOMER", "createdFrom": {"id": "1"}}, "INVALID_CONTENT", "createdFrom"),
        ({"entity": "CUSTOMER", "item": {"items": [{"item": "SKU", "amount": 5}]}}, "INVALID_CONTENT", None),
    ],
)
def test_a_standalone_credit_memo_refuses_what_netsuite_refuses_and_changes_nothing(
    rig: Rig, population: Population, body: dict[str, Any], code: str, path: str | None
) -> None:
    erp, ns, token = rig
    filled = json.loads(
        json.dumps(body)
        .replace('"CUSTOMER"', json.dumps({"externalId": f"001{population.customers[0].number}"}))
        .replace('"SKU"', json.dumps({"externalId": population.products[0].sku}))
    )
    before = erp.state.snapshot()
    detail = problem(ns.post(f"{RECORD}/creditMemo", token=token, json=filled), 400)
    assert detail["o:errorCode"] == code
    if path is not None:
        assert detail["o:errorPath"] == path
    assert erp.state.snapshot() == before


def test_inventory_item_shows_stock_per_location(rig: Rig, population: Population) -> None:
    erp, ns, token = rig
    sku = population.products[0].sku
    opening = population.products[0].stock["WH-EAST"]
    place(rig, population, "801-stock", [(0, 3)])
    shown = ns.get(f"{RECORD}/inventoryItem/eid:{sku}", token=token, params={"expandSubResources": "true"}).json()
    [where] = shown["locations"]["items"]
    assert where["location"]["refName"] == "WH-EAST"
    assert (where["quantityOnHand"], where["quantityCommitted"], where["quantityAvailable"]) == (
        opening,
        3,
        opening - 3,
    )
    erp.receive_stock(sku, "WH-EAST", 7)
    again = ns.get(f"{RECORD}/inventoryItem/eid:{sku}/locations", token=token).json()
    assert again["items"][0]["quantityOnHand"] == opening + 7


# -- errors, each its own -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", f"{RECORD}/widget", 404, "INVALID_RCRD_TYPE"),
        ("POST", f"{RECORD}/widget", 404, "INVALID_RCRD_TYPE"),
        ("GET", f"{ORDERS}/{{order}}/widgets", 404, "INVALID_SUBLIST"),
        ("POST", f"{ORDERS}/{{order}}/!transform/creditMemo", 400, "INVALID_RCRD_TRANSFRM"),
        ("POST", f"{ORDERS}/{{order}}/!transform/invoice", 400, "INVALID_INITIALIZE_REF"),
        ("POST", f"{RECORD}/invoice", 400, "USER_ERROR"),
        ("PUT", f"{RECORD}/invoice/eid:x", 400, "USER_ERROR"),
    ],
)
def test_bad_requests_get_their_own_netsuite_errors(
    rig: Rig, population: Population, method: str, path: str, status: int, code: str
) -> None:
    _, ns, token = rig
    order = place(rig, population, "801-err", [(0, 1)])
    reply = ns.request(method, path.format(order=order), token=token, json={"memo": "x"})
    assert problem(reply, status)["o:errorCode"] == code


def test_wrong_fields_in_transform_lines_name_their_path(rig: Rig, population: Population) -> None:
    order = place(rig, population, "801-path", [(0, 1)])
    bad = {"item": {"items": [{"orderLine": 1, "quantity": 1, "shipMethod": "x"}]}}
    assert problem(transform(rig, "salesOrder", order, "itemFulfillment", bad), 400)["o:errorPath"] == (
        "item.items[0].shipMethod"
    )
    nowhere = {"item": {"items": [{"orderLine": 9}]}}
    assert problem(transform(rig, "salesOrder", order, "itemFulfillment", nowhere), 400)["o:errorCode"] == (
        "INVALID_CONTENT"
    )


def test_empty_external_id_is_no_external_id(rig: Rig, population: Population) -> None:
    erp, ns, token = rig
    for _ in range(2):
        reply = ns.post(ORDERS, token=token, json=order_body(erp, population, [(0, 1)], externalId=""))
        assert reply.status_code == 204, reply.text
    assert [o.external_id for o in erp.state.sales_orders.values()] == [None, None]


@pytest.mark.parametrize("tran_date", ["2026-13-01", "27/11/2026", "tomorrow", 20261127, "2026-02-30"])
def test_tran_date_must_be_a_date(rig: Rig, population: Population, tran_date: Any) -> None:
    erp, ns, token = rig
    reply = ns.put(
        f"{ORDERS}/eid:801-date", token=token, json=order_body(erp, population, [(0, 1)], tranDate=tran_date)
    )
    entry = problem(reply, 400)
    assert (entry["o:errorCode"], entry["o:errorPath"]) == ("INVALID_FLD_VALUE", "tranDate")
    assert not erp.state.sales_orders


# -- collections and q ------------------------------------------------------------------------------------------


def test_collection_pages_with_links_and_has_more(rig: Rig, population: Population, base_url: str) -> None:
    _, ns, token = rig
    ids = [place(rig, population, f"801-page-{n}", [(0, 1)]) for n in range(5)]
    first = ns.get(ORDERS, token=token, params={"limit": 2}).json()
    assert (first["count"], first["hasMore"], first["offset"], first["totalResults"]) == (2, True, 0, 5)
    assert [i["id"] for i in first["items"]] == ids[:2]
    assert first["items"][0]["links"] == [{"rel": "self", "href": f"{base_url}{ORDERS}/{ids[0]}"}]
    rels = {link["rel"]: link["href"] for link in first["links"]}
    assert set(rels) == {"next", "last", "self"}
    last = ns.get(rels["last"], token=token).json()
    assert ([i["id"] for i in last["items"]], last["hasMore"]) == (ids[4:], False)
    assert problem(ns.get(ORDERS, token=token, params={"limit": 2, "offset": 3}), 400)["o:errorCode"] == (
        "INVALID_PARAMETER"
    )


def test_q_finds_by_external_id_and_by_last_modified(rig: Rig, population: Population) -> None:
    erp, ns, token = rig
    early = place(rig, population, "801-q-early", [(0, 1)])
    erp.context.world.env.advance_to(3600)
    late = place(rig, population, "801-q-late", [(0, 1)])

    def ids(q: str) -> list[str]:
        reply = ns.get(ORDERS, token=token, params={"q": q})
        assert reply.status_code == 200, reply.text
        return [item["id"] for item in reply.json()["items"]]

    assert ids('externalId IS "801-q-early"') == [early]
    assert ids('externalId START_WITH "801-q"') == [early, late]
    assert ids(f"id ANY_OF [{late}, 1]") == [late]
    assert ids('lastModifiedDate AFTER "2026-11-27T08:30:00Z"') == [late]
    assert ids('lastModifiedDate ON_OR_AFTER "2026-11-27T08:00:00Z" AND externalId IS_NOT "801-q-late"') == [early]
    assert ids('(externalId IS "801-q-early" OR externalId IS "801-q-late") AND id GREATER 0') == [early, late]
    for bad in (
        'shipDate IS "x"',
        'externalId AFTER "x"',
        'externalId ANY_OF ["a"]',
        'externalId IS "a" AND',
        'lastModifiedDate AFTER "soon"',
    ):
        assert problem(ns.get(ORDERS, token=token, params={"q": bad}), 400)["o:errorCode"] == "INVALID_PARAMETER"


# -- SuiteQL -------------------------------------------------------------------------------------------------------


def test_suiteql_needs_prefer_transient(rig: Rig) -> None:
    _, ns, token = rig
    reply = ns.post(SUITEQL, token=token, json={"q": "SELECT id FROM transaction"})
    assert problem(reply, 400)["o:errorCode"] == "INVALID_HEADER"


def test_suiteql_finds_orders_by_external_id_and_change_time_with_paging(rig: Rig, population: Population) -> None:
    erp, ns, token = rig
    first = place(rig, population, "801-sql-a", [(0, 1)])
    erp.context.world.env.advance_to(1800)
    second = place(rig, population, "801-sql-b", [(0, 1)])
    third = place(rig, population, "801-sql-c", [(0, 1)])
    headers = {"Prefer": "transient"}

    def query(q: str, **params: Any) -> dict[str, Any]:
        reply = ns.post(SUITEQL, token=token, headers=headers, json={"q": q}, params=params)
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    found = query(
        "SELECT t.id, t.tranid, BUILTIN.DF(t.status) AS status FROM transaction t WHERE t.externalid = '801-sql-a'"
    )
    assert found["items"] == [
        {
            "links": [],
            "id": first,
            "tranid": erp.state.sales_orders[first].tran_id,
            "status": "Sales Order : Pending Fulfillment",
        }
    ]
    since = query(
        "SELECT id FROM transaction WHERE type = 'SalesOrd' AND lastmodifieddate > "
        "TO_DATE('2026-11-27 08:15:00', 'YYYY-MM-DD HH24:MI:SS') ORDER BY id DESC",
        limit=1,
    )
    assert (since["count"], since["hasMore"], since["totalResults"]) == (1, True, 2)
    assert since["items"][0]["id"] == third
    page_two = query(
        "SELECT id FROM transaction WHERE externalid IN ('801-sql-b', '801-sql-c') ORDER BY id", limit=1, offset=1
    )
    assert [i["id"] for i in page_two["items"]] == [third]
    assert second != third
    for bad in ("DELETE FROM transaction", "SELECT nope FROM transaction", "SELECT id FROM widget", "SELECT id FROM"):
        reply = ns.post(SUITEQL, token=token, headers=headers, json={"q": bad})
        assert problem(reply, 400)["o:errorCode"] == "INVALID_PARAMETER", bad


# -- events -----------------------------------------------------------------------------------------------------------


def test_deployed_scripts_post_schema_valid_events(
    build: Callable[..., Rig], new_context: Callable[[], MockContext], population: Population
) -> None:
    context = new_context()
    sent: list[Message] = []
    context.outbox.publish = sent.append  # type: ignore[method-assign]
    rig = build(context, event_topics=("order.booked", "order.fulfilled", "refund.issued"))
    order = place(rig, population, "801-events", [(0, 1)])
    transform(rig, "salesOrder", order, "itemFulfillment")
    transform(rig, "salesOrder", order, "invoice")

    assert [m.topic for m in sent] == ["order.booked", "order.fulfilled"], "invoice scripts are not deployed"
    for message in sent:
        body = json.loads(message.body)
        jsonschema.validate(body, SCHEMA)
        assert body["salesOrder"]["externalId"] == "801-events"
        assert message.event_id == body["eventId"]
        assert "801-events" in message.business_keys
    assert len({m.event_id for m in sent}) == 2


def test_no_scripts_deployed_means_no_events(rig: Rig, population: Population) -> None:
    erp, _, _ = rig
    sent: list[Message] = []
    erp.context.outbox.publish = sent.append  # type: ignore[method-assign]
    place(rig, population, "801-quiet", [(0, 1)])
    assert sent == []


# -- two accounts -----------------------------------------------------------------------------------------------------


def test_two_instances_keep_separate_books_and_environments(
    build: Callable[..., Rig], new_context: Callable[[], MockContext], population: Population
) -> None:
    context = new_context()
    old = build(context)
    new = build(context, system="erp-next")
    place(old, population, "801-cutover", [(0, 1)])

    assert (old[0].system, new[0].system) == ("erp", "erp-next")
    assert len(old[0].state.sales_orders) == 1 and not new[0].state.sales_orders
    assert new[1].get(f"{ORDERS}/eid:801-cutover", token=new[2]).status_code == 404
    assert new[1].get(f"{ORDERS}/eid:801-cutover", token=old[2]).status_code == 401, "tokens are per account"
    assert set(new[0].sut_environment("http://x")) == {
        "REHEARSE_ERP_NEXT_URL",
        "REHEARSE_ERP_NEXT_CLIENT_ID",
        "REHEARSE_ERP_NEXT_CLIENT_SECRET",
    }


def test_apps_of_one_account_share_tokens(rig: Rig, api_for: Callable[[ASGIApp], Api]) -> None:
    erp, _, token = rig
    another = api_for(erp.asgi_app())
    assert another.get(f"{ORDERS}/eid:none", token=token).status_code == 404, "the token is valid on both"


# -- limits and incidents ----------------------------------------------------------------------------------------


def test_capacity_queues_requests_so_latency_grows_with_load(new_context: Callable[[], MockContext]) -> None:
    world = new_context().world
    capacity = Capacity(world, workers=2, service_time=1.0)
    processes = [world.env.process(capacity.serve()) for _ in range(5)]
    world.env.run()
    assert [p.value for p in processes] == [1.0, 1.0, 2.0, 2.0, 3.0]


def test_concurrency_beyond_the_limit_is_429(recorder: Recorder, population: Population, api_for: Any) -> None:
    """Real wall time: a slow account (service time of 30 simulated seconds at 600x = 50 ms) with a
    limit of 2; five simultaneous requests: two served, three refused at once."""

    async def scenario() -> list[httpx.Response]:
        world = World(Clock(600), 1)
        async with httpx.AsyncClient() as outbox_client:
            erp = ErpMock(
                MockContext(world, Outbox(world, recorder, outbox_client), recorder),
                concurrency_limit=2,
                workers=2,
                service_time=30,
            )
            erp.seed(population, {c.number: c.number for c in population.customers})
            erp.state.tokens["t"] = 0.0
            driver = asyncio.ensure_future(world.run_until(float("inf")))
            transport = httpx.ASGITransport(app=erp.asgi_app())
            try:
                async with httpx.AsyncClient(transport=transport, base_url="http://erp") as client:
                    replies = await asyncio.wait_for(
                        asyncio.gather(
                            *(client.get(f"{ORDERS}/eid:x", headers={"Authorization": "Bearer t"}) for _ in range(5))
                        ),
                        timeout=10,
                    )
            finally:
                world.stop()
                await driver
            assert erp.governor.stats == {"served": 2, "rejected": 3, "peak_in_flight": 2}
            return list(replies)

    replies = asyncio.run(scenario())
    assert sorted(r.status_code for r in replies) == [404, 404, 429, 429, 429]
    for reply in replies:
        if reply.status_code == 429:
            assert problem(reply, 429)["o:errorCode"] == "CONCURRENCY_LIMIT_EXCEEDED"
            assert reply.json()["title"] == "Too Many Requests"


def test_maintenance_window_answers_503_then_heals(rig: Rig, population: Population) -> None:
    erp, ns, token = rig
    erp.incidents.begin("unavailable")
    reply = ns.put(f"{ORDERS}/eid:801-mw", token=token, json=order_body(erp, population, [(0, 1)]))
    assert problem(reply, 503)["o:errorCode"] == "SERVICE_UNAVAILABLE"
    assert not erp.state.sales_orders
    assert problem(ns.post(TOKEN_PATH, data={"grant_type": "x"}), 503), "sign-in is down too"
    erp.incidents.end()
    assert ns.put(f"{ORDERS}/eid:801-mw", token=token, json=order_body(erp, population, [(0, 1)])).status_code == 204


def test_reset_drops_the_connection_without_writing(rig: Rig, population: Population) -> None:
    erp, ns, token = rig
    erp.incidents.begin("reset")
    with pytest.raises(ConnectionDropped):
        ns.put(f"{ORDERS}/eid:801-rst", token=token, json=order_body(erp, population, [(0, 1)]))
    assert not erp.state.sales_orders


def test_commit_then_fail_writes_but_loses_the_answer(rig: Rig, population: Population) -> None:
    erp, ns, token = rig
    erp.incidents.begin("commit_then_fail")
    with pytest.raises(ConnectionDropped):
        ns.put(f"{ORDERS}/eid:801-ctf", token=token, json=order_body(erp, population, [(0, 1)]))
    assert [o.external_id for o in erp.state.sales_orders.values()] == ["801-ctf"]
    assert ns.get(f"{ORDERS}/eid:801-ctf", token=token).status_code == 200, "reads are answered"
    assert erp.incidents.counts["commit_then_fail"] == 1


# -- bad input never crashes the account --------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
FIELDS = st.sampled_from(
    [
        "entity",
        "item",
        "orderStatus",
        "externalId",
        "tranDate",
        "shippingCost",
        "memo",
        "location",
        "customer",
        "apply",
        "createdFrom",
        "companyName",
        "itemId",
        "name",
        "basePrice",
    ]
)
LINE = st.dictionaries(
    st.sampled_from(
        ["orderLine", "quantity", "itemReceive", "custcol_disposition", "location", "item", "doc", "amount"]
    ),
    JSON | st.integers(0, 3),
    max_size=4,
)
BODY = st.dictionaries(FIELDS, JSON | st.fixed_dictionaries({"items": st.lists(LINE, max_size=3)}), max_size=4)
WORDS = st.sampled_from(
    [
        "SELECT",
        "id",
        "*",
        "FROM",
        "transaction",
        "customer",
        "WHERE",
        "externalid",
        "=",
        "'x'",
        "AND",
        "OR",
        "NOT",
        "IN",
        "(",
        ")",
        ",",
        "LIKE",
        "'%a'",
        "IS",
        "NULL",
        "TO_DATE",
        "'2026-11-27'",
        "ORDER",
        "BY",
        "DESC",
        "1",
        "BUILTIN.DF",
        "status",
        "lastModifiedDate",
        "AFTER",
        "ANY_OF",
        "[",
        "]",
        '"801"',
        "BETWEEN",
        "EMPTY",
    ]
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    target=st.sampled_from(
        [
            ("POST", "salesOrder"),
            ("PUT", "salesOrder/eid:f"),
            ("PATCH", "salesOrder/{order}"),
            ("POST", "salesOrder/{order}/!transform/itemFulfillment"),
            ("POST", "salesOrder/{order}/!transform/returnAuthorization"),
            ("POST", "returnAuthorization"),
            ("POST", "customerRefund"),
            ("POST", "customer"),
            ("PUT", "inventoryItem/eid:f"),
            ("PATCH", "location/{location}"),
        ]
    ),
    body=BODY,
    words=st.lists(WORDS, max_size=10),
)
def test_no_input_makes_a_500(
    build: Callable[..., Rig], population: Population, target: tuple[str, str], body: dict[str, Any], words: list[str]
) -> None:
    erp, ns, token = rig = build()
    order = place(rig, population, "801-fuzz", [(0, 1), (1, 1)])
    transform(rig, "salesOrder", order, "itemFulfillment")
    location = next(iter(erp.state.locations))
    method, path = target
    reply = ns.request(method, f"{RECORD}/{path.format(order=order, location=location)}", token=token, json=body)
    assert reply.status_code < 500, reply.text
    text = " ".join(words)
    assert ns.get(ORDERS, token=token, params={"q": text}).status_code < 500
    sql = ns.post(SUITEQL, token=token, headers={"Prefer": "transient"}, json={"q": text or "x"})
    assert sql.status_code < 500, sql.text
