"""The ERP's NetSuite-flavoured REST API as the workflows use it: sales orders under ``record/v1``
(W1), and the item fulfilments and invoices transformed from them (W4).

NetSuite answers a create or an upsert with 204 and no body: the new record's internal id is only
the last segment of the ``Location`` header, and the document number (``tranId``) needs a read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from integrations.reference.retrying import PermanentFailure, TransientFailure, describe
from integrations.reference.session import Grant, Session, request_token

RECORDS = "/services/rest/record/v1"
RETIRED = "ERP_RETIRED"
"""The error a retired account's cutover script throws at a new sales order (``contracts/sut-environment.md``)."""
SUITEQL = "/services/rest/query/v1/suiteql"
SUITEQL_PAGE = 1000
_EARLY_REFRESH = 30.0
"""Seconds before ``expires_in`` runs out that a token is replaced (at most half its life), so none
expires mid-flight."""


@dataclass(frozen=True)
class ErpSalesOrder:
    internal_id: str
    tran_id: str
    status: str
    """The status's display name (``status.refName``), what Salesforce users see."""


@dataclass(frozen=True)
class ErpOrderLine:
    line: int
    sku: str
    quantity: float
    fulfilled: float
    committed: float


@dataclass(frozen=True)
class ErpOrderDetail:
    """A sales order with its lines (``expandSubResources=true``), as W3 and W4 need it."""

    internal_id: str
    tran_id: str
    status: str
    external_id: str | None
    other_ref_num: str | None
    lines: tuple[ErpOrderLine, ...]

    @property
    def salesforce_order_id(self) -> str | None:
        """W1 keys the ERP order to its Salesforce order by external id, and names it in ``otherRefNum``."""
        return self.external_id or self.other_ref_num


@dataclass(frozen=True)
class TransformedLine:
    order_line: int
    quantity: float
    location: str | None = None
    """The location (by name, its external id) a fulfilment line ships from: the WMS warehouse."""


class AccountRetired(PermanentFailure):
    """The ERP account takes no new sales orders any more: a cutover moved them to its successor."""


def netsuite_error_codes(response: httpx.Response) -> list[str]:
    """NetSuite errors are RFC 9457 problems with the codes in ``o:errorDetails[].o:errorCode``."""
    try:
        body = response.json()
    except ValueError:
        return []
    details = body.get("o:errorDetails") if isinstance(body, dict) else None
    if not isinstance(details, list):
        return []
    return [str(detail["o:errorCode"]) for detail in details if isinstance(detail, dict) and "o:errorCode" in detail]


def external_id_ref(external_id: str) -> str:
    """How NetSuite addresses a record by external id in a path: ``eid:<value>``."""
    return f"eid:{external_id}"


