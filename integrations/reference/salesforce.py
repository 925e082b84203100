"""The Salesforce REST API as the workflows use it: read an Order, its lines and its Account, write
ERP fields back (W1), and the fulfilment fields of the order and its lines (W4, W5).

Login is the OAuth client-credentials flow; data calls go to the ``instance_url`` the login names,
not to the login host, as with a real org.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from integrations.reference.retrying import TRANSIENT_ERROR_CODES, PermanentFailure, TransientFailure
from integrations.reference.session import Grant, Session, request_token

API = "/services/data/v62.0"


@dataclass(frozen=True)
class SalesforceOrder:
    id: str
    number: str
    account_id: str
    status: str
    effective_date: str
    erp_order_number: str | None
    fulfillment_status: str | None = None
    erp_status: str | None = None


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    street: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class OrderItem:
    """An order line with the fulfilment fields W4 keeps up to date."""

    id: str
    sku: str
    quantity: float
    shipped: float | None
    backordered: float | None
    tracking_numbers: str | None
    returned: float | None = None


@dataclass(frozen=True)
class ReturnCase:
    """A service case; W6 acts on those of ``Type`` Return that name an order."""

    id: str
    number: str
    type: str | None
    status: str
    order_id: str | None
    refund_status: str | None


@dataclass(frozen=True)
class ReturnLine:
    """A ReturnOrderLineItem: how many units of which order line come back."""

    id: str
    return_order_id: str
    order_item_id: str
    quantity: float


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: float
    unit_price: float


def salesforce_error_codes(response: httpx.Response) -> list[str]:
    """Salesforce errors are a JSON array of ``{"message", "errorCode", "fields"}``."""
    try:
        body = response.json()
    except ValueError:
        return []
    if not isinstance(body, list):
        return []
    return [str(error["errorCode"]) for error in body if isinstance(error, dict) and "errorCode" in error]


class Salesforce:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        login_url: str,
        client_id: str,
        client_secret: str,
    ) -> None:
        self._http = http
        self._login_url = login_url
        self._credentials = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self._session = Session(http, self._log_in, salesforce_error_codes)

    async def read_order(self, order_id: str) -> SalesforceOrder:
        record = await self._get(f"{API}/sobjects/Order/{quote(order_id, safe='')}", order_id)
        try:
            return SalesforceOrder(
                id=record["Id"],
                number=record["OrderNumber"],
                account_id=record["AccountId"],
                status=record["Status"],
                effective_date=record["EffectiveDate"],
                erp_order_number=record.get("ERP_Order_Number__c"),
                fulfillment_status=record.get("Fulfillment_Status__c"),
                erp_status=record.get("ERP_Status__c"),
            )
        except KeyError as missing:
            raise PermanentFailure(f"Salesforce Order {order_id} has no {missing}") from None

    async def read_order_items(self, order_id: str) -> list[OrderLine]:
        """All the order's lines, following ``nextRecordsUrl`` when Salesforce pages a large order."""
        records = await self._order_item_records(order_id)
        try:
            return [
                OrderLine(sku=item["SKU__c"], quantity=item["Quantity"], unit_price=item["UnitPrice"])
                for item in records
            ]
        except KeyError as missing:
            raise PermanentFailure(f"an OrderItem of Salesforce Order {order_id} has no {missing}") from None

    async def read_order_item_states(self, order_id: str) -> list[OrderItem]:
        """The order's lines with their ids and fulfilment fields, in the order Salesforce lists them."""
        records = await self._order_item_records(order_id)
        try:
            return [
                OrderItem(
                    id=item["Id"],
                    sku=item["SKU__c"],
                    quantity=float(item["Quantity"]),
                    shipped=item.get("Quantity_Shipped__c"),
                    backordered=item.get("Quantity_Backordered__c"),
                    tracking_numbers=item.get("Tracking_Numbers__c"),
                    returned=item.get("Quantity_Returned__c"),
                )
                for item in records
            ]
        except (KeyError, TypeError, ValueError) as missing:
            raise PermanentFailure(f"an OrderItem of Salesforce Order {order_id} is unreadable: {missing!r}") from None

    async def _order_item_records(self, order_id: str) -> list[dict[str, Any]]:
        return await self._children("Order", order_id, "OrderItems", order_id)

    async def read_case(self, case_id: str) -> ReturnCase:
        record = await self._get(f"{API}/sobjects/Case/{quote(case_id, safe='')}", case_id)
        try:
            return ReturnCase(
                id=record["Id"],
                number=record["CaseNumber"],
                type=record.get("Type"),
                status=record["Status"],
                order_id=record.get("Order__c"),
                refund_status=record.get("Refund_Status__c"),
            )
        except KeyError as missing:
            raise PermanentFailure(f"Salesforce Case {case_id} has no {missing}") from None

    async def read_return_lines(self, case_id: str) -> list[ReturnLine]:
        """The lines of every return order of the case (one, as agents open them)."""
        lines: list[ReturnLine] = []
        for return_order in await self._children("Case", case_id, "ReturnOrders", case_id):
            for item in await self._children("ReturnOrder", str(return_order["Id"]), "ReturnOrderLineItems", case_id):
                try:
                    lines.append(
                        ReturnLine(
                            id=item["Id"],
                            return_order_id=item["ReturnOrderId"],
                            order_item_id=item["OrderItemId"],
                            quantity=float(item["QuantityReturned"]),
                        )
                    )
                except (KeyError, TypeError, ValueError) as missing:
                    raise PermanentFailure(f"a return line of Case {case_id} is unreadable: {missing!r}") from None
        return lines

    async def read_received_lines(self, order_id: str, *, excluding_case: str) -> list[tuple[str, float]]:
        """``(OrderItemId, Quantity_Received__c)`` of the order's return lines outside one case."""
        received = []
        for return_order in await self._children("Order", order_id, "ReturnOrders", order_id):
            if return_order.get("CaseId") == excluding_case:
                continue
            for item in await self._children("ReturnOrder", str(return_order["Id"]), "ReturnOrderLineItems", order_id):
                if item.get("Quantity_Received__c"):
                    received.append((str(item["OrderItemId"]), float(item["Quantity_Received__c"])))
        return received

    async def _children(
        self, sobject: str, record_id: str, relationship: str, correlation_id: str
    ) -> list[dict[str, Any]]:
        path: str | None = f"{API}/sobjects/{sobject}/{quote(record_id, safe='')}/{relationship}"
        records: list[dict[str, Any]] = []
        while path is not None:
            page = await self._get(path, correlation_id)
            found = page.get("records")
            if not isinstance(found, list):
                raise TransientFailure(f"GET {path}: a query result without records")
            records += [item for item in found if isinstance(item, dict)]
            path = None if page.get("done", True) else page.get("nextRecordsUrl")
        return records

    async def read_product_availability(self, *, correlation_id: str) -> dict[str, tuple[str, float | None]]:
        """Every product's Id and the ``Available_Quantity__c`` the storefront sells against, by SKU (W2)."""
        soql = "SELECT Id, SKU__c, Available_Quantity__c FROM Product2 WHERE SKU__c != null"
        path: str | None = f"{API}/query?q={quote(soql)}"
        shown: dict[str, tuple[str, float | None]] = {}
        while path is not None:
            page = await self._get(path, correlation_id)
            rows = page.get("records")
            if not isinstance(rows, list):
                raise TransientFailure(f"GET {path}: a query result without records")
            for row in rows:
                if isinstance(row, dict) and isinstance(row.get("SKU__c"), str) and isinstance(row.get("Id"), str):
                    quantity = row.get("Available_Quantity__c")
                    shown[row["SKU__c"]] = (row["Id"], float(quantity) if isinstance(quantity, int | float) else None)
            path = None if page.get("done", True) else page.get("nextRecordsUrl")
        return shown

    async def read_account(self, account_id: str, *, correlation_id: str) -> Account:
        record = await self._get(f"{API}/sobjects/Account/{quote(account_id, safe='')}", correlation_id)
        try:
            return Account(
                id=record["Id"],
                name=record["Name"],
                street=record.get("ShippingStreet"),
                city=record.get("ShippingCity"),
                state=record.get("ShippingState"),
                postal_code=record.get("ShippingPostalCode"),
                country=record.get("ShippingCountry"),
                email=record.get("PersonEmail"),
                phone=record.get("Phone"),
            )
        except KeyError as missing:
            raise PermanentFailure(f"Salesforce Account {account_id} has no {missing}") from None

    async def update_records(self, records: list[dict[str, Any]], *, correlation_id: str) -> None:
        """Updates several records in one all-or-none collection call (``composite/sobjects``), so an
        order's lines and its status change together or not at all. Each record is
        ``{"attributes": {"type": ...}, "id": ..., <fields>}``; at most 200."""
        if not records:
            return
        path = f"{API}/composite/sobjects"
        response = await self._session.request(
            "PATCH", path, correlation_id=correlation_id, json={"allOrNone": True, "records": records}
        )
        try:
            results = response.json()
        except ValueError:
            results = None
        if not isinstance(results, list) or len(results) != len(records):
            raise TransientFailure(f"PATCH {path}: unreadable answer {response.text[:200]!r}")
        failed = [r for r in results if not (isinstance(r, dict) and r.get("success") is True)]
        if not failed:
            return
        codes = [
            str(error.get("statusCode"))
            for result in failed
            if isinstance(result, dict)
            for error in result.get("errors") or []
            if isinstance(error, dict)
        ]
        reason = f"PATCH {path} refused: {' '.join(response.text[:300].split())}"
        if TRANSIENT_ERROR_CODES.intersection(codes) or set(codes) <= {"ALL_OR_NONE_OPERATION_ROLLED_BACK"}:
            raise TransientFailure(reason)
        raise PermanentFailure(reason)

    async def update_order(self, order_id: str, fields: dict[str, str]) -> None:
        await self._session.request(
            "PATCH", f"{API}/sobjects/Order/{quote(order_id, safe='')}", correlation_id=order_id, json=fields
        )

    async def _get(self, path: str, correlation_id: str) -> dict[str, Any]:
        response = await self._session.request("GET", path, correlation_id=correlation_id)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise TransientFailure(f"GET {path}: unreadable answer {response.text[:200]!r}")
        return body

    async def _log_in(self, correlation_id: str | None) -> Grant:
        token = await request_token(
            self._http, f"{self._login_url}/services/oauth2/token", self._credentials, correlation_id
        )
        instance_url = token.get("instance_url")
        if not isinstance(instance_url, str) or not instance_url:
            raise TransientFailure("Salesforce login answered without an instance_url")
        return Grant(access_token=token["access_token"], base_url=instance_url.rstrip("/"))
