"""The WMS's ShipBob-flavoured REST API 1.0 as W3 and W4 use it: create an order, find it by reference, read it.

A personal access token is the bearer credential (nothing to log in to), and every write names the
channel it writes for in the ``shipbob_channel_id`` header. ShipBob refuses a second order with a
reference id its channel already used (422): for an integration that sets the reference to the ERP
order's id, that answer means "created already", the way NetSuite's external ids do for the ERP.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from integrations.reference.retrying import PermanentFailure, TransientFailure, describe
from integrations.reference.session import Grant, Session

CHANNEL_HEADER = "shipbob_channel_id"


def shipbob_error_fields(response: httpx.Response) -> list[str]:
    """ShipBob errors are ASP.NET validation problems: ``errors: {field: [messages]}``; the fields name them."""
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return [str(name) for name in errors] if isinstance(errors, dict) else []


class Wms:
    def __init__(self, http: httpx.AsyncClient, *, url: str, token: str, channel_id: str) -> None:
        self._url = url
        self._token = token
        self._channel = {CHANNEL_HEADER: channel_id}
        self._session = Session(http, self._grant, lambda _: [])

    async def create_order(self, order: dict[str, Any], *, correlation_id: str) -> dict[str, Any] | None:
        """Creates the order; ``None`` when the channel already has one with its ``reference_id``."""
        response = await self._session.request(
            "POST", "/order", correlation_id=correlation_id, json=order, headers=self._channel, expected=(422,)
        )
        if response.status_code == 422:
            if "reference_id" in shipbob_error_fields(response):
                return None
            raise PermanentFailure(describe(response, []))
        return self._object(response, "POST /order")

    async def find_order(self, reference_id: str, *, correlation_id: str) -> dict[str, Any] | None:
        """The channel's order with this reference id, if there is one."""
        path = f"/order?ReferenceIds={quote(reference_id, safe='')}"
        response = await self._session.request("GET", path, correlation_id=correlation_id, headers=self._channel)
        try:
            found = response.json()
        except ValueError as error:
            raise TransientFailure(f"GET {path}: unreadable answer {response.text[:200]!r}") from error
        if not isinstance(found, list):
            raise TransientFailure(f"GET {path}: expected a list of orders")
        matching = [o for o in found if isinstance(o, dict) and o.get("reference_id") == reference_id]
        return matching[0] if matching else None

    async def create_return(self, body: dict[str, Any], *, correlation_id: str) -> dict[str, Any] | None:
        """Creates the return (W6); ``None`` when the channel already has one with its ``reference_id``."""
        response = await self._session.request(
            "POST", "/return", correlation_id=correlation_id, json=body, headers=self._channel, expected=(422,)
        )
        if response.status_code == 422:
            if "reference_id" in shipbob_error_fields(response):
                return None
            raise PermanentFailure(describe(response, []))
        return self._object(response, "POST /return")

    async def cancel_order(self, order_id: int, *, correlation_id: str) -> str | None:
        """Cancels the order's shipments: ``None`` when it is cancelled (now or before), else the
        warehouse's reason for refusing. ShipBob refuses with 422 once any shipment is picked, and that
        stays so: the answer is an outcome, not a failure to retry."""
        response = await self._session.request(
            "POST", f"/order/{order_id}/cancel", correlation_id=correlation_id, headers=self._channel, expected=(422,)
        )
        if response.status_code != 422:
            return None
        try:
            errors = response.json().get("errors")
        except (ValueError, AttributeError):
            errors = None
        reasons = (
            [str(m) for messages in errors.values() if isinstance(messages, list) for m in messages]
            if isinstance(errors, dict)
            else []
        )
        return "; ".join(reasons) or describe(response, [])

    async def read_order(self, order_id: int, *, correlation_id: str) -> dict[str, Any]:
        response = await self._session.request(
            "GET", f"/order/{order_id}", correlation_id=correlation_id, headers=self._channel
        )
        return self._object(response, f"GET /order/{order_id}")

    @staticmethod
    def _object(response: httpx.Response, call: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("id"), int):
            raise TransientFailure(f"{call}: unreadable answer {response.text[:200]!r}")
        return body

    async def _grant(self, correlation_id: str | None) -> Grant:
        del correlation_id
        return Grant(access_token=self._token, base_url=self._url)
