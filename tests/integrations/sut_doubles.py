"""Stand-ins for what surrounds an integration in a rehearsal: Salesforce and the ERP (just enough of
them for W1, in memory), a transport that loses answers on request, and ways to run the SUT.

The real mocks live in ``mocks/``; these are deliberately small so that integration tests do not
depend on them, and they answer with the vendors' shapes that the reference relies on.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from integrations.reference.app import STATE_FILE
from integrations.reference.settings import Settings

ORDER_ID = "8015g00000AbCdEAAV"
OTHER_ORDER_ID = "8015g00000XyZzYAAV"
ACCOUNT_ID = "0015g00000AcMeCAAV"
SALESFORCE_CLIENT = ("sf-client", "sf-secret")
ERP_CLIENT = ("erp-client", "erp-secret")
DEFAULT_LINES = (("SKU-RED-M", 2, 19.99), ("SKU-BLUE-L", 1, 45.0))
SALESFORCE_SESSION_EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    headers: dict[str, str]


class FakeSystems:
    """Salesforce and NetSuite behind one ASGI app: their paths do not overlap, so one base URL serves both."""

    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.order_items: dict[str, list[dict[str, Any]]] = {}
        self.sales_orders: dict[str, dict[str, Any]] = {}
        self.exchanges: list[Exchange] = []
        self.token_requests: list[str] = []
        self._sessions: set[str] = set()
        self._numbers = itertools.count(1001)
        self.app = self._build_app()

    def add_order(self, order_id: str = ORDER_ID, *, status: str = "Activated") -> None:
        self.orders[order_id] = {
            "attributes": {"type": "Order", "url": f"/services/data/v62.0/sobjects/Order/{order_id}"},
            "Id": order_id,
            "OrderNumber": f"0000{len(self.orders) + 100}",
            "AccountId": ACCOUNT_ID,
            "Status": status,
            "EffectiveDate": "2026-11-27",
            "TotalAmount": 84.98,
            "ERP_Order_Number__c": None,
            "ERP_Status__c": None,
        }
        self.order_items[order_id] = [
            {
                "attributes": {"type": "OrderItem"},
                "Id": f"802{order_id[3:-3]}{n:03d}",
                "Product2Id": f"01t5g00000Prod{n}AAA",
                "Quantity": quantity,
                "UnitPrice": price,
                "TotalPrice": quantity * price,
                "SKU__c": sku,
            }
            for n, (sku, quantity, price) in enumerate(DEFAULT_LINES)
        ]

    def sales_orders_for(self, order_id: str) -> list[dict[str, Any]]:
        """ERP orders keyed to a Salesforce order the way the exactly-once checker keys them."""
        return [
            record
            for record in self.sales_orders.values()
            if (record.get("externalId") or record.get("otherRefNum")) == order_id
        ]

    def calls(self, method: str, path_fragment: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.method == method and path_fragment in e.path]

    def expire_sessions(self) -> None:
        self._sessions.clear()

    def _issue_token(self, request_form: dict[str, list[str]], client: tuple[str, str], system: str) -> str | None:
        given = (request_form.get("client_id", [""])[0], request_form.get("client_secret", [""])[0])
        if request_form.get("grant_type") != ["client_credentials"] or given != client:
            return None
        token = f"{system}-token-{len(self.token_requests)}"
        self.token_requests.append(system)
        self._sessions.add(token)
        return token

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("Authorization", "").removeprefix("Bearer ") in self._sessions

    def _build_app(self) -> FastAPI:
        app = FastAPI()
        sf = "/services/data/v62.0/sobjects/Order"
        erp = "/services/rest/record/v1/salesOrder"

        @app.middleware("http")
        async def record(request: Request, call_next: Callable[[Request], Any]) -> Response:
            self.exchanges.append(Exchange(request.method, request.url.path, dict(request.headers)))
            response: Response = await call_next(request)
            return response

        def salesforce_error(status: int, errors: list[dict[str, Any]]) -> JSONResponse:
            return JSONResponse(errors, status_code=status)

        def netsuite_error(status: int, code: str, detail: str) -> JSONResponse:
            body = {
                "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
                "title": "Bad Request" if status == 400 else "Error",
                "status": status,
                "o:errorDetails": [{"detail": detail, "o:errorCode": code}],
            }
            return JSONResponse(body, status_code=status)

        @app.post("/services/oauth2/token")
        async def salesforce_token(request: Request) -> JSONResponse:
            token = self._issue_token(parse_qs((await request.body()).decode()), SALESFORCE_CLIENT, "salesforce")
            if token is None:
                return JSONResponse(
                    {"error": "invalid_client", "error_description": "invalid client credentials"}, status_code=400
                )
            instance_url = str(request.base_url).rstrip("/")
            return JSONResponse(
                {
                    "access_token": token,
                    "instance_url": instance_url,
                    "id": "https://login.salesforce.com/id/00D5g00000OrgIdEAA/0055g00000IntUsrAAA",
                    "token_type": "Bearer",
                    "issued_at": str(int(time.time() * 1000)),
                    "signature": "c2lnbmF0dXJl",
                }
            )

        @app.post("/services/rest/auth/oauth2/v1/token")
        async def erp_token(request: Request) -> JSONResponse:
            token = self._issue_token(parse_qs((await request.body()).decode()), ERP_CLIENT, "erp")
            if token is None:
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 3600})

        @app.get(sf + "/{order_id}")
        async def read_order(order_id: str, request: Request) -> JSONResponse:
            if not self._authorised(request):
                return salesforce_error(401, SALESFORCE_SESSION_EXPIRED)
            if order_id not in self.orders:
                return salesforce_error(404, [{"message": "not found", "errorCode": "NOT_FOUND", "fields": []}])
            return JSONResponse(self.orders[order_id])

        @app.get(sf + "/{order_id}/OrderItems")
        async def read_order_items(order_id: str, request: Request) -> JSONResponse:
            if not self._authorised(request):
                return salesforce_error(401, SALESFORCE_SESSION_EXPIRED)
            records = self.order_items.get(order_id, [])
            return JSONResponse({"totalSize": len(records), "done": True, "records": records})

        @app.patch(sf + "/{order_id}")
        async def update_order(order_id: str, request: Request) -> Response:
            if not self._authorised(request):
                return salesforce_error(401, SALESFORCE_SESSION_EXPIRED)
            self.orders[order_id].update(await request.json())
            return Response(status_code=204)

        def created(record: dict[str, Any]) -> Response:
            return Response(status_code=204, headers={"Location": f"http://erp.test{erp}/{record['id']}"})

        def new_sales_order(body: dict[str, Any], external_id: str | None) -> dict[str, Any]:
            internal_id = str(next(self._numbers))
            record = {
                **body,
                "id": internal_id,
                "tranId": f"SO{internal_id}",
                "status": {"id": "B", "refName": "Pending Fulfillment"},
                "externalId": external_id,
            }
            self.sales_orders[internal_id] = record
            return record

        @app.put(erp + "/{ref}")
        async def upsert_sales_order(ref: str, request: Request) -> Response:
            if not self._authorised(request):
                return netsuite_error(401, "INVALID_LOGIN", "Invalid login attempt.")
            if not ref.startswith("eid:"):
                return netsuite_error(400, "INVALID_ID", "PUT needs an external id")
            external_id = ref.removeprefix("eid:")
            body = await request.json()
            for record in self.sales_orders.values():
                if record["externalId"] == external_id:
                    record.update(body)
                    return created(record)
            return created(new_sales_order(body, external_id))

        @app.post(erp)
        async def create_sales_order(request: Request) -> Response:
            if not self._authorised(request):
                return netsuite_error(401, "INVALID_LOGIN", "Invalid login attempt.")
            body = await request.json()
            return created(new_sales_order(body, body.pop("externalId", None)))

        @app.get(erp + "/{ref}")
        async def read_sales_order(ref: str, request: Request) -> JSONResponse:
            if not self._authorised(request):
                return netsuite_error(401, "INVALID_LOGIN", "Invalid login attempt.")
            for record in self.sales_orders.values():
                if ref in (record["id"], f"eid:{record['externalId']}"):
                    return JSONResponse(record)
            return netsuite_error(404, "NONEXISTENT_ID", f"no sales order {ref}")

        return app


@dataclass
class Fault:
    """A disturbance for the next ``times`` requests matching ``method`` and ``path_fragment``.

    ``after_commit`` lets the request through first, so its effect happens and only the answer is
    replaced: the classic source of duplicates. ``lose_connection`` replaces the answer with a
    dropped connection instead of ``status``.
    """

    method: str
    path_fragment: str
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    after_commit: bool = False
    lose_connection: bool = False
    times: int = 1


class ServesAnApp(Protocol):
    app: FastAPI


class FaultyTransport(httpx.AsyncBaseTransport):
    """Routes the integration's calls to the fakes in-process, disturbing the ones told to."""

    def __init__(self, systems: ServesAnApp) -> None:
        self._inner = httpx.ASGITransport(app=systems.app)
        self.faults: list[Fault] = []
        self.sent: list[tuple[str, str]] = []

    def sent_count(self, method: str, path_fragment: str) -> int:
        return sum(1 for m, path in self.sent if m == method and path_fragment in path)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        fault = next(
            (f for f in self.faults if f.method == request.method and f.path_fragment in request.url.path), None
        )
        if fault is None:
            return await self._inner.handle_async_request(request)
        fault.times -= 1
        if fault.times == 0:
            self.faults.remove(fault)
        if fault.after_commit:
            await (await self._inner.handle_async_request(request)).aread()
        if fault.lose_connection:
            raise httpx.ReadError("connection reset by peer", request=request)
        return httpx.Response(fault.status, headers=fault.headers, json=fault.body, request=request)


