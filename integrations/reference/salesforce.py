"""The Salesforce REST API as W1 uses it: read an Order and its lines, write ERP fields back.

Login is the OAuth client-credentials flow; data calls go to the ``instance_url`` the login names,
not to the login host, as with a real org.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from integrations.reference.retrying import PermanentFailure, TransientFailure
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
            )
        except KeyError as missing:
            raise PermanentFailure(f"Salesforce Order {order_id} has no {missing}") from None

    async def read_order_items(self, order_id: str) -> list[OrderLine]:
        """All the order's lines, following ``nextRecordsUrl`` when Salesforce pages a large order."""
        path: str | None = f"{API}/sobjects/Order/{quote(order_id, safe='')}/OrderItems"
        lines: list[OrderLine] = []
        while path is not None:
            page = await self._get(path, order_id)
            try:
                lines += [
                    OrderLine(sku=item["SKU__c"], quantity=item["Quantity"], unit_price=item["UnitPrice"])
                    for item in page["records"]
                ]
            except KeyError as missing:
                raise PermanentFailure(f"an OrderItem of Salesforce Order {order_id} has no {missing}") from None
            path = None if page.get("done", True) else page.get("nextRecordsUrl")
        return lines

    async def update_order(self, order_id: str, fields: dict[str, str]) -> None:
        await self._session.request(
            "PATCH", f"{API}/sobjects/Order/{quote(order_id, safe='')}", correlation_id=order_id, json=fields
        )

    async def _get(self, path: str, order_id: str) -> dict[str, Any]:
        response = await self._session.request("GET", path, correlation_id=order_id)
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
