"""W2 in the reference: a poll writes the ERP's availability into Salesforce, only where it differs."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from integrations.reference.availability import Availability
from integrations.reference.erp import Erp
from integrations.reference.retrying import Failure
from integrations.reference.salesforce import Salesforce

URL = "http://systems.test"
PRODUCTS = {"SKU-1": "01t000000000001AAA", "SKU-2": "01t000000000002AAA", "SKU-3": "01t000000000003AAA"}


class Systems:
    """The ERP's SuiteQL answer, paged as asked, and Salesforce's products and composite updates."""

    def __init__(self) -> None:
        self.rows = [("SKU-1", "WH-EAST", 4.0), ("SKU-1", "WH-WEST", 3.0), ("SKU-2", "WH-EAST", 0.0)]
        self.shown: dict[str, float] = {"SKU-1": 20.0, "SKU-2": 0.0, "SKU-3": 5.0}
        self.product_queries = 0
        self.updates: list[list[dict[str, Any]]] = []
        self.refuse_updates = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/token"):
            body = {"access_token": "t", "instance_url": URL, "token_type": "Bearer", "expires_in": 3600}
            return httpx.Response(200, json=body)
        if path == "/services/rest/query/v1/suiteql":
            assert request.headers["prefer"] == "transient"
            offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
            page = self.rows[offset : offset + limit]
            items = [{"links": [], "sku": s, "quantityavailable": q} for s, _, q in page]
            return httpx.Response(200, json={"items": items, "hasMore": offset + limit < len(self.rows)})
        if path.endswith("/query"):
            self.product_queries += 1
            records = [
                {"attributes": {"type": "Product2"}, "Id": PRODUCTS[sku], "SKU__c": sku, "Available_Quantity__c": q}
                for sku, q in self.shown.items()
            ]
            return httpx.Response(200, json={"totalSize": len(records), "done": True, "records": records})
        if path.endswith("/composite/sobjects"):
            if self.refuse_updates:
                return httpx.Response(400, json=[{"errorCode": "INVALID_FIELD", "message": "no"}])
            records = json.loads(request.content)["records"]
            self.updates.append(records)
            sku_of = {v: k for k, v in PRODUCTS.items()}
            for record in records:
                self.shown[sku_of[record["id"]]] = record["Available_Quantity__c"]
            return httpx.Response(200, json=[{"id": r["id"], "success": True, "errors": []} for r in records])
        return httpx.Response(404, json={"detail": f"no fake for {path}"})


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_a_poll_writes_only_the_products_whose_availability_changed() -> None:
    systems = Systems()
    async with httpx.AsyncClient(transport=httpx.MockTransport(systems.handle)) as http:
        salesforce = Salesforce(http, login_url=URL, client_id="c", client_secret="s")
        erp = Erp(http, url=URL, client_id="c", client_secret="s")
        w2 = Availability(salesforce, erp, interval=0)

        assert await w2.sync() == 1
        assert systems.updates == [
            [{"attributes": {"type": "Product2"}, "id": PRODUCTS["SKU-1"], "Available_Quantity__c": 7.0}]
        ], "SKU-1 summed over both locations; SKU-2 unchanged; SKU-3 unknown to the ERP, left alone"
        assert await w2.sync() == 0, "nothing changed, nothing written"

        systems.rows[2] = ("SKU-2", "WH-EAST", 12.0)  # a receipt landed
        systems.refuse_updates = True
        with pytest.raises(Failure):
            await w2.sync()
        systems.refuse_updates = False
        assert await w2.sync() == 1
        assert systems.shown["SKU-2"] == 12.0
        assert systems.product_queries == 2, "after a failed write Salesforce is read again"
