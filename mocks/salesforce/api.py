"""Salesforce's REST surface: OAuth token endpoint, versions, sObject rows, relationships, describe."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harness.capture import tag
from harness.world import World
from mocks.salesforce.errors import SalesforceError, invalid_session, not_found
from mocks.salesforce.objects import SObject
from mocks.salesforce.state import Record, SalesforceState

OLDEST_VERSION = 31
NEWEST_VERSION = 67
_VERSION = re.compile(r"^(\d{2})\.0$")
_SEASONS = ("Winter", "Spring", "Summer")


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


def build_app(world: World, state: SalesforceState, credentials: Credentials, *, session_lifetime: float) -> ASGIApp:
    app = FastAPI(title="Mock Salesforce", docs_url=None, redoc_url=None)

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
        state.api_call()

    def version_of(version: str) -> str:
        match = _VERSION.match(version)
        if not match or not OLDEST_VERSION <= int(match.group(1)) <= NEWEST_VERSION:
            raise not_found()
        return version

    def shaped(described: SObject, record: Record, version: str) -> dict[str, Any]:
        return {
            "attributes": {
                "type": described.name,
                "url": f"/services/data/v{version}/sobjects/{described.name}/{record['Id']}",
            },
            **record,
        }

    async def json_body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise SalesforceError(400, "JSON_PARSER_ERROR", f"Unexpected character in request body: {exc}") from exc
        if not isinstance(body, dict):
            raise SalesforceError(
                400, "JSON_PARSER_ERROR", "Cannot deserialize instance of sObject from a non-object value"
            )
        return body

    @app.post("/services/oauth2/token")
    async def token(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
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

    @app.get("/services/data")
    @app.get("/services/data/")
    async def versions() -> list[dict[str, str]]:
        return [
            {"label": release_label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
            for v in range(OLDEST_VERSION, NEWEST_VERSION + 1)
        ]

    @app.get("/services/data/v{version}/")
    @app.get("/services/data/v{version}")
    async def resources(version: str, request: Request) -> dict[str, str]:
        authorise(request)
        base = f"/services/data/v{version_of(version)}"
        return {"sobjects": f"{base}/sobjects", "query": f"{base}/query", "limits": f"{base}/limits"}

    @app.get("/services/data/v{version}/sobjects/{sobject}/describe")
    async def describe(version: str, sobject: str, request: Request) -> dict[str, Any]:
        authorise(request)
        described = state.describe(sobject)
        version_of(version)
        return {
            "name": described.name,
            "label": described.label,
            "fields": [
                {
                    "name": f.name,
                    "type": f.type,
                    "updateable": f.updateable,
                    "createable": f.createable,
                    "nillable": not f.required,
                    "externalId": f.external_id,
                    "unique": f.unique,
                    "referenceTo": [f.reference_to] if f.reference_to else [],
                    "picklistValues": [{"value": v, "label": v, "active": True} for v in f.picklist],
                    "restrictedPicklist": bool(f.picklist),
                }
                for f in described.fields
            ],
            "childRelationships": [
                {"relationshipName": n, "childSObject": c, "field": f} for n, c, f in described.child_relationships
            ],
        }

    @app.post("/services/data/v{version}/sobjects/{sobject}")
    async def create(version: str, sobject: str, request: Request) -> Response:
        authorise(request)
        version_of(version)
        record = state.create(sobject, await json_body(request))
        tag(request.scope, record["Id"])
        return JSONResponse({"id": record["Id"], "success": True, "errors": []}, status_code=201)

    @app.get("/services/data/v{version}/sobjects/{sobject}/{record_id}")
    async def read(version: str, sobject: str, record_id: str, request: Request) -> dict[str, Any]:
        authorise(request)
        described = state.describe(sobject)
        record = state.get(described.name, record_id)
        tag(request.scope, record["Id"])
        fields = request.query_params.get("fields")
        shown = shaped(described, record, version_of(version))
        if fields:
            wanted = {name.strip().lower() for name in fields.split(",")}
            shown = {k: v for k, v in shown.items() if k == "attributes" or k.lower() in wanted}
        return shown

    @app.get("/services/data/v{version}/sobjects/{sobject}/{record_id}/{relationship}")
    async def related(
        version: str, sobject: str, record_id: str, relationship: str, request: Request
    ) -> dict[str, Any]:
        authorise(request)
        version_of(version)
        child, children = state.children(sobject, record_id, relationship)
        tag(request.scope, record_id)
        records = [shaped(child, c, version) for c in children]
        return {"totalSize": len(records), "done": True, "records": records}

    @app.patch("/services/data/v{version}/sobjects/{sobject}/{record_id}")
    async def update(version: str, sobject: str, record_id: str, request: Request) -> Response:
        authorise(request)
        version_of(version)
        body = await json_body(request)
        record = state.update(sobject, record_id, body)
        tag(request.scope, record["Id"])
        return Response(status_code=204)

    return _LimitInfo(app, state)