def settings_for(state_dir: Path, *, url: str = "http://systems.test", port: int = 8799) -> Settings:
    return Settings(
        port=port,
        state_dir=state_dir,
        run_id="test-run",
        salesforce_url=url,
        salesforce_client_id=SALESFORCE_CLIENT[0],
        salesforce_client_secret=SALESFORCE_CLIENT[1],
        erp_url=url,
        erp_client_id=ERP_CLIENT[0],
        erp_client_secret=ERP_CLIENT[1],
        availability_poll=None,  # the fakes answer W1 and W3-W5 only; W2 has its own test
    )


def environment_for(settings: Settings) -> dict[str, str]:
    return {
        "REHEARSE_SUT_PORT": str(settings.port),
        "REHEARSE_SUT_STATE_DIR": str(settings.state_dir),
        "REHEARSE_RUN_ID": settings.run_id,
        "REHEARSE_SALESFORCE_URL": settings.salesforce_url,
        "REHEARSE_SALESFORCE_CLIENT_ID": settings.salesforce_client_id,
        "REHEARSE_SALESFORCE_CLIENT_SECRET": settings.salesforce_client_secret,
        "REHEARSE_ERP_URL": settings.erp_url,
        "REHEARSE_ERP_CLIENT_ID": settings.erp_client_id,
        "REHEARSE_ERP_CLIENT_SECRET": settings.erp_client_secret,
    }


