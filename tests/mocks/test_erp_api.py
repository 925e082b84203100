"""Mock ERP's NetSuite REST surface, as an integration's HTTP client experiences it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.population import Population
from mocks.erp import ErpMock

if TYPE_CHECKING:
    from conftest import Api

RECORD = "/services/rest/record/v1"
ORDERS = f"{RECORD}/salesOrder"
TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"


def detail(reply: httpx.Response, status: int) -> dict[str, Any]:
    """The single error detail of a NetSuite problem body, asserting its shape."""
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert set(body) == {"type", "title", "status", "o:errorDetails"}, body
    assert body["status"] == status
    assert body["type"].startswith("https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.")
    assert isinstance(body["title"], str) and body["title"]
    [entry] = body["o:errorDetails"]
    assert isinstance(entry["detail"], str) and entry["detail"]
    return dict(entry)


def customer_ref(erp: ErpMock, n: int = 0) -> dict[str, str]:
    return {"id": list(erp.state.customers)[n]}


def item_id(erp: ErpMock, population: Population, n: int) -> str:
    sku = population.products[n].sku
    return next(i.id for i in erp.state.items.values() if i.name == sku)


def order_body(erp: ErpMock, population: Population, lines: list[tuple[int, Any]], **extra: Any) -> dict[str, Any]:
    """A sales order for the first customer; lines are (product index, quantity)."""
    return {
        "entity": customer_ref(erp),
        "item": {"items": [{"item": {"id": item_id(erp, population, i)}, "quantity": q} for i, q in lines]},
        **extra,
    }


def order_id_from(reply: httpx.Response, base_url: str) -> str:
    location = reply.headers["location"]
    prefix = f"{base_url}{ORDERS}/"
    assert location.startswith(prefix), location
    return str(location[len(prefix) :])


# -- OAuth 2.0 ---------------------------------------------------------------------------------------


def test_client_credentials_grant_issues_a_bearer_token(ns: Api, erp: ErpMock) -> None:
    creds = erp.credentials
    reply = ns.post(
        TOKEN_PATH,
        data={"grant_type": "client_credentials", "client_id": creds.client_id, "client_secret": creds.client_secret},
    )
    assert reply.status_code == 200
    body = reply.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert isinstance(body["access_token"], str) and len(body["access_token"]) >= 20
    assert ns.get(f"{ORDERS}/1", token=body["access_token"]).status_code == 404, "the token is accepted"


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "someone-else"}, 401, "invalid_client"),
        ({"client_id": None, "client_secret": None}, 401, "invalid_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": None}, 400, "unsupported_grant_type"),
    ],
)
def test_token_refusals(ns: Api, erp: ErpMock, form: dict[str, Any], status: int, error: str) -> None:
    creds = erp.credentials
    sent = {"grant_type": "client_credentials", "client_id": creds.client_id, "client_secret": creds.client_secret}
    sent.update(form)
    reply = ns.post(TOKEN_PATH, data={k: v for k, v in sent.items() if v is not None})
    assert reply.status_code == status
    assert reply.json()["error"] == error


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", f"{ORDERS}/101"), ("GET", f"{ORDERS}/eid:x"), ("POST", ORDERS), ("PUT", f"{ORDERS}/eid:x")],
)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["missing", "unknown", "basic"],
)
def test_missing_or_wrong_token_is_invalid_login(
    ns: Api, erp: ErpMock, population: Population, method: str, path: str, headers: dict[str, str]
) -> None:
    reply = ns.request(method, path, headers=headers, json=order_body(erp, population, [(0, 1)]))
    assert detail(reply, 401)["o:errorCode"] == "INVALID_LOGIN"
    assert reply.json()["title"] == "Unauthorized"
    assert not erp.state.sales_orders


def test_token_expires_after_its_lifetime_in_simulated_time(
    ns: Api, erp: ErpMock, ns_token: str, population: Population
) -> None:
    env = erp.context.world.env
    assert env.peek() == float("inf"), "nothing may be pending before time is moved"
    env.advance_to(env.now + erp.token_lifetime)
    put = ns.put(f"{ORDERS}/eid:late", token=ns_token, json=order_body(erp, population, [(0, 1)]))
    assert put.status_code == 204, "valid up to and including its lifetime"

    env.advance_to(env.now + 0.001)
    for method in ("GET", "PUT"):
        reply = ns.request(method, f"{ORDERS}/eid:late", token=ns_token, json=order_body(erp, population, [(0, 9)]))
        assert detail(reply, 401)["o:errorCode"] == "INVALID_LOGIN"
    assert erp.state.sales_order("eid:late").lines[0].quantity == 1


# -- upsert by external id ---------------------------------------------------------------------------


def test_put_by_external_id_creates_with_204_and_location(
    ns: Api, erp: ErpMock, ns_token: str, population: Population, base_url: str
) -> None:
    reply = ns.put(f"{ORDERS}/eid:801A", token=ns_token, json=order_body(erp, population, [(0, 2), (1, 1)]))

    assert reply.status_code == 204
    assert reply.content == b""
    order_id = order_id_from(reply, base_url)
    [order] = erp.state.sales_orders.values()
    assert order.id == order_id
    assert order.external_id == "801A"
    assert [line.quantity for line in order.lines] == [2, 1]


def test_repeating_the_same_put_is_idempotent(
    ns: Api, erp: ErpMock, ns_token: str, population: Population, base_url: str
) -> None:
    body = order_body(erp, population, [(0, 2), (1, 1)], otherRefNum="00000101")
    first = ns.put(f"{ORDERS}/eid:801B", token=ns_token, json=body)
    before = ns.get(f"{ORDERS}/eid:801B", token=ns_token, params={"expandSubResources": "true"}).json()

    for _ in range(3):
        again = ns.put(f"{ORDERS}/eid:801B", token=ns_token, json=body)
        assert again.status_code == 204
        assert again.content == b""
        assert again.headers["location"] == first.headers["location"]

    assert len(erp.state.sales_orders) == 1
    after = ns.get(f"{ORDERS}/eid:801B", token=ns_token, params={"expandSubResources": "true"}).json()
    assert {k: v for k, v in after.items() if k != "lastModifiedDate"} == {
        k: v for k, v in before.items() if k != "lastModifiedDate"
    }


def test_put_on_an_existing_external_id_replaces_its_lines(
    ns: Api, erp: ErpMock, ns_token: str, population: Population
) -> None:
    ns.put(f"{ORDERS}/eid:801C", token=ns_token, json=order_body(erp, population, [(0, 2), (1, 1)]))
    reply = ns.put(f"{ORDERS}/eid:801C", token=ns_token, json=order_body(erp, population, [(2, 5)]))

    assert reply.status_code == 204
    [order] = erp.state.sales_orders.values()
    assert [(line.item_id, line.quantity) for line in order.lines] == [(item_id(erp, population, 2), 5)]
    assert order.total == pytest.approx(5 * population.products[2].price, abs=0.01)


def test_put_body_external_id_must_match_the_url(ns: Api, erp: ErpMock, ns_token: str, population) -> None:
    matching = ns.put(
        f"{ORDERS}/eid:801D", token=ns_token, json=order_body(erp, population, [(0, 1)], externalId="801D")
    )
    assert matching.status_code == 204
    other = ns.put(f"{ORDERS}/eid:801E", token=ns_token, json=order_body(erp, population, [(0, 1)], externalId="801D"))
    assert detail(other, 400)["o:errorCode"] == "INVALID_CONTENT"
    assert len(erp.state.sales_orders) == 1


@pytest.mark.parametrize("key", ["101", "eid:"])
def test_put_needs_an_external_id_in_the_url(ns: Api, erp: ErpMock, ns_token: str, population, key: str) -> None:
    reply = ns.put(f"{ORDERS}/{key}", token=ns_token, json=order_body(erp, population, [(0, 1)]))
    assert detail(reply, 400)["o:errorCode"] == "INVALID_REQUEST"
    assert not erp.state.sales_orders


# -- create ------------------------------------------------------------------------------------------


def test_post_with_an_existing_external_id_is_dup_rcrd(
    ns: Api, erp: ErpMock, ns_token: str, population: Population
) -> None:
    created = ns.post(ORDERS, token=ns_token, json=order_body(erp, population, [(0, 1)], externalId="801F"))
    assert created.status_code == 204
    assert created.content == b""

    for path, body in (
        (ORDERS, order_body(erp, population, [(1, 3)], externalId="801F")),
        (ORDERS, order_body(erp, population, [(0, 1)], externalId="801F")),
    ):
        again = ns.post(path, token=ns_token, json=body)
        problem = detail(again, 400)
        assert problem["o:errorCode"] == "DUP_RCRD"
        assert problem["o:errorPath"] == "externalId"
    ns.put(f"{ORDERS}/eid:801G", token=ns_token, json=order_body(erp, population, [(0, 1)]))
    upserted_then_posted = ns.post(
        ORDERS, token=ns_token, json=order_body(erp, population, [(0, 1)], externalId="801G")
    )
    assert detail(upserted_then_posted, 400)["o:errorCode"] == "DUP_RCRD"
    assert sorted(o.external_id or "" for o in erp.state.sales_orders.values()) == ["801F", "801G"]


def test_post_without_external_id_twice_makes_two_orders(
    ns: Api, erp: ErpMock, ns_token: str, population: Population, base_url: str
) -> None:
    body = order_body(erp, population, [(0, 1)], otherRefNum="00000102")
    first = ns.post(ORDERS, token=ns_token, json=body)
    second = ns.post(ORDERS, token=ns_token, json=body)

    assert first.status_code == second.status_code == 204
    ids = {order_id_from(first, base_url), order_id_from(second, base_url)}
    assert len(ids) == 2, "without a key the ERP cannot tell a retry from a new order"
    assert len(erp.state.sales_orders) == 2
    assert len({o.tran_id for o in erp.state.sales_orders.values()}) == 2


def test_references_by_external_id_resolve(ns: Api, erp: ErpMock, ns_token: str, population: Population) -> None:
    customer = next(iter(erp.state.customers.values()))
    body = {
        "entity": {"externalId": customer.external_id},
        "item": {"items": [{"item": {"externalId": population.products[3].sku}, "quantity": 2, "rate": 9.99}]},
    }
    reply = ns.put(f"{ORDERS}/eid:801H", token=ns_token, json=body)
    assert reply.status_code == 204
    shown = ns.get(f"{ORDERS}/eid:801H", token=ns_token, params={"expandSubResources": "true"}).json()
    assert shown["entity"] == {"id": customer.id, "refName": customer.name}
    [line] = shown["item"]["items"]
    assert line["item"]["refName"] == population.products[3].sku
    assert (line["quantity"], line["rate"], line["amount"]) == (2, 9.99, 19.98)


# -- read --------------------------------------------------------------------------------------------


def test_get_by_id_and_by_external_id(
    ns: Api, erp: ErpMock, ns_token: str, population: Population, base_url: str
) -> None:
    put = ns.put(f"{ORDERS}/eid:801J", token=ns_token, json=order_body(erp, population, [(0, 2)], memo="gift"))
    order_id = order_id_from(put, base_url)

    by_id = ns.get(f"{ORDERS}/{order_id}", token=ns_token)
    by_eid = ns.get(f"{ORDERS}/eid:801J", token=ns_token)

    assert by_id.status_code == by_eid.status_code == 200
    assert by_id.json() == by_eid.json()
    order = by_id.json()
    assert order["id"] == order_id
    assert order["tranId"].startswith("SO")
    assert order["externalId"] == "801J"
    assert order["memo"] == "gift"
    assert order["status"] == {"id": "B", "refName": "Pending Fulfillment"}
    assert order["links"] == [{"rel": "self", "href": put.headers["location"]}]
    assert order["total"] == pytest.approx(2 * population.products[0].price, abs=0.01)
    assert order["entity"]["id"] == customer_ref(erp)["id"]


def test_sublists_stay_links_until_expanded(ns: Api, erp: ErpMock, ns_token: str, population: Population) -> None:
    ns.put(f"{ORDERS}/eid:801K", token=ns_token, json=order_body(erp, population, [(0, 2), (4, 3)]))

    plain = ns.get(f"{ORDERS}/eid:801K", token=ns_token).json()
    assert set(plain["item"]) == {"links"}
    href = plain["item"]["links"][0]["href"]
    assert href.endswith(f"/salesOrder/{plain['id']}/item")

    expanded = ns.get(f"{ORDERS}/eid:801K", token=ns_token, params={"expandSubResources": "true"}).json()
    item = expanded["item"]
    assert (item["count"], item["totalResults"], item["hasMore"], item["offset"]) == (2, 2, False, 0)
    lines = item["items"]
    assert [line["line"] for line in lines] == [1, 2]
    for line, (n, quantity) in zip(lines, [(0, 2), (4, 3)], strict=True):
        price = population.products[n].price
        assert line["item"]["id"] == item_id(erp, population, n)
        assert line["quantity"] == quantity
        assert line["rate"] == price, "the rate defaults to the item's base price"
        assert line["amount"] == pytest.approx(quantity * price, abs=0.01)
    assert expanded["total"] == pytest.approx(sum(line["amount"] for line in lines), abs=0.01)


@pytest.mark.parametrize("key", ["999999", "eid:never-sent", "eid:"])
def test_unknown_record_is_404_nonexistent_id(ns: Api, ns_token: str, key: str) -> None:
    for method in ("GET", "PATCH"):
        reply = ns.request(method, f"{ORDERS}/{key}", token=ns_token, json={"memo": "x"})
        assert detail(reply, 404)["o:errorCode"] == "NONEXISTENT_ID"


# -- refusals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_unknown_references_are_invalid_content(
    ns: Api, erp: ErpMock, ns_token: str, population: Population, method: str
) -> None:
    path = ORDERS if method == "POST" else f"{ORDERS}/eid:801L"
    no_customer = order_body(erp, population, [(0, 1)], entity={"id": "424242"})
    no_item = order_body(erp, population, [(0, 1)])
    no_item["item"]["items"].append({"item": {"externalId": "SKU-NOPE"}, "quantity": 1})

    for body, error_path in ((no_customer, "entity"), (no_item, "item.items[1].item")):
        problem = detail(ns.request(method, path, token=ns_token, json=body), 400)
        assert problem["o:errorCode"] == "INVALID_CONTENT", "as NetSuite's own example of an invalid reference"
        assert "Invalid Field Value" in problem["detail"]
        assert problem["o:errorPath"] == error_path
    assert not erp.state.sales_orders


@pytest.mark.parametrize("quantity", [0, -1, -0.5, "2", None, True, [1]])
def test_bad_quantities_are_invalid_fld_value(
    ns: Api, erp: ErpMock, ns_token: str, population: Population, quantity: Any
) -> None:
    body = order_body(erp, population, [(0, 1), (1, quantity)])
    for method, path in (("POST", ORDERS), ("PUT", f"{ORDERS}/eid:801M")):
        problem = detail(ns.request(method, path, token=ns_token, json=body), 400)
        assert problem["o:errorCode"] == "INVALID_FLD_VALUE"
        assert problem["o:errorPath"] == "item.items[1].quantity"
    assert not erp.state.sales_orders


@pytest.mark.parametrize("field", ["quantity", "rate"])
@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "1" + "0" * 400])
def test_non_finite_or_oversized_numbers_are_invalid_fld_value(
    ns: Api, erp: ErpMock, ns_token: str, population: Population, field: str, number: str
) -> None:
    line = {"quantity": "2", "rate": "3.5", field: number}
    raw = (
        f'{{"entity": {{"id": "{customer_ref(erp)["id"]}"}}, "item": {{"items": [{{"item": {{"id": '
        f'"{item_id(erp, population, 0)}"}}, "quantity": {line["quantity"]}, "rate": {line["rate"]}}}]}}}}'
    )
    reply = ns.put(f"{ORDERS}/eid:801-big", token=ns_token, content=raw, headers={"Content-Type": "application/json"})
    problem = detail(reply, 400)
    assert problem["o:errorCode"] == "INVALID_FLD_VALUE"
    assert problem["o:errorPath"] == f"item.items[0].{field}"
    assert not erp.state.sales_orders


def test_negative_rate_is_invalid_fld_value(ns: Api, erp: ErpMock, ns_token: str, population: Population) -> None:
    body = order_body(erp, population, [(0, 1)])
    body["item"]["items"][0]["rate"] = -1
    problem = detail(ns.put(f"{ORDERS}/eid:801N", token=ns_token, json=body), 400)
    assert problem["o:errorCode"] == "INVALID_FLD_VALUE"
    assert problem["o:errorPath"] == "item.items[0].rate"


def test_unknown_field_is_invalid_content(ns: Api, erp: ErpMock, ns_token: str, population: Population) -> None:
    body = order_body(erp, population, [(0, 1)], shipDate="2026-11-28")
    for method, path in (("POST", ORDERS), ("PUT", f"{ORDERS}/eid:801P")):
        problem = detail(ns.request(method, path, token=ns_token, json=body), 400)
        assert problem["o:errorCode"] == "INVALID_CONTENT"
        assert problem["o:errorPath"] == "shipDate"
    assert not erp.state.sales_orders


def test_an_order_needs_lines(ns: Api, erp: ErpMock, ns_token: str) -> None:
    for body in ({"entity": customer_ref(erp)}, {"entity": customer_ref(erp), "item": {"items": []}}):
        problem = detail(ns.put(f"{ORDERS}/eid:801Q", token=ns_token, json=body), 400)
        assert problem["o:errorCode"] == "USER_ERROR"
    assert not erp.state.sales_orders


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b"[]", b'"salesOrder"', b"null", b'{"entity": '],
    ids=["malformed", "empty", "array", "string", "null", "truncated"],
)
def test_malformed_or_non_object_json_is_invalid_content(ns: Api, ns_token: str, erp: ErpMock, raw: bytes) -> None:
    headers = {"Content-Type": "application/json"}
    for method, path in (("POST", ORDERS), ("PUT", f"{ORDERS}/eid:801R")):
        reply = ns.request(method, path, token=ns_token, content=raw, headers=headers)
        assert detail(reply, 400)["o:errorCode"] == "INVALID_CONTENT"
    assert not erp.state.sales_orders


def test_a_refused_update_changes_nothing(ns: Api, erp: ErpMock, ns_token: str, population: Population) -> None:
    ns.put(f"{ORDERS}/eid:801S", token=ns_token, json=order_body(erp, population, [(0, 2)], memo="original"))
    before = ns.get(f"{ORDERS}/eid:801S", token=ns_token, params={"expandSubResources": "true"}).json()

    refusals = [
        order_body(erp, population, [(0, 0)], memo="half-applied"),
        order_body(erp, population, [(0, 1)], memo="half-applied", entity={"id": "424242"}),
        {**order_body(erp, population, [(1, 1)], memo="half-applied"), "otherRefNum": {"not": "a string"}},
        {"memo": "half-applied", "entity": customer_ref(erp, 1), "item": {"items": [{"item": {"id": "0"}}]}},
    ]
    for body in refusals:
        for method in ("PUT", "PATCH"):
            reply = ns.request(method, f"{ORDERS}/eid:801S", token=ns_token, json=body)
            assert reply.status_code == 400, (method, body)

    after = ns.get(f"{ORDERS}/eid:801S", token=ns_token, params={"expandSubResources": "true"}).json()
    assert after == before, "a 400 must leave the record exactly as it was"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nowhere", 404),
        ("GET", f"{RECORD}/widget/1", 404),
        ("GET", f"{ORDERS}/101/item/1/extra", 404),
        ("DELETE", ORDERS, 405),
        ("GET", TOKEN_PATH, 405),
    ],
)
def test_unknown_paths_and_methods_answer_in_netsuite_shape(
    ns: Api, ns_token: str, method: str, path: str, status: int
) -> None:
    reply = ns.request(method, path, token=ns_token)
    assert detail(reply, status)["o:errorCode"]


# -- the invariant -----------------------------------------------------------------------------------

LINE = st.tuples(
    st.integers(min_value=0, max_value=4),
    st.one_of(st.integers(min_value=1, max_value=50), st.decimals("0.01", "25", places=2).map(float)),
    st.one_of(st.none(), st.decimals("0", "500", places=2).map(float)),
)
UPSERT = st.tuples(
    st.sampled_from(["801-a", "801-b", "801-c"]),
    st.lists(LINE, min_size=1, max_size=4),
    st.text(alphabet="abcxyz", max_size=5),
    st.booleans(),  # spoil it: one line with quantity 0, which the ERP must refuse whole
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(upserts=st.lists(UPSERT, min_size=1, max_size=10))
def test_upserts_never_make_a_second_order_per_external_id(
    new_erp: Callable[[], tuple[ErpMock, Api, str]],
    population: Population,
    upserts: list[tuple[str, list[tuple[int, float, float | None]], str, bool]],
) -> None:
    erp, ns, token = new_erp()  # fresh books per example
    expected: dict[str, tuple[list[tuple[int, float, float]], str]] = {}

    for external_id, lines, memo, spoil in upserts:
        items = []
        for n, quantity, rate in lines:
            line: dict[str, Any] = {"item": {"id": item_id(erp, population, n)}, "quantity": quantity}
            if rate is not None:
                line["rate"] = rate
            items.append(line)
        if spoil:
            items.insert(len(items) // 2, {"item": {"id": item_id(erp, population, 0)}, "quantity": 0})
        body = {"entity": customer_ref(erp), "memo": memo, "item": {"items": items}}

        reply = ns.put(f"{ORDERS}/eid:{external_id}", token=token, json=body)

        if spoil:
            assert detail(reply, 400)["o:errorCode"] == "INVALID_FLD_VALUE"
        else:
            assert reply.status_code == 204
            priced = [(n, q, population.products[n].price if r is None else r) for n, q, r in lines]
            expected[external_id] = (priced, memo)

    by_external_id: dict[str, int] = {}
    for order in erp.state.sales_orders.values():
        by_external_id[order.external_id or ""] = by_external_id.get(order.external_id or "", 0) + 1
    assert by_external_id == dict.fromkeys(expected, 1)

    for external_id, (priced, memo) in expected.items():
        shown = ns.get(f"{ORDERS}/eid:{external_id}", token=token, params={"expandSubResources": "true"}).json()
        got = [(line["item"]["id"], line["quantity"], line["rate"]) for line in shown["item"]["items"]]
        assert got == [(item_id(erp, population, n), q, r) for n, q, r in priced]
        assert shown["total"] == pytest.approx(sum(q * r for _, q, r in priced), abs=0.005 * len(priced) + 1e-9)
        assert shown.get("memo", "") == memo