class Erp:
    def __init__(self, http: httpx.AsyncClient, *, url: str, client_id: str, client_secret: str) -> None:
        self._http = http
        self._url = url
        self._credentials = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self._session = Session(http, self._log_in, netsuite_error_codes)

    async def upsert_sales_order(self, external_id: str, sales_order: dict[str, Any], *, correlation_id: str) -> None:
        """Creates or updates the one sales order with this external id: safe to repeat, even after a lost answer.

        Raises :class:`AccountRetired` when the account refuses to create it because of a cutover
        (an order it holds already is updated as before)."""
        response = await self._session.request(
            "PUT",
            self._sales_order_path(external_id_ref(external_id)),
            correlation_id=correlation_id,
            json=sales_order,
            expected=(400,),
        )
        if response.status_code == 400:
            codes = netsuite_error_codes(response)
            raise (AccountRetired if RETIRED in codes else PermanentFailure)(describe(response, codes))

    async def create_sales_order(self, sales_order: dict[str, Any], *, correlation_id: str) -> str:
        """Creates a sales order and returns its internal id. Every call creates one more."""
        response = await self._session.request(
            "POST", f"{RECORDS}/salesOrder", correlation_id=correlation_id, json=sales_order
        )
        location = response.headers.get("Location", "")
        internal_id = location.rstrip("/").rpartition("/")[2]
        if not internal_id:
            raise TransientFailure(f"POST {RECORDS}/salesOrder answered {response.status_code} without a Location")
        return internal_id

    async def read_sales_order(self, ref: str, *, correlation_id: str) -> ErpSalesOrder:
        """``ref`` is an internal id or an ``eid:`` reference."""
        path = self._sales_order_path(ref)
        response = await self._session.request("GET", path, correlation_id=correlation_id)
        try:
            body = response.json()
        except ValueError as error:
            raise TransientFailure(f"GET {path}: unreadable answer {response.text[:200]!r}") from error
        try:
            return ErpSalesOrder(
                internal_id=str(body["id"]), tran_id=str(body["tranId"]), status=str(body["status"]["refName"])
            )
        except (TypeError, KeyError) as error:
            raise PermanentFailure(f"GET {path}: a sales order without id, tranId or status: {error!r}") from error

    async def cancel_sales_order(self, ref: str, *, correlation_id: str) -> None:
        """Cancels a sales order nothing was fulfilled from (``orderStatus`` C): its commitments are
        released. Repeating it on a cancelled order changes nothing; the ERP refuses (permanently) to
        cancel an order that has begun shipping."""
        response = await self._session.request(
            "PATCH",
            self._sales_order_path(ref),
            correlation_id=correlation_id,
            json={"orderStatus": {"id": "C"}},
            expected=(400,),
        )
        if response.status_code == 400:
            raise PermanentFailure(describe(response, netsuite_error_codes(response)))

    async def holds_sales_order(self, ref: str, *, correlation_id: str) -> bool:
        """Whether this account has the sales order: across a cutover, which one an order lives in."""
        response = await self._session.request(
            "GET", self._sales_order_path(ref), correlation_id=correlation_id, expected=(404,)
        )
        return response.status_code != 404

    async def read_sales_order_detail(self, ref: str, *, correlation_id: str) -> ErpOrderDetail:
        path = f"{self._sales_order_path(ref)}?expandSubResources=true"
        body = await self._read(path, correlation_id)
        try:
            lines = tuple(
                ErpOrderLine(
                    line=int(row["line"]),
                    sku=str(row["item"]["refName"]),
                    quantity=float(row["quantity"]),
                    fulfilled=float(row.get("quantityFulfilled") or 0.0),
                    committed=float(row.get("quantityCommitted") or 0.0),
                )
                for row in body["item"]["items"]
            )
            return ErpOrderDetail(
                internal_id=str(body["id"]),
                tran_id=str(body["tranId"]),
                status=str(body["status"]["refName"]),
                external_id=body.get("externalId"),
                other_ref_num=body.get("otherRefNum"),
                lines=lines,
            )
        except (TypeError, KeyError, ValueError) as error:
            raise PermanentFailure(f"GET {path}: a sales order without its lines: {error!r}") from error

    async def find_transformed(
        self, record_type: str, external_id: str, *, correlation_id: str
    ) -> tuple[TransformedLine, ...] | None:
        """The lines of the ``record_type`` (itemFulfillment, invoice) with this external id, or
        ``None`` when there is none: how a retry learns that an earlier attempt already made it."""
        path = f"{RECORDS}/{record_type}/{quote(external_id_ref(external_id), safe=':')}?expandSubResources=true"
        response = await self._session.request("GET", path, correlation_id=correlation_id, expected=(404,))
        if response.status_code == 404:
            return None
        try:
            body = response.json()
            return tuple(
                TransformedLine(order_line=int(row["orderLine"]), quantity=float(row["quantity"]))
                for row in body["item"]["items"]
            )
        except (ValueError, TypeError, KeyError) as error:
            raise TransientFailure(f"GET {path}: unreadable {record_type}: {error!r}") from error

    async def transform_sales_order(
        self,
        internal_id: str,
        record_type: str,
        *,
        external_id: str,
        lines: list[TransformedLine],
        correlation_id: str,
    ) -> bool:
        """Transforms the sales order into a ``record_type`` holding exactly ``lines`` (``?replace=item``:
        the lines given, not every open one), keyed by ``external_id``. ``False`` when the ERP says
        a record with that external id exists already (an earlier attempt whose answer was lost)."""
        path = f"{self._sales_order_path(internal_id)}/!transform/{record_type}?replace=item"
        body = {
            "externalId": external_id,
            "item": {
                "items": [
                    {
                        "orderLine": line.order_line,
                        "quantity": line.quantity,
                        **(
                            {"location": {"externalId": line.location}}
                            if line.location is not None and record_type == "itemFulfillment"
                            else {}
                        ),
                    }
                    for line in lines
                ]
            },
        }
        return await self._create(path, body, correlation_id)

    async def find_record(self, record_type: str, external_id: str, *, correlation_id: str) -> dict[str, Any] | None:
        """The ``record_type`` with this external id, with its lines, or ``None`` when there is none (W6)."""
        path = f"{RECORDS}/{record_type}/{quote(external_id_ref(external_id), safe=':')}?expandSubResources=true"
        response = await self._session.request("GET", path, correlation_id=correlation_id, expected=(404,))
        if response.status_code == 404:
            return None
        try:
            body = response.json()
        except ValueError as error:
            raise TransientFailure(f"GET {path}: unreadable answer {response.text[:200]!r}") from error
        if not isinstance(body, dict) or "id" not in body:
            raise TransientFailure(f"GET {path}: unreadable {record_type}")
        return body

    async def transform(
        self, source_type: str, internal_id: str, target_type: str, body: dict[str, Any], *, correlation_id: str
    ) -> bool:
        """``POST {source}/{id}/!transform/{target}?replace=item`` (the body's lines only). ``False`` when
        the ERP refuses the body's ``externalId`` as taken: an earlier attempt made the record (W6)."""
        path = f"{RECORDS}/{source_type}/{quote(internal_id, safe='')}/!transform/{target_type}?replace=item"
        return await self._create(path, body, correlation_id)

    async def create_refund(self, body: dict[str, Any], *, correlation_id: str) -> bool:
        """``POST customerRefund``; ``False`` when its ``externalId`` is taken (made by an earlier attempt)."""
        return await self._create(f"{RECORDS}/customerRefund", body, correlation_id)

    async def create_credit_memo(self, body: dict[str, Any], *, correlation_id: str) -> bool:
        """``POST creditMemo``: a standalone credit for a customer, from no return authorisation; ``False``
        when its ``externalId`` is taken."""
        return await self._create(f"{RECORDS}/creditMemo", body, correlation_id)

    async def _create(self, path: str, body: dict[str, Any], correlation_id: str) -> bool:
        response = await self._session.request("POST", path, correlation_id=correlation_id, json=body, expected=(400,))
        if response.status_code == 400:
            codes = netsuite_error_codes(response)
            if "DUP_RCRD" in codes:
                return False
            raise PermanentFailure(describe(response, codes))
        return True

    async def read_availability(self, *, correlation_id: str) -> dict[str, float]:
        """Units available to sell per SKU, summed over locations, in one SuiteQL query over the
        ``inventoryitemlocations`` table (paged): on hand less committed, as NetSuite computes it."""
        query = {"q": "SELECT BUILTIN.DF(item) AS sku, quantityavailable FROM inventoryitemlocations"}
        available: dict[str, float] = {}
        offset = 0
        while True:
            path = f"{SUITEQL}?limit={SUITEQL_PAGE}&offset={offset}"
            response = await self._session.request(
                "POST", path, correlation_id=correlation_id, json=query, headers={"Prefer": "transient"}
            )
            try:
                page = response.json()
                for row in page["items"]:
                    sku = str(row["sku"])
                    available[sku] = available.get(sku, 0.0) + float(row.get("quantityavailable") or 0.0)
            except (ValueError, TypeError, KeyError) as error:
                raise TransientFailure(f"POST {path}: unreadable SuiteQL answer: {error!r}") from error
            if not page.get("hasMore"):
                return available
            offset += SUITEQL_PAGE

    async def has_taken_over(self, *, correlation_id: str) -> bool:
        """Whether this account trades: it holds stock or has booked a sales order. A cutover's
        successor starts with neither and has both from the hand-over on (W2 reads it from then)."""
        for query in (
            "SELECT TOP 1 item FROM inventoryitemlocations WHERE quantityonhand > 0 OR quantitybackordered > 0",
            "SELECT TOP 1 id FROM transaction WHERE type = 'SalesOrd'",
        ):
            response = await self._session.request(
                "POST",
                f"{SUITEQL}?limit=1",
                correlation_id=correlation_id,
                json={"q": query},
                headers={"Prefer": "transient"},
            )
            try:
                if response.json()["items"]:
                    return True
            except (ValueError, TypeError, KeyError) as error:
                raise TransientFailure(f"POST {SUITEQL}: unreadable SuiteQL answer: {error!r}") from error
        return False

    async def _read(self, path: str, correlation_id: str) -> dict[str, Any]:
        response = await self._session.request("GET", path, correlation_id=correlation_id)
        try:
            body = response.json()
        except ValueError as error:
            raise TransientFailure(f"GET {path}: unreadable answer {response.text[:200]!r}") from error
        if not isinstance(body, dict):
            raise TransientFailure(f"GET {path}: unreadable answer {response.text[:200]!r}")
        return body

    @staticmethod
    def _sales_order_path(ref: str) -> str:
        return f"{RECORDS}/salesOrder/{quote(ref, safe=':')}"

    async def _log_in(self, correlation_id: str | None) -> Grant:
        token = await request_token(
            self._http, f"{self._url}/services/rest/auth/oauth2/v1/token", self._credentials, correlation_id
        )
        expires_in = token.get("expires_in")
        expires_at = None
        if isinstance(expires_in, int | float):
            expires_at = time.monotonic() + expires_in - min(_EARLY_REFRESH, expires_in / 2)
        return Grant(access_token=token["access_token"], base_url=self._url, expires_at=expires_at)
