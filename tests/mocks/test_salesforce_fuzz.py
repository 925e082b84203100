"""Whatever a client sends mock Salesforce, it answers as the org would: never a 5xx or a traceback.

Requests are drawn from the mock's own vocabulary (real paths, object and field names, ids, SOQL
fragments) mixed with arbitrary text, JSON and bytes, so the generator reaches deep handlers
instead of stopping at the first 404.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

if TYPE_CHECKING:
    from conftest import Api

SEGMENTS = [
    "services",
    "data",
    "v62.0",
    "v45.0",
    "v99.0",
    "sobjects",
    "Account",
    "Order",
    "OrderItem",
    "Case",
    "ReturnOrderLineItem",
    "describe",
    "query",
    "queryAll",
    "composite",
    "limits",
    "rehearse",
    "events",
    "OrderChangeEvent",
    "Customer_Number__c",
    "Legacy_Id__c",
    "Id",
    "OrderItems",
    "801000000000000AAA",
    "01g0L00000000001AAA-2000",
    "not-an-id",
]
SOQL = [
    "SELECT Id FROM Account",
    "SELECT Id, Account.Name FROM Order WHERE Status IN ('Draft') ORDER BY CreatedDate DESC LIMIT 5",
    "SELECT COUNT() FROM Order WHERE LastModifiedDate >= LAST_N_DAYS:2",
    "SELECT Id FROM Account WHERE Name LIKE '%'",
    "SELECT Id FROM Order WHERE TotalAmount > 'x'",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "Name",
                    "Status",
                    "records",
                    "compositeRequest",
                    "allOrNone",
                    "attributes",
                    "url",
                    "referenceId",
                    "method",
                    "body",
                    "Quantity",
                ]
            )
            | st.text(max_size=8),
            inner,
            max_size=5,
        )
    ),
    max_leaves=12,
)
paths = st.lists(st.sampled_from(SEGMENTS) | st.text(max_size=12), min_size=1, max_size=7).map(
    lambda parts: "/services/data/" + "/".join(quote(p, safe=".") for p in parts if p not in ("services", "data"))
)
bodies = json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=64)
params = st.dictionaries(
    st.sampled_from(["q", "fields", "ids", "replayId", "batchSize", "updateOnly", "allOrNone"]),
    st.sampled_from(SOQL) | st.text(max_size=30),
    max_size=3,
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"]),
    path=paths,
    body=bodies,
    query=params,
)
def test_no_request_gets_a_server_error(
    sf: Api, sf_token: str, method: str, path: str, body: bytes, query: dict[str, Any]
) -> None:
    reply = sf.request(
        method, path, token=sf_token, content=body, params=query, headers={"Content-Type": "application/json"}
    )
    assert reply.status_code < 500, (method, path, reply.text[:300])
    if reply.status_code >= 400:
        errors = reply.json()
        assert isinstance(errors, list) and all({"message", "errorCode"} <= set(e) for e in errors), errors
