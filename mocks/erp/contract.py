"""NetSuite's REST web services contract as the mock ERP states it on its routes (see ``mocks.contract``).

Record bodies differ per record type (a sales order, a customer, an item fulfilment), so a record's
body is described by what every record shares (``id``, ``links``) rather than per type.
"""

from __future__ import annotations

from mocks.contract import (
    BOOLEAN,
    INTEGER,
    STRING,
    Answer,
    Schema,
    Vendor,
    array,
    error_answers,
    header,
    oauth2,
    obj,
    parameter,
)
from mocks.erp import records

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
PROBLEM: Schema = obj(
    ["type", "title", "status", "o:errorDetails"],
    type=STRING,
    title=STRING,
    status=INTEGER,
    **{
        "o:errorDetails": array(
            obj(["detail", "o:errorCode"], detail=STRING, **{"o:errorCode": STRING, "o:errorPath": STRING}),
            minItems=1,
        )
    },
)
_ERRORS = {
    400: "Refused: INVALID_CONTENT, USER_ERROR, INVALID_PARAMETER, ...",
    401: "No valid token (INVALID_LOGIN)",
    404: "No such record type (INVALID_RCRD_TYPE), record (NONEXISTENT_ID) or sublist",
    429: "Over the account's concurrency limit (CONCURRENCY_LIMIT_EXCEEDED)",
    500: "Unexpected error (UNEXPECTED_ERROR)",
    503: "Maintenance or outage (SERVICE_UNAVAILABLE)",
}
error = error_answers(_ERRORS, PROBLEM, retry_after=(429, 503))


NETSUITE = Vendor(
    security_schemes={
        "oauth2": oauth2(
            "OAuth 2.0 client credentials (the mock takes a plain client id and secret, no JWT"
            " assertion); the access token is sent as a bearer token",
            TOKEN_PATH,
        )
    },
    security=[{"oauth2": []}],
    error=error,
    any_request=(401, 429, 500, 503),
    servers=[
        {
            "url": "https://{account}.suitetalk.api.netsuite.com",
            "description": "NetSuite (the mock serves the same paths)",
            "variables": {"account": {"default": "1234567"}},
        }
    ],
)

TOKEN_FORM: Schema = obj(
    ["grant_type", "client_id", "client_secret"],
    grant_type={"const": "client_credentials"},
    client_id=STRING,
    client_secret=STRING,
)
TOKEN: Schema = obj(
    ["access_token", "token_type", "expires_in"],
    access_token=STRING,
    token_type={"const": "Bearer"},
    expires_in=INTEGER,
)
OAUTH_ERROR: Schema = obj(["error"], error=STRING)

LINK: Schema = obj(["rel", "href"], rel=STRING, href=STRING)
RECORD: Schema = obj(["links", "id"], links=array(LINK), id=STRING, externalId=STRING)
COLLECTION: Schema = obj(
    ["links", "count", "hasMore", "items", "offset", "totalResults"],
    links=array(LINK),
    count=INTEGER,
    hasMore=BOOLEAN,
    items=array(obj(["links"], links=array(LINK))),
    offset=INTEGER,
    totalResults=INTEGER,
)
RECORD_TYPE = parameter("record_type", "path", {"enum": list(records.RECORD_TYPES)}, "The record type")
TARGET = parameter("target", "path", {"enum": list(records.RECORD_TYPES)}, "The record type the transform makes")
SUBLIST = parameter("sublist", "path", {"enum": sorted(set(records.SUBLISTS.values()))}, "The record's sublist")
KEY = parameter("key", "path", STRING, "The internal id, or eid:<externalId>")
PAGING = [
    parameter("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000}, "Page size (1000)"),
    parameter("offset", "query", {"type": "integer", "minimum": 0}, "A multiple of limit"),
]
LOCATION = {"Location": header({"type": "string", "format": "uri"}, "The record made or changed")}
WRITTEN = Answer("Done: no body, the record's URL in Location", headers=LOCATION)
ANY_OBJECT: Schema = {"type": "object"}
SUITEQL_IN: Schema = obj(["q"], q={"type": "string", "minLength": 1})
WRITTEN_LINKS = {
    "ReadRecord": {
        "operationId": "read_record",
        "parameters": {
            "record_type": "$request.path.record_type",
            "key": "$response.header.Location#regex:/([^/]+)$",
        },
    },
    "UpdateRecord": {
        "operationId": "update_record",
        "parameters": {
            "record_type": "$request.path.record_type",
            "key": "$response.header.Location#regex:/([^/]+)$",
        },
    },
}

SHARED: dict[str, Schema] = {"Problem": PROBLEM, "OAuthError": OAUTH_ERROR, "Collection": COLLECTION, "Record": RECORD}
"""Bodies stated once under components and referred to."""
