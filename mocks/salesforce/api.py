"""Salesforce's REST surface: OAuth, versions, sObject rows (by id and by external id), describe,
SOQL queries with paging, limits, composite and sObject collections, and a pull path for events.

Every refusal is the org's error body (a JSON array of ``{message, errorCode, fields}``) with the
org's status; nothing a client sends can produce a traceback.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import parse_qs

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harness.capture import tag
from harness.world import World
from mocks.contract import BOOLEAN, INTEGER, STRING, Answer, array, nullable, obj, parameter
from mocks.salesforce.contract import (
    COLLECTION_IN,
    COLLECTION_RESULTS,
    COMPOSITE,
    COMPOSITE_IN,
    CREATED,
    DESCRIBE,
    EVENTS,
    FIELD_VALUES,
    FIELDS,
    LIMITS,
    MULTIPLE,
    OAUTH_ERROR,
    OBJECT_SUMMARY,
    QUERY_RESULT,
    RECORD,
    RECORD_LINKS,
    SALESFORCE,
    SAVED,
    SHARED,
    SOBJECT,
    SOQL_EXAMPLES,
    TOKEN,
    TOKEN_FORM,
    TOKEN_PATH,
    UPSERTED,
    VERSION,
)
from mocks.salesforce.errors import MultipleChoices, SalesforceError, invalid_session, not_found
from mocks.salesforce.events import CHANNELS, ChangeEventStream, ReplayOutOfRange
from mocks.salesforce.ids import KEY_PREFIXES
from mocks.salesforce.objects import SOBJECTS, SObject
from mocks.salesforce.soql import Runner, compile_query
from mocks.salesforce.state import Record, SalesforceState

OLDEST_VERSION = 31
NEWEST_VERSION = 67
UPSERT_REPORTS_UPDATES_SINCE = 46
"""From API 46.0 an upsert that updates answers 200 with ``created: false``; before, 204 and no body."""
CREATE_BY_ID_SINCE = 37
"""From API 37.0, ``POST sobjects/{Object}/Id`` creates (``Id`` as the external id, value null)."""
MAX_REQUEST_BYTES = 50 * 1024 * 1024
"""Largest request body accepted; bigger ones are refused with 413 before being parsed."""
QUERY_BATCH = 2000
"""Records per query page unless ``Sforce-Query-Options: batchSize=`` asks for fewer (200 at least)."""
COLLECTION_LIMIT = 200
"""Records per ``composite/sobjects`` request."""
COMPOSITE_LIMIT = 25
"""Subrequests per ``composite`` request."""
EVENT_BATCH = 100
SUBREQUEST_HEADER = "x-rehearse-composite-subrequest"
ROLLED_BACK = "The transaction was rolled back since another operation in the same transaction failed."

_VERSION = re.compile(r"^(\d{2})\.0$")
_SEASONS = ("Winter", "Spring", "Summer")
_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)\.([^}]+)\}")
_BATCH_SIZE = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)
_SUBREQUEST_URL = re.compile(r"/services/data/v[^\x00-\x20\x7f]*")
"""A composite subrequest names a resource path of this API, printable and without spaces."""


def release_label(version: int) -> str:
    """Salesforce names releases three a year; v59.0 was Winter '24."""
    offset = version - 59
    return f"{_SEASONS[offset % 3]} '{24 + offset // 3:02d}"