def order_event(
    order_id: str = ORDER_ID,
    replay_id: int = 17,
    *,
    status: str | None = "Activated",
    change_type: str = "UPDATE",
    changed_fields: tuple[str, ...] = ("Status", "ActivatedDate", "LastModifiedDate"),
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "ChangeEventHeader": {
            "entityName": "Order",
            "recordIds": [order_id],
            "changeType": change_type,
            "changeOrigin": "com/salesforce/api/rest/62.0",
            "transactionKey": f"00052d2b-{replay_id:04d}",
            "sequenceNumber": 1,
            "commitTimestamp": 1795766400000,
            "commitNumber": 10000000000 + replay_id,
            "commitUser": "0055g00000IntUsrAAA",
            "changedFields": list(changed_fields),
        },
        "LastModifiedDate": "2026-11-27T08:00:00.000Z",
    }
    if status is not None:
        payload["Status"] = status
    return {"schema": "rehearse-OrderChangeEvent-v1", "payload": payload, "event": {"replayId": replay_id}}


def inbox_rows(state_dir: Path) -> list[dict[str, Any]]:
    """The inbox as stored on disk, read with a connection of its own, as after a crash."""
    path = state_dir / STATE_FILE
    if not path.exists():
        return []
    with closing(sqlite3.connect(path)) as connection:
        connection.row_factory = sqlite3.Row
        if not connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'inbox'").fetchone():
            return []
        return [dict(row) for row in connection.execute("SELECT * FROM inbox ORDER BY delivery")]


async def wait_until(condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    """Waits for a condition to hold, checking between loop turns, failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting until {what}")
        await asyncio.sleep(0.01)


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Runs the app's lifespan (its worker included) and gives a client for its HTTP side."""
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sut.test") as client,
    ):
        yield client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def served_on_loopback(app: FastAPI) -> Iterator[str]:
    """Serves an app with uvicorn on a loopback port in a thread, for a SUT running as a process."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake systems did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
