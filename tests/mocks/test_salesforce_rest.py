"""Mock Salesforce's REST surface beyond single rows: deletes, external ids, collections, composite,
queries over HTTP, limits, contention, returns, and the events pull path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import mocks.salesforce.api as salesforce_api
from mocks.salesforce import SalesforceMock

if TYPE_CHECKING:
    from conftest import Api

V = "/services/data/v62.0"
TOKEN_PATH = "/services/oauth2/token"


def codes(reply: Any) -> list[str]:
    body = reply.json()
    assert isinstance(body, list) and body, body
    return [entry["errorCode"] for entry in body]


def draft_order(salesforce: SalesforceMock, population: Any) -> dict[str, Any]:
    return salesforce.state.create(
        "Order",
        {
            "AccountId": salesforce.account_ids[population.customers[0].number],
            "Pricebook2Id": salesforce.pricebook_id,
            "Status": "Draft",
            "EffectiveDate": "2026-11-27",
        },
    )


def fresh_token(sf: Api, salesforce: SalesforceMock) -> str:
    """A new session (after simulated time has moved past the previous one's lifetime)."""
    creds = salesforce.credentials
    form = {"grant_type": "client_credentials", "client_id": creds.client_id, "client_secret": creds.client_secret}
    return str(sf.post(TOKEN_PATH, data=form).json()["access_token"])


def query(sf: Api, token: str, soql: str, endpoint: str = "query", **kwargs: Any) -> Any:
    return sf.get(f"{V}/{endpoint}", token=token, params={"q": soql}, **kwargs)


# -- resources and unknown paths --------------------------------------------------------------------


def test_every_advertised_resource_answers(sf: Api, sf_token: str) -> None:
    resources = sf.get(f"{V}/", token=sf_token).json()
    assert set(resources) == {"sobjects", "query", "queryAll", "limits", "composite"}
    for name, url in resources.items():
        params = {"q": "SELECT Id FROM Account LIMIT 1"} if name.startswith("query") else None
        assert sf.get(url, token=sf_token, params=params).status_code == 200, url


def test_unknown_paths_under_a_version_need_a_session_first(sf: Api, sf_token: str) -> None:
    anonymous = sf.get(f"{V}/nowhere")
    assert anonymous.status_code == 401
    assert codes(anonymous) == ["INVALID_SESSION_ID"]
    assert sf.get(f"{V}/nowhere", token=sf_token).status_code == 404


def test_describe_global_lists_objects_with_key_prefixes(sf: Api, sf_token: str) -> None:
    body = sf.get(f"{V}/sobjects/", token=sf_token).json()
    prefixes = {o["name"]: o["keyPrefix"] for o in body["sobjects"]}
    assert prefixes["Order"] == "801" and prefixes["Case"] == "500" and prefixes["ReturnOrder"] == "0RR"
    basic = sf.get(f"{V}/sobjects/Order", token=sf_token).json()
    assert basic["objectDescribe"]["urls"]["describe"] == f"{V}/sobjects/Order/describe"


# -- delete -----------------------------------------------------------------------------------------


def test_delete_is_204_then_entity_is_deleted(sf: Api, sf_token: str) -> None:
    created = sf.post(f"{V}/sobjects/Account", token=sf_token, json={"Name": "Short Lived"}).json()["id"]
    assert sf.request("DELETE", f"{V}/sobjects/Account/{created}", token=sf_token).status_code == 204
    for reply in (
        sf.get(f"{V}/sobjects/Account/{created}", token=sf_token),
        sf.request("DELETE", f"{V}/sobjects/Account/{created}", token=sf_token),
        sf.patch(f"{V}/sobjects/Account/{created}", token=sf_token, json={"Phone": "1"}),
    ):
        assert reply.status_code == 404
        assert codes(reply) == ["ENTITY_IS_DELETED"]
    soql = f"SELECT Id, IsDeleted FROM Account WHERE Id = '{created}'"
    assert query(sf, sf_token, soql).json()["totalSize"] == 0
    assert query(sf, sf_token, soql, "queryAll").json()["records"][0]["IsDeleted"] is True


def test_deleting_a_draft_order_takes_its_lines_and_an_activated_one_is_refused(
    sf: Api, sf_token: str, salesforce: SalesforceMock, population: Any, place_order: Any
) -> None:
    order = draft_order(salesforce, population)
    entry_id, price = salesforce.price_entries[population.products[0].sku]
    line = salesforce.state.create(
        "OrderItem", {"OrderId": order["Id"], "PricebookEntryId": entry_id, "Quantity": 1, "UnitPrice": price}
    )
    assert sf.request("DELETE", f"{V}/sobjects/Order/{order['Id']}", token=sf_token).status_code == 204
    assert salesforce.state.records["OrderItem"][line["Id"]]["IsDeleted"] is True

    activated = place_order()
    refused = sf.request("DELETE", f"{V}/sobjects/Order/{activated}", token=sf_token)
    assert refused.status_code == 400
    assert salesforce.state.records["Order"][activated]["IsDeleted"] is False


def test_delete_with_a_malformed_id_is_malformed_id(sf: Api, sf_token: str) -> None:
    reply = sf.request("DELETE", f"{V}/sobjects/Account/not-an-id", token=sf_token)
    assert reply.status_code == 400
    assert codes(reply) == ["MALFORMED_ID"]


# -- external ids -------------------------------------------------------------------------------------


def test_upsert_creates_then_updates_with_the_version_s_answer(
    sf: Api, sf_token: str, salesforce: SalesforceMock
) -> None:
    url = f"{V}/sobjects/Account/Customer_Number__c/C-777"
    created = sf.patch(url, token=sf_token, json={"Name": "New"})
    assert created.status_code == 201
    assert created.json() == {"id": created.json()["id"], "success": True, "errors": [], "created": True}
    updated = sf.patch(url, token=sf_token, json={"Name": "Renamed"})
    assert updated.status_code == 200
    assert updated.json() == {"id": created.json()["id"], "success": True, "errors": [], "created": False}
    old = sf.patch(
        "/services/data/v45.0/sobjects/Account/Customer_Number__c/C-777", token=sf_token, json={"Phone": "1"}
    )
    assert old.status_code == 204 and old.content == b"", "before API 46.0 an upsert update is 204"
    record = sf.get(url, token=sf_token).json()
    assert (record["Name"], record["Phone"], record["Customer_Number__c"]) == ("Renamed", "1", "C-777")


def test_upsert_update_only_and_mismatched_body(sf: Api, sf_token: str, salesforce: SalesforceMock) -> None:
    before = len(salesforce.state.records["Account"])
    missing = sf.patch(
        f"{V}/sobjects/Account/Customer_Number__c/C-NONE?updateOnly=true", token=sf_token, json={"Name": "x"}
    )
    assert missing.status_code == 404
    mismatch = sf.patch(
        f"{V}/sobjects/Account/Customer_Number__c/C-1", token=sf_token, json={"Name": "x", "Customer_Number__c": "C-2"}
    )
    assert mismatch.status_code == 400
    assert len(salesforce.state.records["Account"]) == before


def test_several_matches_are_300_with_the_record_urls(sf: Api, sf_token: str) -> None:
    ids = [
        sf.post(f"{V}/sobjects/Account", token=sf_token, json={"Name": n, "Legacy_Id__c": "L-1"}).json()["id"]
        for n in ("One", "Two")
    ]
    for reply in (
        sf.get(f"{V}/sobjects/Account/Legacy_Id__c/L-1", token=sf_token),
        sf.patch(f"{V}/sobjects/Account/Legacy_Id__c/L-1", token=sf_token, json={"Name": "Both?"}),
    ):
        assert reply.status_code == 300
        assert sorted(reply.json()) == sorted(f"{V}/sobjects/Account/{i}" for i in ids)


def test_non_external_id_fields_cannot_address_rows(sf: Api, sf_token: str) -> None:
    reply = sf.get(f"{V}/sobjects/Account/Name/Acme", token=sf_token)
    assert reply.status_code == 404
    assert codes(reply) == ["NOT_FOUND"]


def test_post_to_id_creates_from_api_37(sf: Api, sf_token: str) -> None:
    assert sf.post(f"{V}/sobjects/Account/Id", token=sf_token, json={"Name": "By Id"}).status_code == 201
    old = sf.post("/services/data/v36.0/sobjects/Account/Id", token=sf_token, json={"Name": "By Id"})
    assert old.status_code == 405


# -- validation the org does ---------------------------------------------------------------------------


def test_orders_start_as_draft_and_activate_only_with_products(
    sf: Api, sf_token: str, salesforce: SalesforceMock, population: Any
) -> None:
    account = salesforce.account_ids[population.customers[0].number]
    head = {"AccountId": account, "Pricebook2Id": salesforce.pricebook_id, "EffectiveDate": "2026-11-27"}
    activated = sf.post(f"{V}/sobjects/Order", token=sf_token, json={**head, "Status": "Activated"})
    assert activated.status_code == 400
    assert codes(activated) == ["FIELD_INTEGRITY_EXCEPTION"]

    order_id = sf.post(f"{V}/sobjects/Order", token=sf_token, json={**head, "Status": "Draft"}).json()["id"]
    empty = sf.patch(f"{V}/sobjects/Order/{order_id}", token=sf_token, json={"Status": "Activated"})
    assert empty.status_code == 400
    entry_id, price = salesforce.price_entries[population.products[0].sku]
    line = {"OrderId": order_id, "PricebookEntryId": entry_id, "UnitPrice": price}
    assert sf.post(f"{V}/sobjects/OrderItem", token=sf_token, json={**line, "Quantity": 2}).status_code == 201
    assert sf.patch(f"{V}/sobjects/Order/{order_id}", token=sf_token, json={"Status": "Activated"}).status_code == 204
    order = sf.get(f"{V}/sobjects/Order/{order_id}", token=sf_token).json()
    assert order["ActivatedDate"] is not None

    late = sf.post(f"{V}/sobjects/OrderItem", token=sf_token, json={**line, "Quantity": 1})
    assert late.status_code == 400
    assert codes(late) == ["FIELD_INTEGRITY_EXCEPTION"]


@pytest.mark.parametrize(
    ("sobject", "body", "code"),
    [
        ("Account", {"Name": "x", "PersonEmail": "not-an-email"}, "INVALID_EMAIL_ADDRESS"),
        ("Order", {"Status": "Draft", "EffectiveDate": "27/11/2026"}, "JSON_PARSER_ERROR"),
        ("Order", {"Status": "Draft", "EffectiveDate": "2026-02-30"}, "JSON_PARSER_ERROR"),
        ("Contact", {"LastName": "x", "AccountId": "001-broken"}, "MALFORMED_ID"),
        ("Contact", {"LastName": "x", "AccountId": "001000000000000AAA"}, "INVALID_CROSS_REFERENCE_KEY"),
    ],
)
def test_field_values_are_validated(
    sf: Api, sf_token: str, salesforce: SalesforceMock, population: Any, sobject: str, body: dict, code: str
) -> None:
    if sobject == "Order":
        body = {**body, "AccountId": salesforce.account_ids[population.customers[0].number]}
    reply = sf.post(f"{V}/sobjects/{sobject}", token=sf_token, json=body)
    assert reply.status_code == 400
    assert codes(reply) == [code]


@pytest.mark.parametrize("quantity", [0, -1, -0.5])
def test_order_item_quantities_must_be_positive(
    sf: Api, sf_token: str, salesforce: SalesforceMock, population: Any, quantity: float
) -> None:
    order = draft_order(salesforce, population)
    entry_id, price = salesforce.price_entries[population.products[0].sku]
    reply = sf.post(
        f"{V}/sobjects/OrderItem",
        token=sf_token,
        json={"OrderId": order["Id"], "PricebookEntryId": entry_id, "UnitPrice": price, "Quantity": quantity},
    )
    assert reply.status_code == 400
    assert reply.json()[0]["fields"] == ["Quantity"]


def test_unknown_fields_in_a_field_list_are_invalid_field(sf: Api, sf_token: str, place_order: Any) -> None:
    order_id = place_order()
    reply = sf.get(f"{V}/sobjects/Order/{order_id}", token=sf_token, params={"fields": "Status,Nope"})
    assert reply.status_code == 400
    assert codes(reply) == ["INVALID_FIELD"]


def test_huge_bodies_are_413_before_parsing(sf: Api, sf_token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(salesforce_api, "MAX_REQUEST_BYTES", 1024)
    reply = sf.post(f"{V}/sobjects/Account", token=sf_token, json={"Name": "x" * 2000})
    assert reply.status_code == 413
    assert codes(reply) == ["JSON_PARSER_ERROR"]


# -- collections and composite ---------------------------------------------------------------------------


def test_collection_all_or_none_rolls_everything_back(sf: Api, sf_token: str, salesforce: SalesforceMock) -> None:
    before = len(salesforce.state.records["Account"])
    records = [{"attributes": {"type": "Account"}, "Name": "Kept?"}, {"attributes": {"type": "Account"}}]
    refused = sf.post(f"{V}/composite/sobjects", token=sf_token, json={"allOrNone": True, "records": records})
    assert refused.status_code == 200
    results = refused.json()
    assert [r["success"] for r in results] == [False, False]
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert len(salesforce.state.records["Account"]) == before

    partial = sf.post(f"{V}/composite/sobjects", token=sf_token, json={"allOrNone": False, "records": records}).json()
    assert [r["success"] for r in partial] == [True, False]
    assert len(salesforce.state.records["Account"]) == before + 1


def test_collection_update_read_and_delete(sf: Api, sf_token: str) -> None:
    ids = [sf.post(f"{V}/sobjects/Account", token=sf_token, json={"Name": n}).json()["id"] for n in ("A", "B")]
    changes = [{"attributes": {"type": "Account"}, "id": i, "Phone": "555"} for i in ids]
    updated = sf.patch(f"{V}/composite/sobjects", token=sf_token, json={"records": changes}).json()
    assert [r["success"] for r in updated] == [True, True]
    read = sf.get(f"{V}/composite/sobjects/Account", token=sf_token, params={"ids": ",".join(ids), "fields": "Phone"})
    assert [r["Phone"] for r in read.json()] == ["555", "555"]
    deleted = sf.request("DELETE", f"{V}/composite/sobjects", token=sf_token, params={"ids": ",".join(ids)}).json()
    assert [r["success"] for r in deleted] == [True, True]


def test_composite_all_or_none_rolls_back_and_halts_the_rest(
    sf: Api, sf_token: str, salesforce: SalesforceMock
) -> None:
    before = len(salesforce.state.records["Account"])
    subrequests = [
        {"method": "POST", "url": f"{V}/sobjects/Account", "referenceId": "a", "body": {"Name": "Gone"}},
        {"method": "POST", "url": f"{V}/sobjects/Contact", "referenceId": "c", "body": {"AccountId": "@{a.id}"}},
        {"method": "GET", "url": f"{V}/sobjects/Account/@{{a.id}}", "referenceId": "r"},
    ]
    reply = sf.post(f"{V}/composite", token=sf_token, json={"allOrNone": True, "compositeRequest": subrequests})
    assert reply.status_code == 200
    answers = reply.json()["compositeResponse"]
    assert [a["httpStatusCode"] for a in answers] == [400, 400, 400]
    assert answers[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert answers[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert len(salesforce.state.records["Account"]) == before


def test_composite_counts_once_against_the_allowance(sf: Api, sf_token: str, salesforce: SalesforceMock) -> None:
    before = salesforce.state.api_used
    subrequests = [{"method": "GET", "url": f"{V}/limits", "referenceId": f"l{n}"} for n in range(5)]
    assert sf.post(f"{V}/composite", token=sf_token, json={"compositeRequest": subrequests}).status_code == 200
    assert salesforce.state.api_used == before + 1


def test_composite_with_an_unknown_reference_is_processing_halted(sf: Api, sf_token: str) -> None:
    subrequests = [{"method": "GET", "url": f"{V}/sobjects/Account/@{{nobody.id}}", "referenceId": "r"}]
    answer = sf.post(f"{V}/composite", token=sf_token, json={"compositeRequest": subrequests}).json()
    assert answer["compositeResponse"][0]["body"][0]["errorCode"] == "PROCESSING_HALTED"


# -- queries over HTTP ----------------------------------------------------------------------------------


def test_query_pages_by_batch_size_and_refuses_stale_locators(
    sf: Api, sf_token: str, salesforce: SalesforceMock
) -> None:
    for n in range(450):
        salesforce.state.create("Account", {"Name": f"Paged {n:03d}"})
    soql = "SELECT Name FROM Account WHERE Name LIKE 'Paged%' ORDER BY Name"
    first = query(sf, sf_token, soql, headers={"Sforce-Query-Options": "batchSize=200"}).json()
    assert (first["totalSize"], first["done"], len(first["records"])) == (450, False, 200)
    assert first["nextRecordsUrl"].startswith(f"{V}/query/01g") and first["nextRecordsUrl"].endswith("-200")
    names = [r["Name"] for r in first["records"]]
    url = first["nextRecordsUrl"]
    while url:
        page = sf.get(url, token=sf_token).json()
        names += [r["Name"] for r in page["records"]]
        url = page.get("nextRecordsUrl")
    assert names == [f"Paged {n:03d}" for n in range(450)]
    stale = sf.get(first["nextRecordsUrl"], token=sf_token)
    assert stale.status_code == 400
    assert codes(stale) == ["INVALID_QUERY_LOCATOR"]


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT FROM Account", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'", "MALFORMED_QUERY"),
        ("SELECT Id, Nope FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Account WHERE LastModifiedDate > '2026-01-01'", "INVALID_FIELD"),
        ("SELECT Id FROM Widget__c", "INVALID_TYPE"),
        ("", "MALFORMED_QUERY"),
    ],
)
def test_bad_queries_are_refused_with_a_position(sf: Api, sf_token: str, soql: str, code: str) -> None:
    reply = query(sf, sf_token, soql)
    assert reply.status_code == 400
    assert codes(reply) == [code]
    if soql:
        assert "ERROR at Row:1:Column:" in reply.json()[0]["message"]


def test_date_literals_and_datetimes_on_last_modified(
    sf: Api, sf_token: str, salesforce: SalesforceMock, place_order: Any
) -> None:
    env = salesforce.context.world.env
    first = place_order()
    env.advance_to(env.now + 3 * 86400)
    second = place_order()
    sf_token = fresh_token(sf, salesforce)
    today = query(sf, sf_token, "SELECT Id FROM Order WHERE LastModifiedDate = TODAY").json()
    assert [r["Id"] for r in today["records"]] == [second]
    recent = query(sf, sf_token, "SELECT Id FROM Order WHERE SystemModstamp >= LAST_N_DAYS:3 ORDER BY CreatedDate")
    assert [r["Id"] for r in recent.json()["records"]] == [first, second]
    since = query(sf, sf_token, "SELECT Id FROM Order WHERE LastModifiedDate > 2026-11-28T00:00:00Z").json()
    assert [r["Id"] for r in since["records"]] == [second]


def test_parent_fields_nest_under_the_relationship(sf: Api, sf_token: str, population: Any, place_order: Any) -> None:
    order_id = place_order([(0, 1)])
    soql = f"SELECT Id, Quantity, Order.OrderNumber, Product2.SKU__c FROM OrderItem WHERE OrderId = '{order_id}'"
    [line] = query(sf, sf_token, soql).json()["records"]
    assert line["Product2"]["SKU__c"] == population.products[0].sku
    assert line["Order"]["attributes"]["type"] == "Order"
    assert set(line) == {"attributes", "Id", "Quantity", "Order", "Product2"}


# -- limits and contention -------------------------------------------------------------------------------


def test_the_allowance_rolls_over_24_simulated_hours(context: Any, population: Any, api_for: Any) -> None:
    mock = SalesforceMock(context, api_limit=2)
    mock.seed(population)
    api = api_for(mock.asgi_app())
    creds = mock.credentials
    form = {"grant_type": "client_credentials", "client_id": creds.client_id, "client_secret": creds.client_secret}
    env = context.world.env
    token = api.post(TOKEN_PATH, data=form).json()["access_token"]
    assert api.get(f"{V}/limits", token=token).json()["DailyApiRequests"] == {"Max": 2, "Remaining": 1}
    env.advance_to(env.now + 3600)
    assert api.get(f"{V}/", token=token).status_code == 200
    assert api.get(f"{V}/", token=token).status_code == 403
    env.advance_to(24 * 3600 + 1)
    token = api.post(TOKEN_PATH, data=form).json()["access_token"]
    assert api.get(f"{V}/", token=token).status_code == 200, "the first call has left the window"
    assert api.get(f"{V}/", token=token).status_code == 403, "the second one, an hour later, has not"


def test_lock_contention_refuses_writes_and_changes_nothing(
    sf: Api, sf_token: str, salesforce: SalesforceMock, place_order: Any
) -> None:
    order_id = place_order()
    salesforce.contend_for_locks(1.0)
    reply = sf.patch(f"{V}/sobjects/Order/{order_id}", token=sf_token, json={"ERP_Status__c": "B"})
    assert reply.status_code == 400
    assert codes(reply) == ["UNABLE_TO_LOCK_ROW"]
    assert order_id in reply.json()[0]["message"]
    assert salesforce.state.records["Order"][order_id]["ERP_Status__c"] is None
    salesforce.contend_for_locks(0.0)
    assert sf.patch(f"{V}/sobjects/Order/{order_id}", token=sf_token, json={"ERP_Status__c": "B"}).status_code == 204


# -- returns ---------------------------------------------------------------------------------------------


def test_a_return_case_references_order_lines(sf: Api, sf_token: str, population: Any, place_order: Any) -> None:
    order_id = place_order([(0, 2), (1, 1)])
    lines = sf.get(f"{V}/sobjects/Order/{order_id}/OrderItems", token=sf_token).json()["records"]
    case = sf.post(
        f"{V}/sobjects/Case",
        token=sf_token,
        json={
            "Subject": "Return",
            "Type": "Return",
            "Status": "New",
            "Order__c": order_id,
            "Refund_Status__c": "Requested",
        },
    ).json()["id"]
    assert case.startswith("500")
    rma = sf.post(
        f"{V}/sobjects/ReturnOrder", token=sf_token, json={"CaseId": case, "OrderId": order_id, "Status": "Submitted"}
    )
    line = sf.post(
        f"{V}/sobjects/ReturnOrderLineItem",
        token=sf_token,
        json={"ReturnOrderId": rma.json()["id"], "OrderItemId": lines[0]["Id"], "QuantityReturned": 1},
    )
    assert line.status_code == 201
    soql = (
        "SELECT OrderItem.SKU__c, QuantityReturned, Product2Id FROM ReturnOrderLineItem"
        f" WHERE ReturnOrderId = '{rma.json()['id']}'"
    )
    [returned] = query(sf, sf_token, soql).json()["records"]
    assert returned["OrderItem"]["SKU__c"] == lines[0]["SKU__c"]
    assert returned["Product2Id"] == lines[0]["Product2Id"]

    closed = sf.patch(
        f"{V}/sobjects/Case/{case}", token=sf_token, json={"Status": "Closed", "Refund_Status__c": "Refunded"}
    )
    assert closed.status_code == 204
    after = sf.get(f"{V}/sobjects/Case/{case}", token=sf_token).json()
    assert after["IsClosed"] is True and after["ClosedDate"] is not None
    bad = sf.patch(f"{V}/sobjects/Case/{case}", token=sf_token, json={"Refund_Status__c": "Maybe"})
    assert codes(bad) == ["INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"]


# -- events: the pull path ---------------------------------------------------------------------------------

EVENTS = f"{V}/rehearse/events/data/OrderChangeEvent"


def test_pulled_events_are_the_pushed_ones_after_a_replay_id(
    sf: Api, sf_token: str, salesforce: SalesforceMock, place_order: Any
) -> None:
    order_id = place_order()
    everything = sf.get(EVENTS, token=sf_token, params={"replayId": -2}).json()
    assert [e["event"]["replayId"] for e in everything["events"]] == [1, 2]
    assert [e["payload"]["ChangeEventHeader"]["changeType"] for e in everything["events"]] == ["CREATE", "UPDATE"]
    assert everything["events"][1]["payload"]["ChangeEventHeader"]["recordIds"] == [order_id]
    assert everything["latestReplayId"] == 2 and everything["done"] is True

    after_first = sf.get(EVENTS, token=sf_token, params={"replayId": 1}).json()
    assert after_first["events"] == everything["events"][1:]
    assert sf.get(EVENTS, token=sf_token, params={"replayId": -1}).json()["events"] == []
    one = sf.get(EVENTS, token=sf_token, params={"replayId": 0, "batchSize": 1}).json()
    assert len(one["events"]) == 1 and one["done"] is False


def test_replaying_past_the_retention_window_is_refused(
    sf: Api, sf_token: str, salesforce: SalesforceMock, place_order: Any
) -> None:
    place_order()
    env = salesforce.context.world.env
    env.advance_to(env.now + 73 * 3600)
    place_order()
    token = fresh_token(sf, salesforce)
    lost = sf.get(EVENTS, token=token, params={"replayId": 0})
    assert lost.status_code == 400
    assert codes(lost) == ["INVALID_REPLAY_ID"]
    retained = sf.get(EVENTS, token=token, params={"replayId": -2}).json()
    assert [e["event"]["replayId"] for e in retained["events"]] == [3, 4]
    assert sf.get(EVENTS, token=token, params={"replayId": 99}).status_code == 400


def test_indexed_lookups_stay_exact_through_case_and_rollbacks(
    sf: Api, sf_token: str, salesforce: SalesforceMock, population: Any
) -> None:
    number = population.customers[0].number
    account_id = salesforce.account_ids[number]
    found = query(sf, sf_token, f"SELECT Id FROM Account WHERE Customer_Number__c = '{number.lower()}'").json()
    assert [r["Id"] for r in found["records"]] == [account_id], "SOQL's = ignores case"

    changes = [
        {"attributes": {"type": "Account"}, "id": account_id, "Customer_Number__c": "RENUMBERED"},
        {"attributes": {"type": "Account"}, "id": account_id, "Name": None},
    ]
    refused = sf.patch(f"{V}/composite/sobjects", token=sf_token, json={"allOrNone": True, "records": changes})
    assert [r["success"] for r in refused.json()] == [False, False]
    for value, expected in ((number, [account_id]), ("RENUMBERED", [])):
        rows = query(sf, sf_token, f"SELECT Id FROM Account WHERE Customer_Number__c = '{value}'").json()["records"]
        assert [r["Id"] for r in rows] == expected, value
    assert sf.get(f"{V}/sobjects/Account/Customer_Number__c/RENUMBERED", token=sf_token).status_code == 404
