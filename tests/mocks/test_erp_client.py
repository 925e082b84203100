"""A NetSuite client written the way integrations write one (httpx, OAuth 2.0 client credentials,
ids read from ``Location``), against the mock served over a real loopback socket: the order-to-cash
and return-to-refund chain, and what dropped connections look like to it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from harness.hosting import MockServer
from harness.population import Population
from mocks.base import MockContext
from mocks.erp import ErpMock

REST = "/services/rest"


class NetSuite:
    """What an integration's NetSuite module boils down to."""

    def __init__(self, http: httpx.AsyncClient, account_url: str, client_id: str, client_secret: str) -> None:
        self.http = http
        self.url = account_url
        self.form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
        self.token: str | None = None

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for _ in range(2):
            if self.token is None:
                reply = await self.http.post(f"{self.url}{REST}/auth/oauth2/v1/token", data=self.form)
                reply.raise_for_status()
                self.token = reply.json()["access_token"]
            headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
            response = await self.http.request(method, f"{self.url}{path}", headers=headers, **kwargs)
            if response.status_code != 401:
                if response.status_code >= 400:
                    codes = [d["o:errorCode"] for d in response.json()["o:errorDetails"]]
                    raise RuntimeError(f"{method} {path}: {response.status_code} {codes}")
                return response
            self.token = None
        raise RuntimeError("credentials refused")

    @staticmethod
    def _created(response: httpx.Response) -> str:
        # 204 No Content: the new record's internal id is the Location's last segment.
        return response.headers["Location"].rstrip("/").rpartition("/")[2]

    async def upsert(self, record_type: str, external_id: str, body: dict[str, Any]) -> str:
        return self._created(await self._call("PUT", f"{REST}/record/v1/{record_type}/eid:{external_id}", json=body))

    async def create(self, record_type: str, body: dict[str, Any]) -> str:
        return self._created(await self._call("POST", f"{REST}/record/v1/{record_type}", json=body))

    async def transform(self, source: str, internal_id: str, target: str, body: dict[str, Any] | None = None) -> str:
        path = f"{REST}/record/v1/{source}/{internal_id}/!transform/{target}"
        return self._created(await self._call("POST", path, json=body or {}))

    async def get(self, record_type: str, ref: str) -> dict[str, Any]:
        response = await self._call("GET", f"{REST}/record/v1/{record_type}/{ref}?expandSubResources=true")
        return dict(response.json())

    async def suiteql(self, q: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = (
                await self._call(
                    "POST",
                    f"{REST}/query/v1/suiteql",
                    params={"limit": 2, "offset": offset},
                    headers={"Prefer": "transient"},
                    json={"q": q},
                )
            ).json()
            rows.extend(page["items"])
            if not page["hasMore"]:
                return rows
            offset += page["count"]


async def serving(erp: ErpMock, story: Callable[[NetSuite], Any]) -> Any:
    server = MockServer(erp.system, erp.asgi_app())
    await server.start()
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            creds = erp.credentials
            return await asyncio.wait_for(
                story(NetSuite(http, server.base_url, creds.client_id, creds.client_secret)), timeout=20
            )
    finally:
        await server.stop()


@pytest.fixture
def erp(context: MockContext, population: Population) -> ErpMock:
    mock = ErpMock(context, tax_rate=0.05)
    mock.seed(population, {c.number: f"001{c.number}" for c in population.customers})
    return mock


def test_order_to_cash_and_return_to_refund(erp: ErpMock, population: Population) -> None:
    sku, price = population.products[1].sku, population.products[1].price
    customer = f"001{population.customers[0].number}"

    async def story(ns: NetSuite) -> dict[str, Any]:
        order = await ns.upsert(
            "salesOrder",
            "801000000000001",
            {
                "entity": {"externalId": customer},
                "tranDate": "2026-11-27",
                "item": {"items": [{"item": {"externalId": sku}, "quantity": 3, "rate": price}]},
            },
        )
        assert (await ns.get("salesOrder", "eid:801000000000001"))["id"] == order
        await ns.transform("salesOrder", order, "itemFulfillment")
        invoice = await ns.transform("salesOrder", order, "invoice")
        found = await ns.suiteql("SELECT id, tranid FROM transaction WHERE createdfrom = " + order + " ORDER BY id")
        assert [row["id"] for row in found][-1] == invoice
        rma = await ns.transform(
            "salesOrder", order, "returnAuthorization", {"item": {"items": [{"orderLine": 1, "quantity": 2}]}}
        )
        await ns.transform(
            "returnAuthorization",
            rma,
            "itemReceipt",
            {"item": {"items": [{"orderLine": 1, "quantity": 2, "custcol_disposition": "dispose"}]}},
        )
        memo = await ns.transform("returnAuthorization", rma, "creditMemo")
        shown_memo = await ns.get("creditMemo", memo)
        refund = await ns.create(
            "customerRefund",
            {
                "customer": {"externalId": customer},
                "apply": {"items": [{"doc": {"id": memo}, "amount": shown_memo["total"]}]},
            },
        )
        return {
            "order": await ns.get("salesOrder", order),
            "invoice": await ns.get("invoice", invoice),
            "memo": shown_memo,
            "refund": await ns.get("customerRefund", refund),
        }

    seen = asyncio.run(serving(erp, story))
    assert seen["order"]["status"]["refName"] == "Billed"
    assert seen["invoice"]["total"] == pytest.approx(round(3 * price * 1.05, 2), abs=0.011)
    assert seen["memo"]["total"] == pytest.approx(round(2 * price * 1.05, 2), abs=0.011)
    assert seen["refund"]["total"] == seen["memo"]["total"]
    stock = erp.state.bin(erp.state.item_by_sku(sku).id, erp.state.location_named("WH-EAST").id)
    assert (stock.on_hand, stock.written_off) == (stock.opening - 3, 2), "disposed returns are not restocked"


@pytest.mark.parametrize("kind", ["reset", "commit_then_fail"])
def test_dropped_connections_reach_the_client_as_transport_errors(
    erp: ErpMock, population: Population, kind: str
) -> None:
    body = {
        "entity": {"externalId": f"001{population.customers[0].number}"},
        "item": {"items": [{"item": {"externalId": population.products[0].sku}, "quantity": 1}]},
    }

    async def story(ns: NetSuite) -> type[BaseException] | None:
        await ns.get("inventoryItem", f"eid:{population.products[0].sku}")  # signs in before the incident
        erp.incidents.begin(kind)  # type: ignore[arg-type]
        try:
            await ns.upsert("salesOrder", "801-dropped", body)
        except httpx.TransportError as error:
            return type(error)
        finally:
            erp.incidents.end()
        return None

    assert asyncio.run(serving(erp, story)) is not None, "the client saw an answer"
    assert len(erp.state.sales_orders) == (1 if kind == "commit_then_fail" else 0)
