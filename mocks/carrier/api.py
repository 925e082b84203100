"""EasyPost's REST surface under ``/v2``: shipments, rates and labels, trackers, webhooks.

EasyPost documents HTTP basic auth with the API key as the user name; its official clients send
``Authorization: Bearer <key>`` instead. Both are accepted, as the real API accepts both.
``Idempotency-Key`` is honoured on the creating POSTs (shipment create, buy): the first reply,
error or not, is replayed for 24 simulated hours; the same key on another request is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from harness.capture import tag
from mocks.base import MockContext
from mocks.carrier.behaviour import Network
from mocks.carrier.contract import (
    BUY_IN,
    EASYPOST,
    IDEMPOTENCY_KEY,
    PAGE,
    REPLAYED,
    SHARED,
    SHIPMENT,
    SHIPMENT_EXAMPLE,
    SHIPMENT_IN,
    SHIPMENT_LINKS,
    TRACKER,
    TRACKER_IN,
    TRACKER_LINKS,
    WEBHOOK,
    WEBHOOK_IN,
    WEBHOOK_LINKS,
    listing,
)
from mocks.carrier.errors import EasyPostError, invalid, not_found, required, unauthorized
from mocks.carrier.state import CarrierState, StoredReply, fingerprint
from mocks.contract import STRING, Answer, array, obj, parameter

BASE = "/v2"
MAX_PAGE = 100


def build_app(context: MockContext, state: CarrierState, network: Network, api_key: str) -> ASGIApp:
    world = context.world
    app = FastAPI(title="Mock carrier (EasyPost API v2)", docs_url=None, redoc_url=None)
    EASYPOST.publish(app, __doc__ or "", SHARED)

    @app.exception_handler(EasyPostError)
    async def _easypost_error(_: Request, exc: EasyPostError) -> Response:
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            return EasyPostError(405, "METHOD.NOT_ALLOWED", f"{request.method} is not allowed here.").response()
        return EasyPostError(404, "NOT_FOUND", "The requested resource could not be found.").response()

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> Response:
        return EasyPostError(422, "PARAMETER.INVALID", "The request parameters are invalid.").response()

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        return EasyPostError(500, "INTERNAL_SERVER_ERROR", f"Something went wrong ({type(exc).__name__}).").response()

    def authorise(request: Request) -> None:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        key = ""
        if scheme.lower() == "basic":
            try:
                key = base64.b64decode(credential.strip(), validate=True).decode("utf-8").partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                key = ""
        elif scheme.lower() == "bearer":
            key = credential.strip()
        if key != api_key:
            raise unauthorized()

    def parsed(raw: bytes) -> dict[str, Any]:
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise EasyPostError(400, "BAD_REQUEST", "The request body could not be parsed as JSON.") from exc
        if not isinstance(body, dict):
            raise EasyPostError(400, "BAD_REQUEST", "The request body must be a JSON object.")
        return body

    async def idempotent(request: Request, produce: Callable[[dict[str, Any]], Response]) -> Response:
        """Replays the stored reply for a known Idempotency-Key; stores the reply for a new one."""
        raw = await request.body()
        key = request.headers.get("idempotency-key")
        now = world.sync()
        mark = fingerprint(request.method, request.url.path, raw)
        if key:
            stored = state.replay(key, mark, now)
            if stored is not None:
                return Response(
                    stored.body, stored.status, media_type="application/json", headers={"Idempotent-Replayed": "true"}
                )
        try:
            reply = produce(parsed(raw))
        except EasyPostError as exc:
            reply = exc.response()
        if key:
            state.replies[key] = StoredReply(mark, reply.status_code, bytes(reply.body), now)
        return reply

    def page(request: Request, items: list[Any]) -> tuple[list[Any], bool]:
        """Newest first, ``page_size`` (max 100) older than ``before_id``, as EasyPost pages lists."""
        params = request.query_params
        try:
            size = int(params.get("page_size", "20"))
        except ValueError as exc:
            raise invalid("page_size", "must be an integer") from exc
        if not 1 <= size <= MAX_PAGE:
            raise invalid("page_size", f"must be between 1 and {MAX_PAGE}")
        newest_first = list(reversed(items))
        before = params.get("before_id")
        if before:
            ids = [item.id for item in newest_first]
            newest_first = newest_first[ids.index(before) + 1 :] if before in ids else []
        return newest_first[:size], len(newest_first) > size

    @app.post(
        f"{BASE}/shipments",
        **EASYPOST.operation(
            "Create a shipment and rate it",
            {201: Answer("The shipment with its rates", SHIPMENT, REPLAYED)},
            [400, 404, 422],
            parameters=[IDEMPOTENCY_KEY],
            body=SHIPMENT_IN,
            example=SHIPMENT_EXAMPLE,
            links={201: SHIPMENT_LINKS},
        ),
    )
    async def create_shipment(request: Request) -> Response:
        authorise(request)

        def produce(body: dict[str, Any]) -> Response:
            shipment = state.create_shipment(body.get("shipment"))
            tag(request.scope, shipment.id)
            return JSONResponse(shipment.to_json(None), status_code=201)

        return await idempotent(request, produce)

    @app.get(
        f"{BASE}/shipments",
        **EASYPOST.operation(
            "List shipments, newest first",
            {200: Answer("A page", listing("shipments", SHIPMENT))},
            [422],
            parameters=PAGE,
        ),
    )
    async def list_shipments(request: Request) -> dict[str, Any]:
        authorise(request)
        items, more = page(request, list(state.shipments.values()))
        return {
            "shipments": [s.to_json(state.trackers.get(s.tracker_id or "")) for s in items],
            "has_more": more,
        }

    @app.get(
        f"{BASE}/shipments/{{shipment_id}}",
        **EASYPOST.operation(
            "Read a shipment", {200: Answer("The shipment", SHIPMENT)}, [404], operation_id="read_shipment"
        ),
    )
    async def read_shipment(shipment_id: str, request: Request) -> dict[str, Any]:
        authorise(request)
        shipment = state.shipment(shipment_id)
        tag(request.scope, shipment.id, shipment.tracking_code or "")
        return shipment.to_json(state.trackers.get(shipment.tracker_id or ""))

    @app.post(
        f"{BASE}/shipments/{{shipment_id}}/buy",
        **EASYPOST.operation(
            "Buy postage at one of the shipment's rates",
            {200: Answer("The shipment with its label, tracking code and tracker", SHIPMENT, REPLAYED)},
            [400, 404, 422],
            parameters=[IDEMPOTENCY_KEY],
            body=BUY_IN,
            operation_id="buy",
        ),
    )
    async def buy(shipment_id: str, request: Request) -> Response:
        authorise(request)

        def produce(body: dict[str, Any]) -> Response:
            shipment = state.shipment(shipment_id)
            rate = body.get("rate")
            if not isinstance(rate, dict) or "id" not in rate:
                raise required("rate.id")
            shipment, tracker = network.buy(shipment, rate["id"])
            tag(request.scope, shipment.id, tracker.tracking_code)
            return JSONResponse(shipment.to_json(tracker))

        return await idempotent(request, produce)

    @app.post(
        f"{BASE}/trackers",
        **EASYPOST.operation(
            "Track a code (a second create for the same code and carrier returns the same tracker)",
            {201: Answer("A new tracker", TRACKER), 200: Answer("The tracker already kept for this code", TRACKER)},
            [400, 422],
            body=TRACKER_IN,
            links={201: TRACKER_LINKS, 200: TRACKER_LINKS},
        ),
    )
    async def create_tracker(request: Request) -> Response:
        authorise(request)
        body = parsed(await request.body())
        raw = body.get("tracker")
        if not isinstance(raw, dict) or not isinstance(raw.get("tracking_code"), str) or not raw["tracking_code"]:
            raise required("tracker.tracking_code")
        carrier = raw.get("carrier") or "USPS"
        if not isinstance(carrier, str):
            raise invalid("tracker.carrier", "must be a string")
        tracker, created = state.track(raw["tracking_code"], carrier)
        tag(request.scope, tracker.tracking_code)
        if created:
            network.tracker_created(tracker)
        return JSONResponse(tracker.to_json(), status_code=201 if created else 200)

    @app.get(
        f"{BASE}/trackers",
        **EASYPOST.operation(
            "List trackers, newest first",
            {200: Answer("A page", listing("trackers", TRACKER))},
            [422],
            parameters=[
                *PAGE,
                parameter("tracking_code", "query", STRING, "Only this code"),
                parameter("carrier", "query", STRING, "Only this carrier"),
            ],
        ),
    )
    async def list_trackers(request: Request) -> dict[str, Any]:
        authorise(request)
        code = request.query_params.get("tracking_code")
        carrier = request.query_params.get("carrier")
        found = [
            t
            for t in state.trackers.values()
            if (not code or t.tracking_code == code) and (not carrier or t.carrier == carrier.upper())
        ]
        items, more = page(request, found)
        return {"trackers": [t.to_json() for t in items], "has_more": more}

    @app.get(
        f"{BASE}/trackers/{{tracker_id}}",
        **EASYPOST.operation(
            "Read a tracker", {200: Answer("The tracker", TRACKER)}, [404], operation_id="read_tracker"
        ),
    )
    async def read_tracker(tracker_id: str, request: Request) -> dict[str, Any]:
        authorise(request)
        tracker = state.tracker(tracker_id)
        tag(request.scope, tracker.tracking_code)
        return tracker.to_json()

    @app.post(
        f"{BASE}/webhooks",
        **EASYPOST.operation(
            "Register a webhook URL (and the secret its events are signed with)",
            {201: Answer("The webhook", WEBHOOK)},
            [400, 422],
            body=WEBHOOK_IN,
            links={201: WEBHOOK_LINKS},
        ),
    )
    async def create_webhook(request: Request) -> Response:
        authorise(request)
        raw = parsed(await request.body()).get("webhook")
        if not isinstance(raw, dict) or not isinstance(raw.get("url"), str) or not raw["url"]:
            raise required("webhook.url")
        secret = raw.get("webhook_secret")
        if secret is not None and not isinstance(secret, str):
            raise invalid("webhook.webhook_secret", "must be a string")
        return JSONResponse(state.add_webhook(raw["url"], secret).to_json(), status_code=201)

    @app.get(
        f"{BASE}/webhooks",
        **EASYPOST.operation(
            "List webhooks", {200: Answer("Every webhook", obj(["webhooks"], webhooks=array(WEBHOOK)))}
        ),
    )
    async def list_webhooks(request: Request) -> dict[str, Any]:
        authorise(request)
        return {"webhooks": [h.to_json() for h in state.webhooks.values()]}

    @app.delete(
        f"{BASE}/webhooks/{{webhook_id}}",
        **EASYPOST.operation(
            "Delete a webhook",
            {200: Answer("An empty object", {"type": "object"})},
            [404],
            operation_id="delete_webhook",
        ),
    )
    async def delete_webhook(webhook_id: str, request: Request) -> Response:
        authorise(request)
        if state.webhooks.pop(webhook_id, None) is None:
            raise not_found("Webhook")
        return JSONResponse({})

    return app
