"""Salesforce's REST API contract as the mock org states it on its routes (see ``mocks.contract``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
    nullable,
    oauth2,
    obj,
    parameter,
)
from mocks.salesforce.objects import SOBJECTS

TOKEN_PATH = "/services/oauth2/token"
ERRORS: Schema = array(
    obj(["message", "errorCode"], message=STRING, errorCode=STRING, fields=array(STRING)),
    minItems=1,
)
_ERRORS = {
    400: "Refused: JSON_PARSER_ERROR, MALFORMED_QUERY, INVALID_FIELD, REQUIRED_FIELD_MISSING, ...",
    401: "No valid session (INVALID_SESSION_ID)",
    403: "The org's API allowance is spent (REQUEST_LIMIT_EXCEEDED)",
    404: "No such resource, object or record (NOT_FOUND)",
    405: "Not allowed on this resource (METHOD_NOT_ALLOWED)",
    413: "The body is too large",
    500: "Unexpected error (UNKNOWN_EXCEPTION)",
    503: "Unavailable (SERVER_UNAVAILABLE)",
}


def limit_info(path: str) -> Mapping[str, dict[str, Any]]:
    """Every data API answer, errors included, reports the org's rolling 24-hour API usage."""
    if not path.startswith("/services/data/v"):
        return {}
    return {
        "Sforce-Limit-Info": header(
            {"type": "string", "pattern": "^api-usage=[0-9]+/[0-9]+$"}, "API requests used / allowed (24 hours)"
        )
    }


SALESFORCE = Vendor(
    security_schemes={
        "oauth2": oauth2(
            "OAuth 2.0 (client credentials or username-password); the access token is sent as"
            " `Authorization: Bearer <token>`",
            TOKEN_PATH,
            ("clientCredentials", "password"),
        )
    },
    security=[{"oauth2": []}],
    error=error_answers(_ERRORS, ERRORS, retry_after=(403, 503)),
    any_request=(401, 403, 500, 503),
    every_answer_headers=limit_info,
    servers=[{"url": "https://{instance}.my.salesforce.com", "variables": {"instance": {"default": "rehearse"}}}],
)

TOKEN_FORM: Schema = obj(
    ["grant_type", "client_id", "client_secret"],
    grant_type={"enum": ["client_credentials", "password"]},
    client_id=STRING,
    client_secret=STRING,
    username=STRING,
    password=STRING,
)
TOKEN: Schema = obj(
    ["access_token", "instance_url", "id", "token_type", "issued_at", "signature"],
    access_token=STRING,
    instance_url=STRING,
    id=STRING,
    token_type={"const": "Bearer"},
    issued_at={"type": "string", "pattern": "^[0-9]+$"},
    signature=STRING,
)
OAUTH_ERROR: Schema = obj(["error", "error_description"], error=STRING, error_description=STRING)

VERSION = parameter(
    "version", "path", {"type": "string", "pattern": r"^(3[1-9]|[45][0-9]|6[0-7])\.0$"}, "API version, e.g. 62.0"
)
SOBJECT = parameter("sobject", "path", {"enum": list(SOBJECTS)}, "The object's API name")
ATTRIBUTES = obj(["type", "url"], type=STRING, url=STRING)
RECORD: Schema = obj(["attributes"], attributes=ATTRIBUTES, Id=STRING)
QUERY_RESULT: Schema = obj(
    ["totalSize", "done", "records"], totalSize=INTEGER, done=BOOLEAN, nextRecordsUrl=STRING, records=array(RECORD)
)
SAVED: Schema = obj(["id", "success", "errors"], id=STRING, success={"const": True}, errors=array({}, maxItems=0))
UPSERTED: Schema = obj(
    ["id", "success", "errors", "created"], id=STRING, success={"const": True}, errors=array({}), created=BOOLEAN
)
CREATED: Schema = {**SAVED, "properties": {**SAVED["properties"], "created": {"const": True}}}
MULTIPLE = Answer("Several records match the external id: their URLs", array(STRING))
FIELD_VALUES: Schema = {"type": "object", "additionalProperties": True}
COLLECTION_RESULTS: Schema = array(
    obj(
        ["success", "errors"],
        id=STRING,
        success=BOOLEAN,
        errors=array(obj(["statusCode", "message"], statusCode=STRING, message=STRING, fields=array(STRING))),
    )
)
COLLECTION_IN: Schema = obj(
    ["records"], allOrNone=BOOLEAN, records=array(obj(["attributes"], attributes=obj(["type"], type=STRING)))
)
COMPOSITE_IN: Schema = obj(
    ["compositeRequest"],
    allOrNone=BOOLEAN,
    compositeRequest=array(
        obj(
            ["method", "url", "referenceId"],
            method={"enum": ["GET", "POST", "PATCH", "DELETE"]},
            url=STRING,
            referenceId={"type": "string", "pattern": "^[A-Za-z0-9_]+$"},
            body={},
        ),
        minItems=1,
        maxItems=25,
    ),
)
COMPOSITE: Schema = obj(
    ["compositeResponse"],
    compositeResponse=array(
        obj(
            ["body", "httpHeaders", "httpStatusCode", "referenceId"],
            body={},
            httpHeaders={"type": "object"},
            httpStatusCode=INTEGER,
            referenceId=STRING,
        )
    ),
)
OBJECT_SUMMARY: Schema = obj(
    ["name", "label", "urls"], name=STRING, label=STRING, keyPrefix=nullable(STRING), urls={"type": "object"}
)
GLOBAL_DESCRIBE: Schema = obj(["sobjects"], encoding=STRING, maxBatchSize=INTEGER, sobjects=array(OBJECT_SUMMARY))
DESCRIBE: Schema = {
    **obj(["name", "fields"], name=STRING, fields=array(obj(["name", "type"], name=STRING, type=STRING))),
}
LIMITS: Schema = {"type": "object", "additionalProperties": obj(["Max", "Remaining"], Max=INTEGER, Remaining=INTEGER)}
EVENTS: Schema = obj(
    ["channel", "events", "latestReplayId", "done"],
    channel=STRING,
    events=array({"type": "object"}),
    latestReplayId=INTEGER,
    done=BOOLEAN,
)
SOQL_EXAMPLES = [
    "SELECT Id, Name FROM Account",
    "SELECT Id, Account.Name FROM Order WHERE Status IN ('Draft') ORDER BY CreatedDate DESC LIMIT 5",
    "SELECT COUNT() FROM Order WHERE LastModifiedDate >= LAST_N_DAYS:2",
    "SELECT Id FROM Account WHERE Name LIKE '%'",
    "SELECT Id FROM Order WHERE TotalAmount > 'x'",
]
"""Queries an integration sends, and one the org refuses (a number compared with text)."""
FIELDS = parameter("fields", "query", STRING, "Comma-separated field names to return")
RECORD_LINKS = {
    "ReadRecord": {
        "operationId": "read_record",
        "parameters": {
            "version": "$request.path.version",
            "sobject": "$request.path.sobject",
            "record_id": "$response.body#/id",
        },
    },
    "UpdateRecord": {
        "operationId": "update_record",
        "parameters": {
            "version": "$request.path.version",
            "sobject": "$request.path.sobject",
            "record_id": "$response.body#/id",
        },
    },
}

SHARED: dict[str, Schema] = {
    "Errors": ERRORS,
    "OAuthError": OAUTH_ERROR,
    "Record": RECORD,
    "QueryResult": QUERY_RESULT,
    "SaveResult": SAVED,
    "CollectionResults": COLLECTION_RESULTS,
    "MultipleChoices": array(STRING),
}
"""Bodies stated once under components and referred to."""
