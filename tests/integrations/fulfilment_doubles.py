"""Stand-ins for W3-W5: the ERP's sales orders with their transforms, the WMS's orders and shipments,
Salesforce's orders, lines and accounts, and signed carrier events; just enough of each, in memory.

Like ``sut_doubles``, these answer in the vendors' shapes the reference relies on, and do not depend
on the real mocks in ``mocks/``. One ASGI app serves all three systems (their paths do not overlap).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sut_doubles import ACCOUNT_ID, ORDER_ID, settings_for

from integrations.reference.fulfilment_events import carrier_signature
from integrations.reference.settings import Settings

WMS_TOKEN = "wms-token"
CHANNEL_ID = "100"
CARRIER_SECRET = "carrier-secret"
SO_ID = "501"
SO_TRAN_ID = "SO1001"
LINES = (("SKU-RED-M", 2), ("SKU-BLUE-L", 1))


@dataclass
class ErpLine:
    line: int
    sku: str
    quantity: float
    fulfilled: float = 0.0
    billed: float = 0.0


@dataclass
class Transformed:
    record_type: str
    external_id: str
    lines: list[dict[str, Any]]


@dataclass
class WmsOrder:
    id: int
    body: dict[str, Any]
    channel: str
    shipments: list[dict[str, Any]] = field(default_factory=list)


class FulfilmentSystems:
    def __init__(self) -> None:
        self.sales_order_lines = [ErpLine(n, sku, q) for n, (sku, q) in enumerate(LINES, start=1)]
        self.transformed: list[Transformed] = []
        self.wms_orders: list[WmsOrder] = []
        self.sf_order: dict[str, Any] = {
            "Id": ORDER_ID,
            "OrderNumber": "00000100",
            "AccountId": ACCOUNT_ID,
            "Status": "Activated",
            "EffectiveDate": "2026-11-27",
            "ERP_Order_Number__c": SO_TRAN_ID,
            "ERP_Status__c": "Pending Fulfillment",
            "Fulfillment_Status__c": None,
        }
        self.sf_items: list[dict[str, Any]] = [
            {
                "Id": f"802000000000{n:03d}AAA",
                "SKU__c": sku,
                "Quantity": float(q),
                "Quantity_Shipped__c": None,
                "Quantity_Backordered__c": None,
                "Tracking_Numbers__c": None,
            }
            for n, (sku, q) in enumerate(LINES)
        ]
        self.status_history: list[str] = []
        self._ids = itertools.count(200_001)
        self.app = self._build_app()

    # -- what tests do to the world ------------------------------------------------------------------

    def ship(self, wms_order: WmsOrder, lines: dict[str, int], *, tracking: str | None) -> dict[str, Any]:
        """Adds a shipment to the order; ``tracking=None`` makes it a backorder (Exception)."""
        shipment = {
            "id": next(self._ids),
            "order_id": wms_order.id,
            "reference_id": wms_order.body["reference_id"],
            "status": "Completed" if tracking else "Exception",
            "status_details": [{"name": "Shipped" if tracking else "OutOfStock"}],
            "location": {"id": 1, "name": "WH-EAST"} if tracking else None,
            "tracking": {"carrier": "USPS", "tracking_number": tracking, "tracking_url": "https://t.test"}
            if tracking
            else None,
            "products": [{"id": 1, "reference_id": sku, "quantity": q} for sku, q in lines.items()],
            "created_date": "2026-11-27T09:00:00+00:00",
            "last_update_at": "2026-11-27T09:00:00+00:00",
        }
        wms_order.shipments.append(shipment)
        return shipment

    def unship_backorder(self, wms_order: WmsOrder) -> None:
        wms_order.shipments = [s for s in wms_order.shipments if s["status"] != "Exception"]

    def wms_order_json(self, order: WmsOrder) -> dict[str, Any]:
        return {
            "id": order.id,
            "reference_id": order.body["reference_id"],
            "order_number": order.body.get("order_number"),
            "status": "Processing",
            "type": "DTC",
            "channel": {"id": int(order.channel)},
            "shipping_method": order.body["shipping_method"],
            "recipient": order.body["recipient"],
            "products": [{"id": n, **p} for n, p in enumerate(order.body["products"], start=1)],
            "shipments": order.shipments,
            "created_date": "2026-11-27T08:00:00+00:00",
        }

    def of_type(self, record_type: str) -> list[Transformed]:
        return [t for t in self.transformed if t.record_type == record_type]

    def item(self, sku: str) -> dict[str, Any]:
        return next(i for i in self.sf_items if i["SKU__c"] == sku)

    # -- the app -------------------------------------------------------------------------------------

    def _build_app(self) -> FastAPI:
        app = FastAPI()
        erp = "/services/rest/record/v1"
        sf = "/services/data/v62.0"

        def not_found() -> JSONResponse:
            return JSONResponse(
                {"status": 404, "o:errorDetails": [{"detail": "not found", "o:errorCode": "NONEXISTENT_ID"}]},
                status_code=404,
            )

        @app.post("/services/oauth2/token")
        async def sf_token(request: Request) -> JSONResponse:
            return JSONResponse({"access_token": "sf", "instance_url": str(request.base_url).rstrip("/")})

        @app.post("/services/rest/auth/oauth2/v1/token")
        async def erp_token() -> JSONResponse:
            return JSONResponse({"access_token": "erp", "token_type": "Bearer", "expires_in": 3600})

        @app.get(erp + "/salesOrder/{ref}")
        async def sales_order(ref: str) -> JSONResponse:
            if ref not in (SO_ID, f"eid:{ORDER_ID}"):
                return not_found()
            open_lines = [ln for ln in self.sales_order_lines if ln.fulfilled < ln.quantity]
            status = "Pending Fulfillment" if len(open_lines) == len(self.sales_order_lines) else "Partially Fulfilled"
            if not open_lines:
                status = "Billed"
            return JSONResponse(
                {
                    "id": SO_ID,
                    "tranId": SO_TRAN_ID,
                    "status": {"id": "B", "refName": status},
                    "externalId": ORDER_ID,
                    "otherRefNum": ORDER_ID,
                    "item": {
                        "items": [
                            {
                                "line": ln.line,
                                "item": {"id": str(ln.line), "refName": ln.sku},
                                "quantity": ln.quantity,
                                "quantityFulfilled": ln.fulfilled,
                                "quantityCommitted": ln.quantity - ln.fulfilled,
                            }
                            for ln in self.sales_order_lines
                        ]
                    },
                }
            )

        @app.get(erp + "/{record_type}/{ref}")
        async def transformed(record_type: str, ref: str) -> JSONResponse:
            for record in self.transformed:
                if record.record_type == record_type and ref == f"eid:{record.external_id}":
                    return JSONResponse({"externalId": record.external_id, "item": {"items": record.lines}})
            return not_found()

        @app.post(erp + "/salesOrder/{ref}/!transform/{target}")
        async def transform(ref: str, target: str, request: Request) -> Response:
            body = await request.json()
            assert request.query_params.get("replace") == "item"
            lines = body["item"]["items"]
            # As the ERP does, quantities are checked before the external id: a repeat of a transform
            # that landed is refused for want of anything left, not as a duplicate.
            for given in lines:
                line = self.sales_order_lines[given["orderLine"] - 1]
                left = line.quantity - line.fulfilled if target == "itemFulfillment" else line.fulfilled - line.billed
                if given["quantity"] > left:
                    detail = f"Line {line.line}: only {left:g} remain"
                    return JSONResponse(
                        {"status": 400, "o:errorDetails": [{"detail": detail, "o:errorCode": "USER_ERROR"}]},
                        status_code=400,
                    )
            if any(t.record_type == target and t.external_id == body["externalId"] for t in self.transformed):
                return JSONResponse(
                    {"status": 400, "o:errorDetails": [{"detail": "dup", "o:errorCode": "DUP_RCRD"}]}, status_code=400
                )
            for given in lines:
                line = self.sales_order_lines[given["orderLine"] - 1]
                if target == "itemFulfillment":
                    line.fulfilled += given["quantity"]
                else:
                    line.billed += given["quantity"]
            self.transformed.append(Transformed(target, body["externalId"], lines))
            return Response(
                status_code=204, headers={"Location": f"http://erp.test{erp}/{target}/{len(self.transformed)}"}
            )

        @app.get(sf + "/sobjects/Order/{order_id}")
        async def read_order(order_id: str) -> JSONResponse:
            return JSONResponse(self.sf_order)

        @app.get(sf + "/sobjects/Order/{order_id}/OrderItems")
        async def read_items(order_id: str) -> JSONResponse:
            return JSONResponse({"totalSize": len(self.sf_items), "done": True, "records": self.sf_items})

        @app.get(sf + "/sobjects/Account/{account_id}")
        async def read_account(account_id: str) -> JSONResponse:
            return JSONResponse(
                {
                    "Id": account_id,
                    "Name": "Ada Lovelace",
                    "ShippingStreet": "1 Analytical Way",
                    "ShippingCity": "Springfield",
                    "ShippingState": "IL",
                    "ShippingPostalCode": "62701",
                    "ShippingCountry": "US",
                    "PersonEmail": "ada@example.com",
                    "Phone": "555-0100",
                }
            )

        @app.patch(sf + "/composite/sobjects")
        async def update(request: Request) -> JSONResponse:
            body = await request.json()
            assert body["allOrNone"] is True
            for record in body["records"]:
                fields = {k: v for k, v in record.items() if k not in ("attributes", "id")}
                if record["attributes"]["type"] == "Order":
                    self.sf_order.update(fields)
                    if "Fulfillment_Status__c" in fields:
                        self.status_history.append(fields["Fulfillment_Status__c"])
                else:
                    next(i for i in self.sf_items if i["Id"] == record["id"]).update(fields)
            return JSONResponse([{"id": r["id"], "success": True, "errors": []} for r in body["records"]])

        @app.post("/1.0/order")
        async def create_wms_order(request: Request) -> JSONResponse:
            assert request.headers.get("authorization") == f"Bearer {WMS_TOKEN}"
            channel = request.headers["shipbob_channel_id"]
            body = await request.json()
            if any(o.body["reference_id"] == body["reference_id"] for o in self.wms_orders):
                return JSONResponse(
                    {"title": "Duplicate reference ID", "status": 422, "errors": {"reference_id": ["exists"]}},
                    status_code=422,
                )
            order = WmsOrder(100_001 + len(self.wms_orders), body, channel)
            self.wms_orders.append(order)
            return JSONResponse(self.wms_order_json(order), status_code=201)

        @app.get("/1.0/order")
        async def find_wms_orders(request: Request) -> JSONResponse:
            wanted = request.query_params.get("ReferenceIds")
            return JSONResponse([self.wms_order_json(o) for o in self.wms_orders if o.body["reference_id"] == wanted])

        @app.get("/1.0/order/{order_id}")
        async def read_wms_order(order_id: int) -> JSONResponse:
            return JSONResponse(self.wms_order_json(next(o for o in self.wms_orders if o.id == order_id)))

        return app


def fulfilment_settings(state_dir: Path) -> Settings:
    base = settings_for(state_dir)
    return Settings(
        **{
            **base.__dict__,
            "wms_url": f"{base.salesforce_url}/1.0",
            "wms_token": WMS_TOKEN,
            "wms_channel_id": CHANNEL_ID,
            "carrier_webhook_secret": CARRIER_SECRET,
        }
    )


def order_booked(event_id: str = "erp:1") -> dict[str, Any]:
    summary = {
        "recordType": "salesOrder",
        "id": SO_ID,
        "tranId": SO_TRAN_ID,
        "status": "Pending Fulfillment",
        "total": 84.98,
        "lastModifiedDate": "2026-11-27T08:00:00Z",
        "externalId": ORDER_ID,
        "otherRefNum": ORDER_ID,
    }
    return {
        "schema": "rehearse-ErpEvent-v1",
        "eventId": event_id,
        "eventType": "order.booked",
        "account": "erp",
        "occurredAt": "2026-11-27T08:00:00Z",
        "record": summary,
        "salesOrder": summary,
        "lines": [
            {"line": n, "item": str(n), "sku": sku, "quantity": q, "rate": 10.0, "amount": 10.0 * q}
            for n, (sku, q) in enumerate(LINES, start=1)
        ],
    }


def tracker_event(tracking_code: str, status: str, event_id: str) -> tuple[bytes, dict[str, str]]:
    """A signed EasyPost ``tracker.updated`` Event: its raw body and headers."""
    body = json.dumps(
        {
            "object": "Event",
            "id": event_id,
            "mode": "test",
            "description": "tracker.updated",
            "previous_attributes": {},
            "result": {
                "id": "trk_" + "0" * 32,
                "object": "Tracker",
                "tracking_code": tracking_code,
                "status": status,
                "status_detail": "arrived_at_destination",
                "carrier": "USPS",
                "tracking_details": [],
                "est_delivery_date": None,
                "created_at": "2026-11-27T09:00:00Z",
                "updated_at": "2026-11-27T09:00:00Z",
            },
            "created_at": "2026-11-27T09:00:00Z",
            "updated_at": "2026-11-27T09:00:00Z",
        }
    ).encode()
    headers = {"Content-Type": "application/json", "X-Hmac-Signature": carrier_signature(body, CARRIER_SECRET)}
    return body, headers


def event_id(n: int) -> str:
    return f"evt_{n:032x}"