class Credentials:
    """The connected app and integration user a SUT is given."""

    def __init__(self, client_id: str, client_secret: str, username: str, password: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.username = username
        self.password = password


class _LimitInfo:
    """Adds ``Sforce-Limit-Info`` to every data API response, errors included, as the org does."""

    def __init__(self, app: ASGIApp, state: SalesforceState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/services/data/v"):
            await self.app(scope, receive, send)
            return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                usage = f"api-usage={self.state.api_used}/{self.state.api_limit}".encode()
                message["headers"] = [*message.get("headers", []), (b"sforce-limit-info", usage)]
            await send(message)

        await self.app(scope, receive, send_with_limits)


def _too_large() -> SalesforceError:
    return SalesforceError(
        413, "JSON_PARSER_ERROR", f"Request body exceeds the maximum size of {MAX_REQUEST_BYTES} bytes", []
    )


async def read_body(request: Request) -> bytes:
    """The request body, refused with 413 as soon as it is known to be too large."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
        raise _too_large()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_REQUEST_BYTES:
            raise _too_large()
    return bytes(body)


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise SalesforceError(400, "JSON_PARSER_ERROR", f"Unexpected character in request body: {exc}", []) from exc


def as_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise SalesforceError(
            400, "JSON_PARSER_ERROR", "Cannot deserialize instance of sObject from a non-object value", []
        )
    return body


def collection_error(exc: SalesforceError) -> dict[str, Any]:
    """Inside collection results Salesforce names the code ``statusCode``, not ``errorCode``."""
    return {"statusCode": exc.error_code, "message": exc.message, "fields": exc.fields or []}


def _resolve_reference(results: dict[str, Any], ref: str, expression: str) -> Any:
    """``records[0].Id`` or ``id`` within an earlier subrequest's response body."""
    value: Any = results[ref]
    for step in re.findall(r"[^.\[\]]+|\[\d+\]", expression):
        if step.startswith("["):
            index = int(step[1:-1])
            if not isinstance(value, list) or index >= len(value):
                raise KeyError(expression)
            value = value[index]
        else:
            if not isinstance(value, dict) or step not in value:
                raise KeyError(expression)
            value = value[step]
    return value


def _substitute(value: Any, results: dict[str, Any]) -> Any:
    """Replace ``@{ref.path}`` in strings (URLs, body values) with what that subrequest answered."""
    if isinstance(value, str):
        whole = _REFERENCE.fullmatch(value)
        if whole:
            return _resolve_reference(results, whole.group(1), whole.group(2))
        return _REFERENCE.sub(lambda m: str(_resolve_reference(results, m.group(1), m.group(2))), value)
    if isinstance(value, dict):
        return {k: _substitute(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, results) for v in value]
    return value


def build_app(
    world: World,
    state: SalesforceState,
    credentials: Credentials,
    *,
    session_lifetime: float,
    changes: ChangeEventStream,
) -> ASGIApp:
    app = FastAPI(title="Mock Salesforce", docs_url=None, redoc_url=None)
    SALESFORCE.publish(app, __doc__ or "", SHARED)
    # The hot handlers (token, rows, queries, upserts) return a JSONResponse themselves: a returned
    # dict goes through FastAPI's generic encoder, which costs more than the handler's own work.
    subrequest_key = secrets.token_hex(16)
    """Marks composite subrequests, which run inside the one counted composite call."""

    @app.exception_handler(SalesforceError)
    async def _salesforce_error(_: Request, exc: SalesforceError) -> Response:
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            return SalesforceError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed.").response()
        return not_found().response()

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> Response:
        return SalesforceError(400, "JSON_PARSER_ERROR", "The request body could not be parsed").response()

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        return SalesforceError(
            500, "UNKNOWN_EXCEPTION", f"An unexpected error occurred. ({type(exc).__name__})"
        ).response()

    def authorise(request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        session = state.sessions.get(token.strip()) if scheme.lower() in ("bearer", "oauth") else None
        if session is None:
            raise invalid_session()
        if world.sync() - session.issued_at > session_lifetime:
            del state.sessions[session.token]
            raise invalid_session()
        if request.headers.get(SUBREQUEST_HEADER) != subrequest_key:
            state.api_call()

    def version_of(version: str) -> int:
        match = _VERSION.match(version)
        if not match or not OLDEST_VERSION <= int(match.group(1)) <= NEWEST_VERSION:
            raise not_found()
        return int(match.group(1))

    def attributes(sobject: str, record: Record, version: str) -> dict[str, Any]:
        return {"attributes": {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{record['Id']}"}}

    def shaped(described: SObject, record: Record, version: str) -> dict[str, Any]:
        return {**attributes(described.name, record, version), **record}

    def picked(described: SObject, record: Record, version: str, fields: str | None) -> dict[str, Any]:
        """The record, or only the fields a ``?fields=`` list names (each must exist)."""
        if fields is None:
            return shaped(described, record, version)
        out = attributes(described.name, record, version)
        for name in (n.strip() for n in fields.split(",")):
            found = described.field(name)
            if found is None:
                raise SalesforceError(
                    400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {described.name}", [name]
                )
            out[found.name] = record.get(found.name)
        return out

    async def json_body(request: Request) -> dict[str, Any]:
        return as_object(parse_json(await read_body(request)))

    # -- OAuth ----------------------------------------------------------------------------------

    @app.post(
        TOKEN_PATH,
        **SALESFORCE.operation(
            "Sign in: OAuth 2.0 client credentials or username-password",
            {200: Answer("An access token and the instance URL", TOKEN)},
            public=True,
            form=TOKEN_FORM,
            own_errors={400: Answer("The grant is refused", OAUTH_ERROR)},
            example={
                "grant_type": "client_credentials",
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret,
            },
        ),
    )
    async def token(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await read_body(request)).decode("utf-8", "replace")).items()}
        grant = form.get("grant_type")
        if grant not in ("client_credentials", "password"):
            return JSONResponse(
                {"error": "unsupported_grant_type", "error_description": "grant type not supported"}, 400
            )
        if form.get("client_id") != credentials.client_id:
            return JSONResponse({"error": "invalid_client_id", "error_description": "client identifier invalid"}, 400)
        if form.get("client_secret") != credentials.client_secret:
            return JSONResponse({"error": "invalid_client", "error_description": "invalid client credentials"}, 400)
        if grant == "password" and (
            form.get("username") != credentials.username
            or not (form.get("password") or "").startswith(credentials.password)
        ):
            return JSONResponse({"error": "invalid_grant", "error_description": "authentication failure"}, 400)
        session = state.open_session(world.sync())
        identity = f"https://login.salesforce.com/id/{state.org_id}/{session.user_id}"
        issued_at = str(int(world.clock.datetime_at(session.issued_at).timestamp() * 1000))
        signature = base64.b64encode(
            hmac.new(credentials.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256).digest()
        ).decode()
        return JSONResponse(
            {
                "access_token": session.token,
                "instance_url": str(request.base_url).rstrip("/"),
                "id": identity,
                "token_type": "Bearer",
                "issued_at": issued_at,
                "signature": signature,
            }
        )

    # -- versions and resources -----------------------------------------------------------------

    versions_op = SALESFORCE.operation(
        "The API versions this org serves",
        {200: Answer("Versions", array(obj(["label", "url", "version"], label=STRING, url=STRING, version=STRING)))},
        public=True,
    )

    @app.get("/services/data", **versions_op)
    @app.get("/services/data/", **versions_op)
    async def versions() -> list[dict[str, str]]:
        return [
            {"label": release_label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
            for v in range(OLDEST_VERSION, NEWEST_VERSION + 1)
        ]

    resources_op = SALESFORCE.operation(
        "The resources of a version",
        {200: Answer("Resource URLs", {"type": "object", "additionalProperties": STRING})},
        [404],
        parameters=[VERSION],
    )

    @app.get("/services/data/v{version}", **resources_op)
    @app.get("/services/data/v{version}/", **resources_op)
    async def resources(version: str, request: Request) -> dict[str, str]:
        authorise(request)
        base = f"/services/data/v{version_of(version)}.0"
        return {name: f"{base}/{name}" for name in ("sobjects", "query", "queryAll", "limits", "composite")}

    composite_resources_op = SALESFORCE.operation(
        "The composite resources",
        {200: Answer("Resource URLs", {"type": "object", "additionalProperties": STRING})},
        [404],
        parameters=[VERSION],
    )

    @app.get("/services/data/v{version}/composite", **composite_resources_op)
    @app.get("/services/data/v{version}/composite/", **composite_resources_op)
    async def composite_resources(version: str, request: Request) -> dict[str, str]:
        authorise(request)
        return {"sobjects": f"/services/data/v{version_of(version)}.0/composite/sobjects"}

    limits_op = SALESFORCE.operation(
        "The org's limits and what remains of them",
        {200: Answer("Limits", LIMITS)},
        [404],
        parameters=[VERSION],
    )

    @app.get("/services/data/v{version}/limits", **limits_op)
    @app.get("/services/data/v{version}/limits/", **limits_op)
    async def limits(version: str, request: Request) -> dict[str, Any]:
        authorise(request)
        version_of(version)
        used = state.api_used
        return {
            "DailyApiRequests": {"Max": state.api_limit, "Remaining": max(state.api_limit - used, 0)},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
            "DataStorageMB": {"Max": 5, "Remaining": 5},
            "DailyStandardVolumePlatformEvents": {"Max": 10000, "Remaining": 10000},
        }

    # -- describe ------------------------------------------------------------------------------

    def object_summary(described: SObject, version: str) -> dict[str, Any]:
        base = f"/services/data/v{version}/sobjects/{described.name}"
        return {
            "name": described.name,
            "label": described.label,
            "labelPlural": described.label + "s",
            "keyPrefix": KEY_PREFIXES.get(described.name),
            "custom": described.name.endswith("__c"),
            "createable": True,
            "updateable": True,
            "deletable": True,
            "queryable": True,
            "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
        }

    describe_global_op = SALESFORCE.operation(
        "Every object of the org",
        {
            200: Answer(
                "Objects", obj(["sobjects"], encoding=STRING, maxBatchSize=INTEGER, sobjects=array(OBJECT_SUMMARY))
            )
        },
        [404],
        parameters=[VERSION],
    )

    @app.get("/services/data/v{version}/sobjects", **describe_global_op)
    @app.get("/services/data/v{version}/sobjects/", **describe_global_op)
    async def describe_global(version: str, request: Request) -> dict[str, Any]:
        authorise(request)
        version_of(version)
        return {
            "encoding": "UTF-8",
            "maxBatchSize": COLLECTION_LIMIT,
            "sobjects": [object_summary(o, version) for o in SOBJECTS.values()],
        }

    basic_info_op = SALESFORCE.operation(
        "An object's summary",
        {200: Answer("The summary", obj(["objectDescribe"], objectDescribe=OBJECT_SUMMARY, recentItems=array(RECORD)))},
        [404],
        parameters=[VERSION, SOBJECT],
    )

    @app.get("/services/data/v{version}/sobjects/{sobject}", **basic_info_op)
    @app.get("/services/data/v{version}/sobjects/{sobject}/", **basic_info_op)
    async def basic_info(version: str, sobject: str, request: Request) -> dict[str, Any]:
        authorise(request)
        version_of(version)
        return {"objectDescribe": object_summary(state.describe(sobject), version), "recentItems": []}

    describe_op = SALESFORCE.operation(
        "An object's fields",
        {200: Answer("The description", DESCRIBE)},
        [404],
        parameters=[VERSION, SOBJECT],
    )

    @app.get("/services/data/v{version}/sobjects/{sobject}/describe", **describe_op)
    @app.get("/services/data/v{version}/sobjects/{sobject}/describe/", **describe_op)
    async def describe(version: str, sobject: str, request: Request) -> dict[str, Any]:
        authorise(request)
        described = state.describe(sobject)
        version_of(version)
        return {
            **object_summary(described, version),
            "fields": [
                {
                    "name": f.name,
                    "label": f.label,
                    "type": f.type,
                    "custom": f.name.endswith("__c"),
                    "updateable": f.updateable,
                    "createable": f.createable,
                    "nillable": not f.required,
                    "externalId": f.external_id,
                    "unique": f.unique,
                    "idLookup": f.name == "Id" or f.external_id,
                    "referenceTo": [f.reference_to] if f.reference_to else [],
                    "relationshipName": f.relationship_name,
                    "picklistValues": [{"value": v, "label": v, "active": True} for v in f.picklist],
                    "restrictedPicklist": bool(f.picklist),
                }
                for f in described.fields
            ],
            "childRelationships": [
                {"relationshipName": n, "childSObject": c, "field": f} for n, c, f in described.child_relationships
            ],
        }

    # -- rows by id ---------------------------------------------------------------------------

    def create_record(sobject: str, body: dict[str, Any]) -> Record:
        return state.create(sobject, {k: v for k, v in body.items() if k != "attributes"})

    create_op = SALESFORCE.operation(
        "Create a record",
        {201: Answer("Created", SAVED)},
        [400, 404, 413],
        parameters=[VERSION, {**SOBJECT, "example": "Account"}],
        body=FIELD_VALUES,
        links={201: RECORD_LINKS},
        example={"Name": "Rehearsal Ltd", "Customer_Number__c": "C-REHEARSAL"},
    )

    @app.post("/services/data/v{version}/sobjects/{sobject}", **create_op)
    @app.post("/services/data/v{version}/sobjects/{sobject}/", **create_op)
    async def create(version: str, sobject: str, request: Request) -> Response:
        authorise(request)
        version_of(version)
        record = create_record(sobject, await json_body(request))
        tag(request.scope, record["Id"])
        return JSONResponse({"id": record["Id"], "success": True, "errors": []}, status_code=201)

    @app.post(
        "/services/data/v{version}/sobjects/{sobject}/{field_name}",
        **SALESFORCE.operation(
            "Create through the Id external id (POST .../{Object}/Id, API 37.0+)",
            {201: Answer("Created", SAVED)},
            [400, 404, 405, 413],
            parameters=[VERSION, SOBJECT],
            body=FIELD_VALUES,
        ),
    )
    async def create_by_id(version: str, sobject: str, field_name: str, request: Request) -> Response:
        """``POST sobjects/{Object}/Id``: an upsert whose external id is ``Id`` with no value: a create."""
        authorise(request)
        if field_name != "Id" or version_of(version) < CREATE_BY_ID_SINCE:
            raise SalesforceError(
                405, "METHOD_NOT_ALLOWED", "HTTP Method 'POST' not allowed. Allowed are GET,PATCH,DELETE"
            )
        return await create(version, sobject, request)

    @app.get(
        "/services/data/v{version}/sobjects/{sobject}/{record_id}",
        **SALESFORCE.operation(
            "Read a record",
            {200: Answer("The record", RECORD)},
            [400, 404],
            parameters=[VERSION, SOBJECT, FIELDS],
            operation_id="read_record",
        ),
    )
    async def read(version: str, sobject: str, record_id: str, request: Request) -> Response:
        authorise(request)
        described = state.describe(sobject)
        record = state.get(described.name, record_id)
        tag(request.scope, record["Id"])
        return JSONResponse(
            picked(described, record, str(version_of(version)) + ".0", request.query_params.get("fields"))
        )

    @app.patch(
        "/services/data/v{version}/sobjects/{sobject}/{record_id}",
        **SALESFORCE.operation(
            "Update a record",
            {204: Answer("Updated")},
            [400, 404, 413],
            parameters=[VERSION, SOBJECT],
            body=FIELD_VALUES,
            operation_id="update_record",
        ),
    )
    async def update(version: str, sobject: str, record_id: str, request: Request) -> Response:
        authorise(request)
        version_of(version)
        body = await json_body(request)
        record = state.update(sobject, record_id, body)
        tag(request.scope, record["Id"])
        return Response(status_code=204)

    @app.delete(
        "/services/data/v{version}/sobjects/{sobject}/{record_id}",
        **SALESFORCE.operation("Delete a record", {204: Answer("Deleted")}, [400, 404], parameters=[VERSION, SOBJECT]),
    )
    async def delete(version: str, sobject: str, record_id: str, request: Request) -> Response:
        authorise(request)
        version_of(version)
        record = state.delete(sobject, record_id)
        tag(request.scope, record["Id"])
        return Response(status_code=204)

    # -- relationships and rows by external id ---------------------------------------------------

    @app.get(
        "/services/data/v{version}/sobjects/{sobject}/{first}/{second}",
        **SALESFORCE.operation(
            "A record's children ({id}/{Relationship}) or a record by external id ({Field}/{value})",
            {200: Answer("The children as a query result, or the record", {"anyOf": [QUERY_RESULT, RECORD]})},
            [400, 404],
            parameters=[VERSION, SOBJECT, FIELDS],
            own_errors={300: MULTIPLE},
        ),
    )
    async def related_or_external(
        version: str, sobject: str, first: str, second: str, request: Request
    ) -> dict[str, Any]:
        """``{id}/{Relationship}`` lists children; ``{ExternalIdField}/{value}`` reads one row."""
        authorise(request)
        version_of(version)
        parent = state.describe(sobject)
        if parent.field(first) is None:
            child, children = state.children(sobject, first, second)
            tag(request.scope, first)
            records = [shaped(child, c, version) for c in children]
            return {"totalSize": len(records), "done": True, "records": records}
        described, _, matches = state.by_external_id(sobject, first, second)
        if not matches:
            raise not_found()
        if len(matches) > 1:
            raise multiple_matches(described, matches, version)
        tag(request.scope, matches[0]["Id"])
        return picked(described, matches[0], version, request.query_params.get("fields"))

    def multiple_matches(described: SObject, matches: list[Record], version: str) -> MultipleChoices:
        return MultipleChoices([f"/services/data/v{version}/sobjects/{described.name}/{m['Id']}" for m in matches])

    @app.patch(
        "/services/data/v{version}/sobjects/{sobject}/{field_name}/{value}",
        **SALESFORCE.operation(
            "Upsert by external id",
            {
                201: Answer(
                    "Created (created: true from API 46.0)",
                    CREATED,
                ),
                200: Answer("Updated, API 46.0 and later", UPSERTED),
                204: Answer("Updated, before API 46.0"),
            },
            [400, 404, 413],
            parameters=[
                VERSION,
                SOBJECT,
                parameter("updateOnly", "query", BOOLEAN, "Refuse to create (404 when nothing matches)"),
            ],
            body=FIELD_VALUES,
            own_errors={300: MULTIPLE},
        ),
    )
    async def upsert(version: str, sobject: str, field_name: str, value: str, request: Request) -> Response:
        authorise(request)
        number = version_of(version)
        body = {k: v for k, v in (await json_body(request)).items() if k != "attributes"}
        described, external, matches = state.by_external_id(sobject, field_name, value)
        if len(matches) > 1:
            raise multiple_matches(described, matches, version)
        if matches:
            record = state.update(described.name, matches[0]["Id"], body)
            tag(request.scope, record["Id"])
            if number < UPSERT_REPORTS_UPDATES_SINCE:
                return Response(status_code=204)
            return JSONResponse({"id": record["Id"], "success": True, "errors": [], "created": False})
        if request.query_params.get("updateOnly", "").lower() == "true" or external.name == "Id":
            raise not_found()
        if external.name in body and body[external.name] != value:
            raise SalesforceError(
                400,
                "INVALID_FIELD",
                f"Invalid field: {external.name} in the request body doesn't match the external ID in the URL",
                [external.name],
            )
        record = state.create(described.name, {**body, external.name: value})
        tag(request.scope, record["Id"])
        created: dict[str, Any] = {"id": record["Id"], "success": True, "errors": []}
        if number >= UPSERT_REPORTS_UPDATES_SINCE:
            created["created"] = True
        return JSONResponse(created, status_code=201)

    @app.delete(
        "/services/data/v{version}/sobjects/{sobject}/{field_name}/{value}",
        **SALESFORCE.operation(
            "Delete by external id",
            {204: Answer("Deleted")},
            [400, 404],
            parameters=[VERSION, SOBJECT],
            own_errors={300: MULTIPLE},
        ),
    )
    async def delete_by_external_id(
        version: str, sobject: str, field_name: str, value: str, request: Request
    ) -> Response:
        authorise(request)
        version_of(version)
        described, _, matches = state.by_external_id(sobject, field_name, value)
        if not matches:
            raise not_found()
        if len(matches) > 1:
            raise multiple_matches(described, matches, version)
        state.delete(described.name, matches[0]["Id"])
        tag(request.scope, matches[0]["Id"])
        return Response(status_code=204)

    # -- SOQL ---------------------------------------------------------------------------------

    def query_page(
        records: list[Record], total: int, next_locator: str | None, endpoint: str, version: str
    ) -> dict[str, Any]:
        page: dict[str, Any] = {"totalSize": total, "done": next_locator is None}
        if next_locator is not None:
            page["nextRecordsUrl"] = f"/services/data/v{version}/{endpoint}/{next_locator}"
        page["records"] = records
        return page

    def run_query(request: Request, version: str, include_deleted: bool) -> dict[str, Any]:
        soql = request.query_params.get("q")
        if soql is None:
            raise SalesforceError(400, "MALFORMED_QUERY", "A query string has to be specified")
        plan = compile_query(soql)
        runner = Runner(plan, state.now(), state.parent)
        narrowed = plan.equality()
        found_by_index = state.lookup(plan.sobject.name, *narrowed) if narrowed else None
        stored = state.records[plan.sobject.name].values() if found_by_index is None else found_by_index
        found = runner.run(r for r in stored if include_deleted or not r["IsDeleted"])
        endpoint = "queryAll" if include_deleted else "query"
        if plan.query.counts:
            return query_page([], len(found), None, endpoint, version)
        batch = QUERY_BATCH
        options = _BATCH_SIZE.search(request.headers.get("sforce-query-options", ""))
        if options:
            batch = min(max(int(options.group(1)), 200), QUERY_BATCH)
        shape = lambda name, record: attributes(name, record, version)  # noqa: E731
        rows = [runner.project(r, shape) for r in found]
        first, locator = state.open_cursor(rows, batch, include_deleted)
        return query_page(first, len(rows), locator, endpoint, version)

    query_op = SALESFORCE.operation(
        "Run a SOQL query",
        {200: Answer("The first batch", QUERY_RESULT)},
        [400, 404],
        parameters=[
            VERSION,
            parameter("q", "query", {"type": "string", "examples": SOQL_EXAMPLES}, "The SOQL query", required=True),
            parameter("Sforce-Query-Options", "header", STRING, "batchSize=N (200 to 2000)"),
        ],
    )

    @app.get("/services/data/v{version}/query", **query_op)
    @app.get("/services/data/v{version}/query/", **query_op)
    async def query(version: str, request: Request) -> Response:
        authorise(request)
        version_of(version)
        return JSONResponse(run_query(request, version, include_deleted=False))

    @app.get("/services/data/v{version}/queryAll", **query_op)
    @app.get("/services/data/v{version}/queryAll/", **query_op)
    async def query_all(version: str, request: Request) -> Response:
        authorise(request)
        version_of(version)
        return JSONResponse(run_query(request, version, include_deleted=True))

    more_op = SALESFORCE.operation(
        "The next batch of a query", {200: Answer("A batch", QUERY_RESULT)}, [400, 404], parameters=[VERSION]
    )

    @app.get("/services/data/v{version}/query/{locator}", **more_op)
    @app.get("/services/data/v{version}/queryAll/{locator}", **more_op)
    async def query_more(version: str, locator: str, request: Request) -> Response:
        authorise(request)
        version_of(version)
        cursor, records, following = state.next_batch(locator)
        endpoint = "queryAll" if cursor.include_deleted else "query"
        return JSONResponse(query_page(records, len(cursor.records), following, endpoint, version))

    # -- sObject collections ------------------------------------------------------------------

    def collection_records(body: dict[str, Any]) -> list[dict[str, Any]]:
        records = body.get("records")
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise SalesforceError(400, "JSON_PARSER_ERROR", "records must be a list of sObjects", [])
        if len(records) > COLLECTION_LIMIT:
            raise SalesforceError(
                400,
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than {COLLECTION_LIMIT} records into this call",
                [],
            )
        return records

    def apply_all(items: list[Any], action: Callable[[Any], Record], all_or_none: bool) -> list[dict[str, Any]]:
        """One result per item in order; with allOrNone, any failure rolls every item back."""
        results: list[dict[str, Any]] = []
        failed = False
        try:
            with state.transaction() if all_or_none else contextlib.nullcontext():
                for item in items:
                    try:
                        record = action(item)
                        results.append({"id": record["Id"], "success": True, "errors": []})
                    except SalesforceError as exc:
                        failed = True
                        results.append({"success": False, "errors": [collection_error(exc)]})
                if failed and all_or_none:
                    raise _RolledBack
        except _RolledBack:
            for result in results:
                if result["success"]:
                    del result["id"]
                    result.update(
                        success=False,
                        errors=[
                            {
                                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                                "message": "Record rolled back because not all records were valid and the request"
                                " was using AllOrNone header",
                                "fields": [],
                            }
                        ],
                    )
        return results

    def typed(item: dict[str, Any]) -> str:
        described = item.get("attributes")
        kind = described.get("type") if isinstance(described, dict) else None
        if not isinstance(kind, str):
            raise SalesforceError(400, "INVALID_TYPE", "Must specify a type of sObject in attributes", [])
        return kind

    @app.post(
        "/services/data/v{version}/composite/sobjects",
        **SALESFORCE.operation(
            "Create up to 200 records",
            {200: Answer("One result per record, in order", COLLECTION_RESULTS)},
            [400, 404, 413],
            parameters=[VERSION],
            body=COLLECTION_IN,
        ),
    )
    async def collection_create(version: str, request: Request) -> list[dict[str, Any]]:
        authorise(request)
        version_of(version)
        body = await json_body(request)
        records = collection_records(body)

        def insert(item: dict[str, Any]) -> Record:
            if "id" in item or "Id" in item:
                raise SalesforceError(400, "INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
            return create_record(typed(item), item)

        return apply_all(records, insert, bool(body.get("allOrNone")))

    @app.patch(
        "/services/data/v{version}/composite/sobjects",
        **SALESFORCE.operation(
            "Update up to 200 records",
            {200: Answer("One result per record, in order", COLLECTION_RESULTS)},
            [400, 404, 413],
            parameters=[VERSION],
            body=COLLECTION_IN,
        ),
    )
    async def collection_update(version: str, request: Request) -> list[dict[str, Any]]:
        authorise(request)
        version_of(version)
        body = await json_body(request)

        def change(item: dict[str, Any]) -> Record:
            record_id = item.get("id") or item.get("Id")
            if not isinstance(record_id, str):
                raise SalesforceError(400, "MISSING_ARGUMENT", "Id not specified in an update call", [])
            values = {k: v for k, v in item.items() if k not in ("attributes", "id", "Id")}
            return state.update(typed(item), record_id, values)

        return apply_all(collection_records(body), change, bool(body.get("allOrNone")))

    @app.delete(
        "/services/data/v{version}/composite/sobjects",
        **SALESFORCE.operation(
            "Delete up to 200 records",
            {200: Answer("One result per id, in order", COLLECTION_RESULTS)},
            [400, 404],
            parameters=[
                VERSION,
                parameter("ids", "query", STRING, "Comma-separated record ids", required=True),
                parameter("allOrNone", "query", BOOLEAN, "Roll every delete back if one fails"),
            ],
        ),
    )
    async def collection_delete(version: str, request: Request) -> list[dict[str, Any]]:
        authorise(request)
        version_of(version)
        ids = [i for i in request.query_params.get("ids", "").split(",") if i]
        if not ids or len(ids) > COLLECTION_LIMIT:
            raise SalesforceError(400, "INVALID_FIELD", f"ids must list between 1 and {COLLECTION_LIMIT} ids", [])

        def remove(record_id: str) -> Record:
            return state.delete(state.object_of(record_id), record_id)

        all_or_none = request.query_params.get("allOrNone", "").lower() == "true"
        return apply_all(ids, remove, all_or_none)

    @app.get(
        "/services/data/v{version}/composite/sobjects/{sobject}",
        **SALESFORCE.operation(
            "Read up to 200 records of one object",
            {200: Answer("The records, null for ids not found", array(nullable(RECORD)))},
            [400, 404],
            parameters=[
                VERSION,
                SOBJECT,
                parameter("ids", "query", STRING, "Comma-separated record ids", required=True),
                parameter("fields", "query", STRING, "Comma-separated field names", required=True),
            ],
        ),
    )
    async def collection_read(version: str, sobject: str, request: Request) -> list[dict[str, Any] | None]:
        authorise(request)
        version_of(version)
        described = state.describe(sobject)
        ids = [i for i in request.query_params.get("ids", "").split(",") if i]
        fields = request.query_params.get("fields")
        if not ids or not fields:
            raise SalesforceError(400, "MALFORMED_QUERY", "ids and fields are required", [])
        rows: list[dict[str, Any] | None] = []
        for record_id in ids:
            try:
                rows.append(picked(described, state.get(described.name, record_id), version, fields))
            except SalesforceError as exc:
                if exc.error_code == "INVALID_FIELD":
                    raise
                rows.append(None)
        return rows

    # -- composite ----------------------------------------------------------------------------

    composite_op = SALESFORCE.operation(
        "Up to 25 subrequests in order, referring to earlier answers",
        {200: Answer("One answer per subrequest", COMPOSITE)},
        [400, 404, 413],
        parameters=[VERSION],
        body=COMPOSITE_IN,
    )

    @app.post("/services/data/v{version}/composite", **composite_op)
    @app.post("/services/data/v{version}/composite/", **composite_op)
    async def composite(version: str, request: Request) -> dict[str, Any]:
        """Subrequests run in order through this same app, ``@{ref.path}`` filled from earlier answers;
        the whole request counts once against the allowance, as in the org."""
        authorise(request)
        version_of(version)
        body = await json_body(request)
        subrequests = body.get("compositeRequest")
        if (
            not isinstance(subrequests, list)
            or not subrequests
            or not all(isinstance(s, dict) and isinstance(s.get("url"), str) for s in subrequests)
        ):
            raise SalesforceError(400, "JSON_PARSER_ERROR", "compositeRequest must list subrequests with a url", [])
        if not all(_SUBREQUEST_URL.fullmatch(s["url"]) for s in subrequests):
            raise SalesforceError(
                400, "INVALID_INPUT", "Each subrequest url must be a resource path under /services/data/vXX.X/", []
            )
        if len(subrequests) > COMPOSITE_LIMIT:
            raise SalesforceError(
                400, "INVALID_INPUT", f"Composite request can have at most {COMPOSITE_LIMIT} subrequests", []
            )
        references = [s.get("referenceId") for s in subrequests]
        if any(not isinstance(r, str) or not re.fullmatch(r"[A-Za-z0-9_]+", r) for r in references) or len(
            set(references)
        ) != len(references):
            raise SalesforceError(
                400, "INVALID_INPUT", "Each subrequest needs a unique referenceId of letters, digits and _", []
            )
        all_or_none = bool(body.get("allOrNone"))
        headers = {"authorization": request.headers.get("authorization", ""), SUBREQUEST_HEADER: subrequest_key}
        answers: dict[str, Any] = {}
        responses: list[dict[str, Any]] = []
        transport = httpx.ASGITransport(app=app)
        halted = False
        try:
            with state.transaction() if all_or_none else contextlib.nullcontext():
                async with httpx.AsyncClient(transport=transport, base_url=str(request.base_url)) as client:
                    for sub in subrequests:
                        ref = sub["referenceId"]
                        if halted:
                            responses.append(_halted(ref, ROLLED_BACK))
                            continue
                        try:
                            url = _substitute(sub["url"], answers)
                            payload = _substitute(sub.get("body"), answers)
                        except KeyError as missing:
                            responses.append(
                                _halted(
                                    ref, f"Invalid reference specified. No value for {missing.args[0]} found in {ref}"
                                )
                            )
                            halted = all_or_none
                            continue
                        try:
                            reply = await client.request(
                                str(sub.get("method", "GET")).upper(),
                                str(url),
                                headers=headers,
                                content=None if payload is None else json.dumps(payload),
                            )
                        except httpx.InvalidURL:
                            responses.append(_halted(ref, f"The url of {ref} is not a valid resource path"))
                            halted = all_or_none
                            continue
                        answer = reply.json() if reply.content else None
                        answers[ref] = answer
                        responses.append(
                            {
                                "body": answer,
                                "httpHeaders": (
                                    {"Location": f"{url}/{answer['id']}"}
                                    if reply.status_code == 201 and isinstance(answer, dict)
                                    else {}
                                ),
                                "httpStatusCode": reply.status_code,
                                "referenceId": ref,
                            }
                        )
                        if reply.status_code >= 400 and all_or_none:
                            halted = True
                if halted:
                    raise _RolledBack
        except _RolledBack:
            responses = [r if r["httpStatusCode"] >= 400 else _halted(r["referenceId"], ROLLED_BACK) for r in responses]
        return {"compositeResponse": responses}

    # -- events: the pull path ----------------------------------------------------------------

    async def pull_events(entity: str, version: str, request: Request) -> dict[str, Any]:
        """Change events of one channel after a replay id, from the bus's 72-hour retention (see contracts)."""
        authorise(request)
        version_of(version)
        channel = CHANNELS[entity][0]
        raw = request.query_params.get("replayId", "-1")
        size = request.query_params.get("batchSize", str(EVENT_BATCH))
        if not re.fullmatch(r"-?\d+", raw) or not size.isdigit() or not 1 <= int(size) <= 1000:
            raise SalesforceError(400, "INVALID_INPUT", "replayId must be an integer and batchSize 1 to 1000", [])
        try:
            events, latest, more = changes.after(int(raw), state.now(), int(size), channel)
        except ReplayOutOfRange:
            raise SalesforceError(
                400,
                "INVALID_REPLAY_ID",
                f"The replayId {raw} you provided was invalid. Please provide a valid ID, -2 to replay all events,"
                " or -1 to replay only new events.",
                [],
            ) from None
        return {
            "channel": channel,
            "events": [e.body for e in events],
            "latestReplayId": latest,
            "done": not more,
        }

    for entity in CHANNELS:
        app.add_api_route(
            f"/services/data/v{{version}}/rehearse/events/data/{entity}ChangeEvent",
            partial(pull_events, entity),
            methods=["GET"],
            **SALESFORCE.operation(
                f"{entity} change events after a replay id (rehearse's pull path for the event bus)",
                {200: Answer("A batch of events", EVENTS)},
                [400, 404],
                parameters=[
                    VERSION,
                    parameter("replayId", "query", {"type": "string", "pattern": "^-?[0-9]+$"}, "-1 new only, -2 all"),
                    parameter(
                        "batchSize", "query", {"type": "integer", "minimum": 1, "maximum": 1000}, "At most (100)"
                    ),
                ],
                operation_id=f"pull_{entity.lower()}_change_events",
            ),
        )

    # -- everything else under a version: authorised first, then 404 or 405 ---------------------

    @app.api_route(
        "/services/data/v{version}/{rest:path}",
        methods=["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"],
        include_in_schema=False,
    )
    async def unknown(version: str, rest: str, request: Request) -> Response:
        authorise(request)
        version_of(version)
        scope = dict(request.scope)
        for route in app.router.routes:
            if route is not unknown_route and route.matches(scope)[0] == Match.PARTIAL:
                raise SalesforceError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed.")
        raise not_found()

    unknown_route = app.router.routes[-1]

    return _LimitInfo(app, state)


class _RolledBack(Exception):
    """Unwinds an all-or-none block so its transaction undoes what it wrote."""


def _halted(ref: str, message: str) -> dict[str, Any]:
    return {
        "body": [{"errorCode": "PROCESSING_HALTED", "message": message}],
        "httpHeaders": {},
        "httpStatusCode": 400,
        "referenceId": ref,
    }
