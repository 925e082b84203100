"""Mock Salesforce's REST surface, as an integration's HTTP client experiences it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
from typing import TYPE_CHECKING

import httpx
import pytest

from harness.clock import DEFAULT_EPOCH
from mocks.salesforce import SalesforceMock
from mocks.salesforce.ids import is_valid

if TYPE_CHECKING:
    from conftest import Api

V = "/services/data/v62.0"
INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
TOKEN_KEYS = {"access_token", "instance_url", "id", "token_type", "issued_at", "signature"}
TOKEN_PATH = "/services/oauth2/token"


def grant(salesforce: SalesforceMock, grant_type: str = "client_credentials", **overrides: str) -> dict[str, str]:
    creds = salesforce.credentials
    form = {"grant_type": grant_type, "client_id": creds.client_id, "client_secret": creds.client_secret}
    if grant_type == "password":
        form.update(username=creds.username, password=creds.password)
    form.update(overrides)
    return form


def error_codes(body: object) -> list[str]:
    """The error codes of a Salesforce error body, asserting its shape: a list of {message, errorCode}."""
    assert isinstance(body, list) and body, body
    for entry in body:
        assert isinstance(entry, dict)
        assert isinstance(entry["message"], str) and entry["message"]
        assert isinstance(entry["errorCode"], str)
    return [entry["errorCode"] for entry in body]


def usage(reply: httpx.Response) -> tuple[int, int]:
    header = reply.headers.get("sforce-limit-info")
    assert header is not None, "Sforce-Limit-Info missing"
    match = re.fullmatch(r"api-usage=(\d+)/(\d+)", header)
    assert match, header
    return int(match.group(1)), int(match.group(2))


# -- OAuth token endpoint ---------------------------------------------------------------------------


@pytest.mark.parametrize("grant_type", ["client_credentials", "password"])
def test_token_grants_answer_exactly_the_salesforce_keys(
    sf: Api, salesforce: SalesforceMock, base_url: str, grant_type: str
) -> None:
    reply = sf.post(TOKEN_PATH, data=grant(salesforce, grant_type))

    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == TOKEN_KEYS
    assert body["token_type"] == "Bearer"
    assert body["instance_url"] == base_url
    assert re.fullmatch(r"https://login\.salesforce\.com/id/00D\w{15}/005\w{15}", body["id"]), body["id"]
    assert body["issued_at"] == str(int(DEFAULT_EPOCH.timestamp() * 1000)), "issued_at is epoch ms of simulated now"
    expected = hmac.new(
        salesforce.credentials.client_secret.encode(), (body["id"] + body["issued_at"]).encode(), hashlib.sha256
    ).digest()
    assert base64.b64decode(body["signature"]) == expected, "signature is HMAC-SHA256(secret, id + issued_at)"
    assert sf.get(f"{V}/sobjects/Order/describe", token=body["access_token"]).status_code == 200


def test_instance_url_follows_the_base_url_the_client_used(salesforce: SalesforceMock) -> None:
    async def on_other_host() -> str:
        transport = httpx.ASGITransport(app=salesforce.asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:9123") as client:
            reply = await client.post(TOKEN_PATH, data=grant(salesforce))
            return str(reply.json()["instance_url"])

    assert asyncio.run(on_other_host()) == "http://localhost:9123"


def test_each_grant_opens_a_distinct_session(sf: Api, salesforce: SalesforceMock) -> None:
    first = sf.post(TOKEN_PATH, data=grant(salesforce)).json()["access_token"]
    second = sf.post(TOKEN_PATH, data=grant(salesforce, "password")).json()["access_token"]
    assert first != second
    for token in (first, second):
        assert sf.get(f"{V}/", token=token).status_code == 200


@pytest.mark.parametrize(
    ("grant_type", "overrides", "error"),
    [
        ("client_credentials", {"client_id": "someone-else"}, "invalid_client_id"),
        ("password", {"client_id": "someone-else"}, "invalid_client_id"),
        ("client_credentials", {"client_secret": "wrong"}, "invalid_client"),
        ("password", {"client_secret": "wrong"}, "invalid_client"),
        ("password", {"password": "wrong-password"}, "invalid_grant"),
        ("password", {"username": "intruder@example.com"}, "invalid_grant"),
        ("authorization_code", {}, "unsupported_grant_type"),
        ("", {}, "unsupported_grant_type"),
    ],
)
def test_token_failures_are_400_with_the_oauth_error(
    sf: Api, salesforce: SalesforceMock, grant_type: str, overrides: dict[str, str], error: str
) -> None:
    reply = sf.post(TOKEN_PATH, data=grant(salesforce, grant_type, **overrides))

    assert reply.status_code == 400
    body = reply.json()
    assert body["error"] == error
    assert isinstance(body["error_description"], str) and body["error_description"]
    assert not salesforce.state.sessions, "a refused grant must not open a session"


def test_token_without_grant_type_is_unsupported(sf: Api, salesforce: SalesforceMock) -> None:
    form = grant(salesforce)
    del form["grant_type"]
    reply = sf.post(TOKEN_PATH, data=form)
    assert reply.status_code == 400
    assert reply.json()["error"] == "unsupported_grant_type"


# -- sessions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-session"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic cmVoZWFyc2U6c2VjcmV0"},
    ],
    ids=["missing", "unknown", "empty", "basic"],
)
def test_missing_or_wrong_bearer_is_invalid_session(sf: Api, salesforce: SalesforceMock, headers: dict) -> None:
    before = salesforce.state.api_used
    accounts = len(salesforce.state.records["Account"])
    for path in (f"{V}/", f"{V}/sobjects/Order/describe", f"{V}/sobjects/Account"):
        reply = sf.get(path, headers=headers) if not path.endswith("Account") else sf.post(path, headers=headers)
        assert reply.status_code == 401, path
        assert reply.json() == INVALID_SESSION
    assert salesforce.state.api_used == before, "refused calls do not count against the allowance"
    assert len(salesforce.state.records["Account"]) == accounts, "an unauthorised create creates nothing"


def test_the_oauth_scheme_name_works_like_bearer(sf: Api, sf_token: str) -> None:
    reply = sf.get(f"{V}/", headers={"Authorization": f"OAuth {sf_token}"})
    assert reply.status_code == 200


def test_session_expires_after_its_lifetime_in_simulated_time(
    sf: Api, salesforce: SalesforceMock, sf_token: str
) -> None:
    env = salesforce.context.world.env
    lifetime = salesforce.session_lifetime
    assert env.peek() == float("inf"), "nothing may be pending before time is moved"

    env.advance_to(env.now + lifetime)
    assert sf.get(f"{V}/", token=sf_token).status_code == 200, "valid up to and including its lifetime"

    env.advance_to(env.now + 0.001)
    reply = sf.get(f"{V}/", token=sf_token)
    assert reply.status_code == 401
    assert reply.json() == INVALID_SESSION

    assert sf.get(f"{V}/sobjects/Order/describe", token=sf_token).status_code == 401

    fresh = sf.post(TOKEN_PATH, data=grant(salesforce)).json()["access_token"]
    assert sf.get(f"{V}/", token=fresh).status_code == 200, "a new grant after expiry works"


def test_expiry_uses_the_virtual_clock_after_processing_events(
    sf: Api, salesforce: SalesforceMock, sf_token: str, place_order
) -> None:
    place_order()  # runs the checkout process to its end: simulated time moves by a few seconds only
    world = salesforce.context.world
    assert 0 < world.env.now < salesforce.session_lifetime
    assert sf.get(f"{V}/", token=sf_token).status_code == 200
    world.env.run(until=salesforce.session_lifetime + 1)
    assert sf.get(f"{V}/", token=sf_token).status_code == 401


# -- versions ---------------------------------------------------------------------------------------


def test_versions_list_needs_no_session_and_names_releases(sf: Api) -> None:
    for path in ("/services/data/", "/services/data"):
        reply = sf.get(path)
        assert reply.status_code == 200
        versions = reply.json()
        by_version = {v["version"]: v for v in versions}
        assert by_version["62.0"] == {"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"}
        assert by_version["59.0"]["label"] == "Winter '24"
        assert by_version["60.0"]["label"] == "Spring '24"
        assert by_version["61.0"]["label"] == "Summer '24"
        assert by_version["31.0"]["label"] == "Summer '14"
        numbers = [float(v["version"]) for v in versions]
        assert numbers == sorted(numbers), "oldest first, as Salesforce lists them"
        assert all(set(v) == {"label", "url", "version"} for v in versions)


@pytest.mark.parametrize("version", ["v12.0", "v99.0", "vabc", "v62.5", "v062.0"])
def test_unsupported_versions_are_404_not_found(sf: Api, sf_token: str, place_order, version: str) -> None:
    order_id = place_order()
    for path in (
        f"/services/data/{version}/",
        f"/services/data/{version}/sobjects/Order/describe",
        f"/services/data/{version}/sobjects/Order/{order_id}",
        f"/services/data/{version}/sobjects/Order/{order_id}/OrderItems",
    ):
        reply = sf.get(path, token=sf_token)
        assert reply.status_code == 404, path
        assert error_codes(reply.json()) == ["NOT_FOUND"]
    reply = sf.patch(f"/services/data/{version}/sobjects/Order/{order_id}", token=sf_token, json={"ERP_Status__c": "x"})
    assert reply.status_code == 404
    assert error_codes(reply.json()) == ["NOT_FOUND"]


def test_supported_versions_serve_the_same_record(sf: Api, sf_token: str, place_order) -> None:
    order_id = place_order()
    for version in ("31.0", "58.0", "62.0"):
        reply = sf.get(f"/services/data/v{version}/sobjects/Order/{order_id}", token=sf_token)
        assert reply.status_code == 200
        assert reply.json()["attributes"]["url"] == f"/services/data/v{version}/sobjects/Order/{order_id}"


# -- reading orders ---------------------------------------------------------------------------------


def test_get_order_has_attributes_and_fields(
    sf: Api, sf_token: str, salesforce: SalesforceMock, population, place_order
) -> None:
    order_id = place_order([(0, 2), (1, 3)])
    reply = sf.get(f"{V}/sobjects/Order/{order_id}", token=sf_token)

    assert reply.status_code == 200
    order = reply.json()
    assert order["attributes"] == {"type": "Order", "url": f"{V}/sobjects/Order/{order_id}"}
    assert order["Id"] == order_id and len(order_id) == 18 and order_id.startswith("801")
    assert order["Status"] == "Activated"
    assert order["ActivatedDate"] is not None
    assert order["AccountId"] == salesforce.account_ids[population.customers[0].number]
    assert re.fullmatch(r"\d{8}", order["OrderNumber"])
    expected = 2 * population.products[0].price + 3 * population.products[1].price
    assert order["TotalAmount"] == pytest.approx(expected, abs=0.01)
    assert order["ERP_Order_Number__c"] is None, "unset fields are present as null"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", order["CreatedDate"])


def test_get_by_15_character_id_and_with_a_field_list(sf: Api, sf_token: str, place_order) -> None:
    order_id = place_order()
    short = sf.get(f"{V}/sobjects/Order/{order_id[:15]}", token=sf_token)
    assert short.status_code == 200
    assert short.json()["Id"] == order_id, "the API answers the 18-character form"

    picked = sf.get(f"{V}/sobjects/Order/{order_id}", token=sf_token, params={"fields": "Status,TotalAmount"})
    assert picked.status_code == 200
    assert set(picked.json()) == {"attributes", "Status", "TotalAmount"}


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/sobjects/Order/801000000000000AAA", "NOT_FOUND"),  # well-formed, no such record
        ("/sobjects/Order/not-an-id", "NOT_FOUND"),
        ("/sobjects/Widget__c/801000000000000AAA", "NOT_FOUND"),
        ("/sobjects/Widget__c/describe", "NOT_FOUND"),
    ],
)
def test_unknown_records_and_objects_are_404(sf: Api, sf_token: str, path: str, code: str) -> None:
    reply = sf.get(V + path, token=sf_token)
    assert reply.status_code == 404
    assert error_codes(reply.json()) == [code]


def test_order_items_relationship_lists_the_lines(sf: Api, sf_token: str, population, place_order) -> None:
    order_id = place_order([(0, 2), (3, 1)])
    reply = sf.get(f"{V}/sobjects/Order/{order_id}/OrderItems", token=sf_token)

    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"totalSize", "done", "records"}
    assert body["totalSize"] == 2 and body["done"] is True
    by_sku = {r["SKU__c"]: r for r in body["records"]}
    assert set(by_sku) == {population.products[0].sku, population.products[3].sku}
    for record in body["records"]:
        assert record["attributes"] == {"type": "OrderItem", "url": f"{V}/sobjects/OrderItem/{record['Id']}"}
        assert record["Id"].startswith("802") and is_valid(record["Id"])
        assert record["OrderId"] == order_id
        assert record["TotalPrice"] == pytest.approx(record["Quantity"] * record["UnitPrice"], abs=0.01)
    assert by_sku[population.products[0].sku]["Quantity"] == 2


def test_unknown_relationship_is_404(sf: Api, sf_token: str, place_order) -> None:
    order_id = place_order()
    reply = sf.get(f"{V}/sobjects/Order/{order_id}/Shipments", token=sf_token)
    assert reply.status_code == 404
    assert error_codes(reply.json()) == ["NOT_FOUND"]


# -- updating orders --------------------------------------------------------------------------------


def test_patch_erp_order_number_is_204_and_persisted(
    sf: Api, sf_token: str, salesforce: SalesforceMock, place_order
) -> None:
    order_id = place_order()
    env = salesforce.context.world.env
    before = sf.get(f"{V}/sobjects/Order/{order_id}", token=sf_token).json()
    env.advance_to(env.now + 90)

    reply = sf.patch(
        f"{V}/sobjects/Order/{order_id}", token=sf_token, json={"ERP_Order_Number__c": "SO1001", "ERP_Status__c": "B"}
    )

    assert reply.status_code == 204
    assert reply.content == b""
    after = sf.get(f"{V}/sobjects/Order/{order_id}", token=sf_token).json()
    assert after["ERP_Order_Number__c"] == "SO1001"
    assert after["ERP_Status__c"] == "B"
    assert after["LastModifiedDate"] > before["LastModifiedDate"]
    assert after["CreatedDate"] == before["CreatedDate"]
    assert after["Status"] == before["Status"] == "Activated"


def test_patch_accepts_the_attributes_block_a_client_echoes_back(sf: Api, sf_token: str, place_order) -> None:
    order_id = place_order()
    reply = sf.patch(
        f"{V}/sobjects/Order/{order_id}",
        token=sf_token,
        json={"attributes": {"type": "Order"}, "ERP_Status__c": "Pending Fulfillment"},
    )
    assert reply.status_code == 204


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ({"ERP_Order_Numbr__c": "SO1"}, "INVALID_FIELD", ["ERP_Order_Numbr__c"]),
        ({"TotalAmount": 1.0}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["TotalAmount"]),
        ({"OrderNumber": "1"}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["OrderNumber"]),
        ({"Id": "801000000000000AAA"}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["Id"]),
        ({"Fulfillment_Status__c": "Teleported"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["Fulfillment_Status__c"]),
        ({"Status": "Shipped"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["Status"]),
        ({"Status": None}, "REQUIRED_FIELD_MISSING", ["Status"]),
        ({"AccountId": "001000000000000AAA"}, "INVALID_CROSS_REFERENCE_KEY", ["AccountId"]),
    ],
)
def test_patch_refusals_name_the_field_and_change_nothing(
    sf: Api, sf_token: str, salesforce: SalesforceMock, place_order, body: dict, code: str, fields: list[str]
) -> None:
    order_id = place_order()
    before = dict(salesforce.state.records["Order"][order_id])
    # A valid field alongside the bad one: the whole request is refused, nothing half-applied.
    reply = sf.patch(f"{V}/sobjects/Order/{order_id}", token=sf_token, json={"ERP_Status__c": "changed", **body})

    assert reply.status_code == 400
    assert error_codes(reply.json()) == [code]
    assert reply.json()[0]["fields"] == fields
    assert salesforce.state.records["Order"][order_id] == before


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b"[]", b'[{"ERP_Status__c": "x"}]', b'"ERP_Status__c"', b"42", b"null"],
    ids=["malformed", "empty", "empty-array", "array", "string", "number", "null"],
)
def test_unparseable_or_non_object_bodies_are_json_parser_error(
    sf: Api, sf_token: str, place_order, raw: bytes
) -> None:
    order_id = place_order()
    headers = {"Content-Type": "application/json"}
    for method, path in (("PATCH", f"{V}/sobjects/Order/{order_id}"), ("POST", f"{V}/sobjects/Account")):
        reply = sf.request(method, path, token=sf_token, content=raw, headers=headers)
        assert reply.status_code == 400, (method, raw)
        assert error_codes(reply.json()) == ["JSON_PARSER_ERROR"]


def test_wrongly_typed_values_are_json_parser_error(sf: Api, sf_token: str, place_order) -> None:
    order_id = place_order()
    for body in ({"ERP_Status__c": 5}, {"ERP_Status__c": {"nested": True}}):
        reply = sf.patch(f"{V}/sobjects/Order/{order_id}", token=sf_token, json=body)
        assert reply.status_code == 400
        assert error_codes(reply.json()) == ["JSON_PARSER_ERROR"]


@pytest.mark.parametrize(
    "body",
    [{"Quantity": 7}, {"UnitPrice": 0.01}, {"Quantity": 7, "Quantity_Shipped__c": 1}],
    ids=["quantity", "unit-price", "quantity-with-a-fulfilment-field"],
)
def test_price_of_order_items_of_an_activated_order_is_locked(
    sf: Api, sf_token: str, salesforce: SalesforceMock, place_order, body: dict
) -> None:
    order_id = place_order()
    items = sf.get(f"{V}/sobjects/Order/{order_id}/OrderItems", token=sf_token).json()["records"]
    item_id = items[0]["Id"]
    before = dict(salesforce.state.records["OrderItem"][item_id])
    total = salesforce.state.records["Order"][order_id]["TotalAmount"]

    reply = sf.patch(f"{V}/sobjects/OrderItem/{item_id}", token=sf_token, json=body)

    assert reply.status_code == 400
    assert error_codes(reply.json()) == ["FIELD_CUSTOM_VALIDATION_EXCEPTION"]
    assert salesforce.state.records["OrderItem"][item_id] == before
    assert salesforce.state.records["Order"][order_id]["TotalAmount"] == total


def test_fulfilment_fields_of_order_items_stay_writable_after_activation(
    sf: Api, sf_token: str, salesforce: SalesforceMock, place_order
) -> None:
    """W4 records shipments per line on activated orders: those fields must not be locked."""
    order_id = place_order([(0, 3)])
    [item] = sf.get(f"{V}/sobjects/Order/{order_id}/OrderItems", token=sf_token).json()["records"]
    update = {"Quantity_Shipped__c": 2, "Quantity_Backordered__c": 1, "Tracking_Numbers__c": "1Z999AA10123456784"}

    reply = sf.patch(f"{V}/sobjects/OrderItem/{item['Id']}", token=sf_token, json=update)

    assert reply.status_code == 204
    after = sf.get(f"{V}/sobjects/OrderItem/{item['Id']}", token=sf_token).json()
    assert {k: after[k] for k in update} == update
    assert (after["Quantity"], after["TotalPrice"]) == (item["Quantity"], item["TotalPrice"])


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "1" + "0" * 400])
def test_non_finite_or_oversized_numbers_are_refused_not_stored(
    sf: Api, sf_token: str, salesforce: SalesforceMock, population, number: str
) -> None:
    entry_id, _ = salesforce.price_entries[population.products[0].sku]
    order = salesforce.state.create(
        "Order",
        {
            "AccountId": salesforce.account_ids[population.customers[0].number],
            "Pricebook2Id": salesforce.pricebook_id,
            "Status": "Draft",
            "EffectiveDate": "2026-11-27",
        },
    )
    raw = f'{{"OrderId": "{order["Id"]}", "PricebookEntryId": "{entry_id}", "Quantity": {number}, "UnitPrice": 1.5}}'

    reply = sf.post(
        f"{V}/sobjects/OrderItem", token=sf_token, content=raw, headers={"Content-Type": "application/json"}
    )

    assert reply.status_code == 400
    assert error_codes(reply.json()) == ["JSON_PARSER_ERROR"]
    assert not list(salesforce.state.where("OrderItem", OrderId=order["Id"]))
    assert sf.get(f"{V}/sobjects/Order/{order['Id']}", token=sf_token).json()["TotalAmount"] == 0


def test_order_items_of_a_draft_order_are_editable_and_roll_up(
    sf: Api, sf_token: str, salesforce: SalesforceMock, population
) -> None:
    state = salesforce.state
    entry_id, price = salesforce.price_entries[population.products[2].sku]
    order = state.create(
        "Order",
        {
            "AccountId": salesforce.account_ids[population.customers[1].number],
            "Pricebook2Id": salesforce.pricebook_id,
            "Status": "Draft",
            "EffectiveDate": "2026-11-27",
        },
    )
    item = state.create(
        "OrderItem", {"OrderId": order["Id"], "PricebookEntryId": entry_id, "Quantity": 1, "UnitPrice": price}
    )

    reply = sf.patch(f"{V}/sobjects/OrderItem/{item['Id']}", token=sf_token, json={"Quantity": 4})

    assert reply.status_code == 204
    line = sf.get(f"{V}/sobjects/OrderItem/{item['Id']}", token=sf_token).json()
    assert line["Quantity"] == 4
    assert line["TotalPrice"] == pytest.approx(4 * price, abs=0.01)
    head = sf.get(f"{V}/sobjects/Order/{order['Id']}", token=sf_token).json()
    assert head["TotalAmount"] == pytest.approx(4 * price, abs=0.01), "the order total rolls up from its items"

    activate = sf.patch(f"{V}/sobjects/Order/{order['Id']}", token=sf_token, json={"Status": "Activated"})
    assert activate.status_code == 204
    assert sf.get(f"{V}/sobjects/Order/{order['Id']}", token=sf_token).json()["ActivatedDate"] is not None
    locked = sf.patch(f"{V}/sobjects/OrderItem/{item['Id']}", token=sf_token, json={"Quantity": 5})
    assert locked.status_code == 400
    assert error_codes(locked.json()) == ["FIELD_CUSTOM_VALIDATION_EXCEPTION"]


# -- creating and describing ------------------------------------------------------------------------


def test_create_account_is_201_with_an_18_character_001_id(sf: Api, sf_token: str, salesforce: SalesforceMock) -> None:
    reply = sf.post(
        f"{V}/sobjects/Account", token=sf_token, json={"Name": "Acme Retail", "Customer_Number__c": "C99999"}
    )

    assert reply.status_code == 201
    body = reply.json()
    assert set(body) == {"id", "success", "errors"}
    assert body["success"] is True and body["errors"] == []
    new_id = body["id"]
    assert len(new_id) == 18 and new_id.startswith("001") and is_valid(new_id)
    assert new_id not in set(salesforce.account_ids.values())
    stored = sf.get(f"{V}/sobjects/Account/{new_id}", token=sf_token).json()
    assert stored["Name"] == "Acme Retail" and stored["Customer_Number__c"] == "C99999"
    assert stored["IsDeleted"] is False


def test_create_refusals(sf: Api, sf_token: str, population) -> None:
    missing = sf.post(f"{V}/sobjects/Account", token=sf_token, json={"Phone": "555-0100"})
    assert missing.status_code == 400
    assert error_codes(missing.json()) == ["REQUIRED_FIELD_MISSING"]
    assert missing.json()[0]["fields"] == ["Name"]

    taken = population.customers[0].number
    duplicate = sf.post(f"{V}/sobjects/Account", token=sf_token, json={"Name": "Again", "Customer_Number__c": taken})
    assert duplicate.status_code == 400
    assert error_codes(duplicate.json()) == ["DUPLICATE_VALUE"]

    unknown = sf.post(f"{V}/sobjects/Widget__c", token=sf_token, json={"Name": "x"})
    assert unknown.status_code == 404
    assert error_codes(unknown.json()) == ["NOT_FOUND"]


def test_describe_returns_typed_fields_and_relationships(sf: Api, sf_token: str) -> None:
    reply = sf.get(f"{V}/sobjects/Order/describe", token=sf_token)

    assert reply.status_code == 200
    body = reply.json()
    assert body["name"] == "Order"
    fields = {f["name"]: f for f in body["fields"]}
    assert {name: fields[name]["type"] for name in ("Id", "AccountId", "Status", "TotalAmount", "EffectiveDate")} == {
        "Id": "id",
        "AccountId": "reference",
        "Status": "picklist",
        "TotalAmount": "currency",
        "EffectiveDate": "date",
    }
    assert fields["AccountId"]["referenceTo"] == ["Account"]
    assert fields["TotalAmount"]["updateable"] is False and fields["TotalAmount"]["createable"] is False
    assert fields["ERP_Order_Number__c"]["updateable"] is True
    assert fields["Status"]["restrictedPicklist"] is True
    assert [p["value"] for p in fields["Status"]["picklistValues"]] == [
        "Draft",
        "Activated",
        "Cancellation Requested",
        "Cancelled",
    ]
    assert fields["Status"]["nillable"] is False
    assert {"relationshipName": "OrderItems", "childSObject": "OrderItem", "field": "OrderId"} in body[
        "childRelationships"
    ]
    account = sf.get(f"{V}/sobjects/Account/describe", token=sf_token).json()
    custom = {f["name"]: f for f in account["fields"]}["Customer_Number__c"]
    assert custom["externalId"] is True and custom["unique"] is True


# -- unknown paths and methods ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nowhere", 404, "NOT_FOUND"),
        ("GET", "/services/data/v62.0/nowhere", 404, "NOT_FOUND"),
        ("GET", "/services/data/v62.0/sobjects/Order/describe/extra/more", 404, "NOT_FOUND"),
        ("POST", "/services/data/", 405, "METHOD_NOT_ALLOWED"),
        ("GET", "/services/oauth2/token", 405, "METHOD_NOT_ALLOWED"),
        ("PUT", "/services/data/v62.0/sobjects/Order/801000000000000AAA", 405, "METHOD_NOT_ALLOWED"),
        ("POST", "/services/data/v62.0/sobjects/Order/describe", 405, "METHOD_NOT_ALLOWED"),
    ],
)
def test_unknown_paths_and_wrong_methods_answer_vendor_shaped_arrays(
    sf: Api, sf_token: str, method: str, path: str, status: int, code: str
) -> None:
    reply = sf.request(method, path, token=sf_token)
    assert reply.status_code == status
    assert reply.headers["content-type"].startswith("application/json")
    assert error_codes(reply.json()) == [code]


# -- limits -----------------------------------------------------------------------------------------


def test_every_data_response_carries_limit_info_and_usage_rises(sf: Api, sf_token: str, place_order) -> None:
    order_id = place_order()
    calls = [
        ("GET", f"{V}/", None),
        ("GET", f"{V}/sobjects/Order/{order_id}", None),
        ("GET", f"{V}/sobjects/Order/801000000000000AAA", None),  # 404
        ("PATCH", f"{V}/sobjects/Order/{order_id}", {"TotalAmount": 1}),  # 400
        ("PATCH", f"{V}/sobjects/Order/{order_id}", {"ERP_Status__c": "B"}),  # 204
        ("GET", f"{V}/sobjects/Order/{order_id}/OrderItems", None),
        ("GET", "/services/data/v99.0/", None),  # 404 unsupported version
        ("GET", f"{V}/sobjects/Order/describe", None),
    ]
    seen = []
    for method, path, body in calls:
        reply = sf.request(method, path, token=sf_token, json=body)
        used, limit = usage(reply)
        assert limit == 1_000_000
        seen.append(used)
    assert seen == sorted(seen) and len(set(seen)) == len(seen), f"usage must rise with every call: {seen}"

    for reply in (sf.get(f"{V}/"), sf.get(f"{V}/nowhere", token=sf_token), sf.request("PUT", f"{V}/sobjects/Order/x")):
        assert usage(reply)[0] >= seen[-1], "errors carry the header too, and usage never goes down"
    assert "sforce-limit-info" not in sf.post(TOKEN_PATH, data={}).headers


def test_exhausted_allowance_is_403_request_limit_exceeded(context, population, api_for) -> None:
    mock = SalesforceMock(context, api_limit=3)
    mock.seed(population)
    api = api_for(mock.asgi_app())
    creds = mock.credentials
    token = api.post(
        TOKEN_PATH,
        data={"grant_type": "client_credentials", "client_id": creds.client_id, "client_secret": creds.client_secret},
    ).json()["access_token"]

    for n in range(1, 4):
        reply = api.get(f"{V}/sobjects/Account/describe", token=token)
        assert reply.status_code == 200
        assert usage(reply) == (n, 3)

    for _ in range(2):
        refused = api.get(f"{V}/sobjects/Account/describe", token=token)
        assert refused.status_code == 403
        assert refused.json() == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        assert usage(refused)[1] == 3

    write = api.post(f"{V}/sobjects/Account", token=token, json={"Name": "Too late"})
    assert write.status_code == 403
    assert not [a for a in mock.state.records["Account"].values() if a["Name"] == "Too late"]
