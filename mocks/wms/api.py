"""ShipBob's REST 1.0 surface: channels, orders and shipments, inventory, returns, webhooks.

Every call carries a bearer token (a personal access token here). Writes name the channel they
write for in the ``shipbob_channel_id`` header; reads with it are scoped to that channel, reads
without it see every channel. Query parameters are case-insensitive, as ASP.NET binds them, and
lists page with ``Page``/``Limit`` and report totals in response headers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from harness.capture import tag
from mocks.contract import INTEGER, STRING, Answer, array, obj, parameter
from mocks.wms.behaviour import Fulfilment
from mocks.wms.contract import (
    CANCELLATION,
    CHANNEL,
    CHANNEL_HEADER,
    FILTERS,
    INVENTORY,
    ORDER,
    ORDER_EXAMPLE,
    ORDER_IN,
    ORDER_LINKS,
    PAGE,
    PAGED,
    PRODUCT,
    READ,
    RETURN,
    RETURN_IN,
    RETURN_LINKS,
    SHARED,
    SHIPBOB,
    SHIPMENT,
    SUBSCRIPTION,
    SUBSCRIPTION_IN,
    SUBSCRIPTION_LINKS,
    WRITE,
)
from mocks.wms.errors import Forbidden, ShipBobError, Unauthorized, invalid, not_found
from mocks.wms.shapes import location, order_json, return_json, shipment_json, subscription_json
from mocks.wms.state import TOPICS, Channel, WmsState

BASE = "/1.0"
MAX_LIMIT = 250
DEFAULT_LIMIT = 50


def build_app(state: WmsState, fulfilment: Fulfilment, token: str) -> ASGIApp:
    world = fulfilment.world
    app = FastAPI(title="Mock WMS (ShipBob API 1.0)", docs_url=None, redoc_url=None)
    SHIPBOB.publish(app, __doc__ or "", SHARED)

    @app.exception_handler(ShipBobError)
    async def _shipbob_error(_: Request, exc: ShipBobError) -> Response:
        return exc.response()

    @app.exception_handler(Unauthorized)
    async def _unauthorized(_: Request, exc: Unauthorized) -> Response:
        return exc.response()

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, exc: Forbidden) -> Response:
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> Response:
        return ShipBobError(405 if exc.status_code == 405 else 404).response()

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> Response:
        return ShipBobError(400, {"request": ["The request could not be bound."]}).response()

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        return ShipBobError(
            500, title=f"An error occurred while processing your request ({type(exc).__name__})."
        ).response()

    def authorise(request: Request, *, write: bool = False) -> Channel | None:
        """The channel the request acts for: required and writable for writes, optional for reads."""
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or credential.strip() != token:
            raise Unauthorized()
        world.sync()
        raw = request.headers.get(CHANNEL_HEADER)
        if raw is None:
            if write:
                raise invalid(CHANNEL_HEADER, "The shipbob_channel_id header is required for this request.")
            return None
        try:
            channel = state.channels.get(int(raw))
        except ValueError:
            raise invalid(CHANNEL_HEADER, "The shipbob_channel_id header must be a channel id.") from None
        if channel is None or (write and not channel.writable):
            raise Forbidden()
        return channel

    async def json_body(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise ShipBobError(400, {"$": ["The request body is not valid JSON."]}) from None
        if not isinstance(body, dict):
            raise ShipBobError(400, {"$": ["The request body must be a JSON object."]})
        return body

    def query(request: Request) -> dict[str, str]:
        return {k.lower(): v for k, v in request.query_params.items()}

    def identifier(raw: str, what: str) -> int:
        try:
            return int(raw)
        except ValueError:
            raise not_found(what) from None

    def paged(request: Request, items: list[Any], shape: Callable[[Any], dict[str, Any]]) -> Response:
        params = query(request)
        try:
            page = int(params.get("page", "1"))
            limit = int(params.get("limit", str(DEFAULT_LIMIT)))
        except ValueError:
            raise invalid("Page", "Page and Limit must be whole numbers.") from None
        if page < 1 or not 1 <= limit <= MAX_LIMIT:
            raise invalid("Limit", f"Page must be at least 1 and Limit between 1 and {MAX_LIMIT}.")
        pages = max(math.ceil(len(items) / limit), 1)
        chosen = items[(page - 1) * limit : page * limit]
        headers = {"Page-Number": str(page), "Total-Pages": str(pages), "Total-Count": str(len(items))}
        if page < pages:
            headers["Next-Page"] = f"{request.url.path}?Page={page + 1}&Limit={limit}"
        return JSONResponse([shape(item) for item in chosen], headers=headers)

    def filtered(
        request: Request, channel: Channel | None, items: list[Any], channel_of: Callable[[Any], Channel]
    ) -> list[Any]:
        params = query(request)
        found = [i for i in items if channel is None or channel_of(i).id == channel.id]
        if "referenceids" in params:
            wanted = {r.strip() for r in params["referenceids"].split(",") if r.strip()}
            found = [i for i in found if i.reference_id in wanted]
        if "ids" in params:
            ids = {r.strip() for r in params["ids"].split(",") if r.strip()}
            found = [i for i in found if str(i.id) in ids]
        if "status" in params:
            found = [i for i in found if i.status.lower() == params["status"].lower()]
        return found

    # -- channels, locations, catalogue -------------------------------------------------------------

    @app.get(
        f"{BASE}/channel",
        **SHIPBOB.operation("The channels this token can act for", {200: Answer("Channels", array(CHANNEL))}, READ),
    )
    async def channels(request: Request) -> list[dict[str, Any]]:
        authorise(request)
        return [
            {
                "id": c.id,
                "name": c.name,
                "application_name": "rehearse" if c.writable else "Storefront",
                "scopes": [
                    "orders_read",
                    "orders_write",
                    "returns_read",
                    "returns_write",
                    "webhooks_read",
                    "webhooks_write",
                ]
                if c.writable
                else ["orders_read", "returns_read"],
            }
            for c in state.channels.values()
        ]

    @app.get(
        f"{BASE}/location",
        **SHIPBOB.operation(
            "Fulfilment centres", {200: Answer("Locations", array(obj(["id", "name"], id=INTEGER, name=STRING)))}, READ
        ),
    )
    async def locations(request: Request) -> list[dict[str, Any]]:
        authorise(request)
        return [{**(location(w) or {}), "abbreviation": w.name, "is_active": True} for w in state.warehouses]

    @app.get(
        f"{BASE}/product",
        **SHIPBOB.operation("Products, paged", {200: Answer("A page", array(PRODUCT), PAGED)}, READ, parameters=PAGE),
    )
    async def products(request: Request) -> Response:
        authorise(request)
        return paged(
            request,
            list(state.products.values()),
            lambda p: {"id": p.id, "reference_id": p.reference_id, "sku": p.reference_id, "name": p.name},
        )

    @app.get(
        f"{BASE}/inventory",
        **SHIPBOB.operation(
            "Inventory per product and fulfilment centre, paged",
            {200: Answer("A page", array(INVENTORY), PAGED)},
            READ,
            parameters=PAGE,
        ),
    )
    async def inventory(request: Request) -> Response:
        authorise(request)

        def shaped(sku: str) -> dict[str, Any]:
            product = state.products[sku]
            per = [
                {
                    "id": w.id,
                    "name": w.name,
                    "fulfillable_quantity": max(w.available(sku), 0),
                    "onhand_quantity": w.on_hand[sku],
                    "committed_quantity": w.allocated[sku],
                }
                for w in state.warehouses
            ]
            return {
                "id": product.id,
                "name": product.name,
                "sku": sku,
                "is_active": True,
                "total_fulfillable_quantity": sum(p["fulfillable_quantity"] for p in per),
                "total_onhand_quantity": sum(p["onhand_quantity"] for p in per),
                "total_committed_quantity": sum(p["committed_quantity"] for p in per),
                "fulfillable_quantity_by_fulfillment_center": per,
            }

        return paged(request, list(state.products), shaped)

    # -- orders and shipments ----------------------------------------------------------------------

    @app.post(
        f"{BASE}/order",
        **SHIPBOB.operation(
            "Create an order (reference_id unique per channel)",
            {201: Answer("The order", ORDER)},
            [*WRITE, 422],
            body=ORDER_IN,
            links={201: ORDER_LINKS},
            example=ORDER_EXAMPLE,
        ),
    )
    async def create_order(request: Request) -> Response:
        channel = authorise(request, write=True)
        assert channel is not None
        order = state.create_order(channel, await json_body(request))
        tag(request.scope, order.reference_id)
        fulfilment.context.record("wms", "order.created", order.reference_id, {"order": order.id})
        fulfilment.accept(order)
        return JSONResponse(order_json(state, order), status_code=201)

    @app.get(
        f"{BASE}/order",
        **SHIPBOB.operation(
            "Orders, paged and filtered",
            {200: Answer("A page", array(ORDER), PAGED)},
            READ,
            parameters=[*PAGE, *FILTERS],
        ),
    )
    async def list_orders(request: Request) -> Response:
        channel = authorise(request)
        found = filtered(request, channel, list(state.orders.values()), lambda o: o.channel)
        return paged(request, found, lambda o: order_json(state, o))

    @app.get(
        f"{BASE}/order/{{order_id}}",
        **SHIPBOB.operation(
            "Read an order", {200: Answer("The order", ORDER)}, [*READ, 404], operation_id="read_order"
        ),
    )
    async def read_order(order_id: str, request: Request) -> dict[str, Any]:
        channel = authorise(request)
        order = state.order(identifier(order_id, "Order"), channel)
        tag(request.scope, order.reference_id)
        return order_json(state, order)

    @app.post(
        f"{BASE}/order/{{order_id}}/cancel",
        **SHIPBOB.operation(
            "Cancel an order's shipments that have not been picked",
            {200: Answer("The outcome per shipment", CANCELLATION)},
            [*WRITE, 404, 422],
            operation_id="cancel_order",
        ),
    )
    async def cancel_order(order_id: str, request: Request) -> dict[str, Any]:
        channel = authorise(request, write=True)
        order = state.order(identifier(order_id, "Order"), channel)
        tag(request.scope, order.reference_id)
        cancelled = fulfilment.cancel(order)
        return {
            "order_id": order.id,
            "status": "Success",
            "order": order_json(state, order),
            "canceled_shipment_results": [
                {"shipment_id": s.id, "is_success": True, "reason": None, "action_requested": {"action": "Cancel"}}
                for s in cancelled
            ],
        }

    @app.get(
        f"{BASE}/order/{{order_id}}/shipment",
        **SHIPBOB.operation(
            "An order's shipments",
            {200: Answer("Shipments", array(SHIPMENT))},
            [*READ, 404],
            operation_id="order_shipments",
        ),
    )
    async def order_shipments(order_id: str, request: Request) -> list[dict[str, Any]]:
        channel = authorise(request)
        order = state.order(identifier(order_id, "Order"), channel)
        tag(request.scope, order.reference_id)
        return [shipment_json(state, s) for s in order.shipments]

    @app.get(
        f"{BASE}/order/{{order_id}}/shipment/{{shipment_id}}",
        **SHIPBOB.operation("One shipment of an order", {200: Answer("The shipment", SHIPMENT)}, [*READ, 404]),
    )
    async def order_shipment(order_id: str, shipment_id: str, request: Request) -> dict[str, Any]:
        channel = authorise(request)
        order = state.order(identifier(order_id, "Order"), channel)
        wanted = identifier(shipment_id, "Shipment")
        shipment = next((s for s in order.shipments if s.id == wanted), None)
        if shipment is None:
            raise not_found("Shipment")
        tag(request.scope, order.reference_id)
        return shipment_json(state, shipment)

    @app.get(
        f"{BASE}/shipment/{{shipment_id}}",
        **SHIPBOB.operation("Read a shipment", {200: Answer("The shipment", SHIPMENT)}, [*READ, 404]),
    )
    async def read_shipment(shipment_id: str, request: Request) -> dict[str, Any]:
        channel = authorise(request)
        shipment = state.shipments.get(identifier(shipment_id, "Shipment"))
        if shipment is None or (channel is not None and state.orders[shipment.order_id].channel.id != channel.id):
            raise not_found("Shipment")
        return shipment_json(state, shipment)

    # -- returns -----------------------------------------------------------------------------------

    @app.post(
        f"{BASE}/return",
        **SHIPBOB.operation(
            "Create a return for a shipped shipment (reference_id unique per channel)",
            {201: Answer("The return", RETURN)},
            [*WRITE, 422],
            body=RETURN_IN,
            links={201: RETURN_LINKS},
        ),
    )
    async def create_return(request: Request) -> Response:
        channel = authorise(request, write=True)
        assert channel is not None
        record = state.create_return(channel, await json_body(request))
        tag(request.scope, record.reference_id)
        fulfilment.context.record("wms", "return.created", record.reference_id, {"return": record.id})
        fulfilment.returned(record)
        return JSONResponse(return_json(record), status_code=201)

    @app.get(
        f"{BASE}/return",
        **SHIPBOB.operation(
            "Returns, paged and filtered",
            {200: Answer("A page", array(RETURN), PAGED)},
            READ,
            parameters=[*PAGE, *FILTERS],
        ),
    )
    async def list_returns(request: Request) -> Response:
        channel = authorise(request)
        found = filtered(request, channel, list(state.returns.values()), lambda r: r.channel)
        return paged(request, found, return_json)

    @app.get(
        f"{BASE}/return/{{return_id}}",
        **SHIPBOB.operation(
            "Read a return", {200: Answer("The return", RETURN)}, [*READ, 404], operation_id="read_return"
        ),
    )
    async def read_return(return_id: str, request: Request) -> dict[str, Any]:
        channel = authorise(request)
        record = state.returns.get(identifier(return_id, "Return"))
        if record is None or (channel is not None and record.channel.id != channel.id):
            raise not_found("Return")
        tag(request.scope, record.reference_id)
        return return_json(record)

    @app.post(
        f"{BASE}/return/{{return_id}}/cancel",
        **SHIPBOB.operation(
            "Cancel a return that has not arrived",
            {200: Answer("The return", RETURN)},
            [*WRITE, 404, 422],
            operation_id="cancel_return",
        ),
    )
    async def cancel_return(return_id: str, request: Request) -> dict[str, Any]:
        channel = authorise(request, write=True)
        record = state.returns.get(identifier(return_id, "Return"))
        if record is None or (channel is not None and record.channel.id != channel.id):
            raise not_found("Return")
        if record.status not in ("Awaiting Arrival", "Cancelled"):
            raise ShipBobError(
                422,
                {"status": [f"A return that is {record.status} cannot be cancelled."]},
                title="Return cannot be cancelled",
            )
        record.status = "Cancelled"
        return return_json(record)

    # -- webhooks ----------------------------------------------------------------------------------

    @app.post(
        f"{BASE}/webhook",
        **SHIPBOB.operation(
            "Subscribe a URL to a topic",
            {201: Answer("The subscription", SUBSCRIPTION)},
            READ,
            body=SUBSCRIPTION_IN,
            links={201: SUBSCRIPTION_LINKS},
        ),
    )
    async def subscribe(request: Request) -> Response:
        authorise(request)
        return JSONResponse(subscription_json(state.subscribe(await json_body(request))), status_code=201)

    @app.get(
        f"{BASE}/webhook",
        **SHIPBOB.operation(
            "Subscriptions, paged",
            {200: Answer("A page", array(SUBSCRIPTION), PAGED)},
            READ,
            parameters=[*PAGE, parameter("Topic", "query", {"enum": list(TOPICS)}, "Only this topic")],
        ),
    )
    async def subscriptions(request: Request) -> Response:
        authorise(request)
        topic = query(request).get("topic")
        found = [s for s in state.subscriptions.values() if topic is None or s.topic == topic]
        return paged(request, found, subscription_json)

    @app.delete(
        f"{BASE}/webhook/{{subscription_id}}",
        **SHIPBOB.operation("Unsubscribe", {204: Answer("Removed")}, [*READ, 404], operation_id="unsubscribe"),
    )
    async def unsubscribe(subscription_id: str, request: Request) -> Response:
        authorise(request)
        if state.subscriptions.pop(identifier(subscription_id, "Webhook"), None) is None:
            raise not_found("Webhook")
        return Response(status_code=204)

    return app
