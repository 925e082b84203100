"""NetSuite REST web services surface: OAuth 2.0 client credentials and the record API.

The quirks integrations trip over are kept: a create answers 204 with a ``Location`` header and no
body; external ids address records as ``eid:<value>``; sublists stay links until expanded.
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from harness.capture import tag
from mocks.base import MockContext
from mocks.erp.errors import NetSuiteError, invalid_login
from mocks.erp.state import ORDER_STATUSES, ErpState, SalesOrder

SYSTEM = "erp"
RECORD_BASE = "/services/rest/record/v1"


class Credentials:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret


def build_app(context: MockContext, state: ErpState, credentials: Credentials, *, token_lifetime: float) -> ASGIApp:
    world = context.world
    app = FastAPI(title="Mock ERP (NetSuite REST web services)", docs_url=None, redoc_url=None)
    tokens: dict[str, float] = {}

    @app.exception_handler(NetSuiteError)
    async def _netsuite_error(_: Request, exc: NetSuiteError) -> Response:
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            return NetSuiteError(
                405, "INVALID_REQUEST", f"The HTTP method {request.method} is not allowed here."
            ).response()
        return NetSuiteError(404, "INVALID_REQUEST", f"The resource {request.url.path} does not exist.").response()

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> Response:
        return NetSuiteError(400, "INVALID_CONTENT", "The request could not be parsed.").response()

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        return NetSuiteError(
            500, "UNEXPECTED_ERROR", f"An unexpected error occurred ({type(exc).__name__})."
        ).response()

    def authorise(request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        issued = tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if issued is None or world.sync() - issued > token_lifetime:
            raise invalid_login()

    async def json_body(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.body())
        except ValueError as exc:
            raise NetSuiteError(400, "INVALID_CONTENT", f"The request body is not valid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise NetSuiteError(400, "INVALID_CONTENT", "The request body must be a JSON object.")
        return body

    def location(request: Request, order: SalesOrder) -> dict[str, str]:
        return {"Location": f"{str(request.base_url).rstrip('/')}{RECORD_BASE}/salesOrder/{order.id}"}

    def shaped(request: Request, order: SalesOrder, expand: bool) -> dict[str, Any]:
        base = f"{str(request.base_url).rstrip('/')}{RECORD_BASE}"
        status = {"id": order.status, "refName": ORDER_STATUSES[order.status]}
        customer = state.customers[order.entity_id]
        item: dict[str, Any] = {"links": [{"rel": "self", "href": f"{base}/salesOrder/{order.id}/item"}]}
        if expand:
            item["items"] = [
                {
                    "links": [{"rel": "self", "href": f"{base}/salesOrder/{order.id}/item/{line.line}"}],
                    "line": line.line,
                    "item": {"id": line.item_id, "refName": state.items[line.item_id].name},
                    "quantity": line.quantity,
                    "rate": line.rate,
                    "amount": line.amount,
                }
                for line in order.lines
            ]
            item.update(count=len(order.lines), hasMore=False, offset=0, totalResults=len(order.lines))
        shown: dict[str, Any] = {
            "links": [{"rel": "self", "href": f"{base}/salesOrder/{order.id}"}],
            "id": order.id,
            "tranId": order.tran_id,
            "tranDate": order.tran_date,
            "entity": {"id": customer.id, "refName": customer.name},
            "status": status,
            "orderStatus": status,
            "subtotal": order.total,
            "total": order.total,
            "createdDate": order.created,
            "lastModifiedDate": order.modified,
            "item": item,
        }
        for name, value in (
            ("externalId", order.external_id),
            ("otherRefNum", order.other_ref_num),
            ("memo", order.memo),
        ):
            if value is not None:
                shown[name] = value
        return shown

    def record_event(kind: str, order: SalesOrder) -> None:
        context.record(
            SYSTEM,
            kind,
            order.external_id or order.other_ref_num,
            {
                "id": order.id,
                "tranId": order.tran_id,
                "externalId": order.external_id,
                "otherRefNum": order.other_ref_num,
            },
        )

    @app.post("/services/rest/auth/oauth2/v1/token")
    async def token(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if form.get("client_id") != credentials.client_id or form.get("client_secret") != credentials.client_secret:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        access = secrets.token_urlsafe(40)
        tokens[access] = world.sync()
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": int(token_lifetime)})

    @app.post(f"{RECORD_BASE}/salesOrder")
    async def create(request: Request) -> Response:
        authorise(request)
        order = state.create_sales_order(await json_body(request))
        tag(request.scope, order.external_id or "", order.other_ref_num or "")
        record_event("salesOrder.created", order)
        return Response(status_code=204, headers=location(request, order))

    @app.put(f"{RECORD_BASE}/salesOrder/{{key}}")
    async def upsert(key: str, request: Request) -> Response:
        authorise(request)
        if not key.startswith("eid:") or len(key) == 4:
            raise NetSuiteError(
                400, "INVALID_REQUEST", "Upsert needs an external ID in the URL: salesOrder/eid:<externalId>."
            )
        order, created = state.upsert_sales_order(key[4:], await json_body(request))
        tag(request.scope, key[4:])
        record_event("salesOrder.created" if created else "salesOrder.updated", order)
        return Response(status_code=204, headers=location(request, order))

    @app.get(f"{RECORD_BASE}/salesOrder/{{key}}")
    async def read(key: str, request: Request) -> dict[str, Any]:
        authorise(request)
        order = state.sales_order(key)
        tag(request.scope, order.external_id or "", order.other_ref_num or "")
        return shaped(request, order, request.query_params.get("expandSubResources", "").lower() == "true")

    @app.patch(f"{RECORD_BASE}/salesOrder/{{key}}")
    async def update(key: str, request: Request) -> Response:
        authorise(request)
        order = state.update_sales_order(state.sales_order(key), await json_body(request))
        tag(request.scope, order.external_id or "", order.other_ref_num or "")
        record_event("salesOrder.updated", order)
        return Response(status_code=204)

    return app
