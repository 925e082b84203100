"""The mocks built as harness/runner.py builds them, in virtual time, driven over in-process HTTP.

Every request goes through ``httpx.AsyncClient`` over ``httpx.ASGITransport`` with the transport's
default ``raise_app_exceptions=True``: an exception escaping a mock (its 500 path) fails the test
instead of hiding behind a status code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp

from harness.clock import Clock
from harness.outbox import Outbox
from harness.population import Population, generate
from harness.recorder import Recorder
from harness.world import World
from mocks.base import MockContext
from mocks.erp import ErpMock
from mocks.salesforce import SalesforceMock

SEED = 20261127
BASE_URL = "http://127.0.0.1:8000"


class Api:
    """A synchronous face over one mock's ASGI app: one event loop per request, nothing shared."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        return asyncio.run(self._send(method, path, sent, kwargs))

    async def _send(self, method: str, path: str, headers: dict[str, str], kwargs: dict[str, Any]) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            return await client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)


@pytest.fixture(scope="session")
def base_url() -> str:
    return BASE_URL


@pytest.fixture(scope="session")
def api_for() -> Callable[[ASGIApp], Api]:
    """Wraps any mock's ASGI app (for tests that build a mock with non-default knobs)."""
    return Api


@pytest.fixture(scope="session")
def population() -> Population:
    return generate(SEED, customers=5, products=5)


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[Recorder]:
    sink = Recorder(tmp_path / "h.sqlite")
    yield sink
    sink.close()


@pytest.fixture(scope="session")
def outbox_client() -> Iterator[httpx.AsyncClient]:
    """The outbox's HTTP client. No receiver is ever set here, so it never sends; building one
    costs ~50 ms (its TLS context), so the session shares it."""
    client = httpx.AsyncClient()
    yield client
    asyncio.run(client.aclose())


@pytest.fixture
def new_context(recorder: Recorder, outbox_client: httpx.AsyncClient) -> Callable[[], MockContext]:
    """Builds a fresh virtual-time World with its outbox, as the runner does, sharing one recorder."""

    def build() -> MockContext:
        world = World(Clock(None), SEED)
        return MockContext(world, Outbox(world, recorder, outbox_client), recorder)

    return build


@pytest.fixture
def context(new_context: Callable[[], MockContext]) -> MockContext:
    return new_context()


@pytest.fixture
def world(context: MockContext) -> World:
    return context.world


@pytest.fixture
def salesforce(context: MockContext, population: Population) -> SalesforceMock:
    mock = SalesforceMock(context)
    mock.seed(population)
    return mock


@pytest.fixture
def sf(salesforce: SalesforceMock) -> Api:
    return Api(salesforce.asgi_app())


@pytest.fixture
def sf_token(sf: Api, salesforce: SalesforceMock) -> str:
    creds = salesforce.credentials
    reply = sf.post(
        "/services/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": creds.client_id, "client_secret": creds.client_secret},
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


@pytest.fixture
def place_order(
    salesforce: SalesforceMock, world: World, population: Population
) -> Callable[[Sequence[tuple[int, int]]], str]:
    """Checks a cart out through the storefront (Draft, then Activated) and returns the order id.

    The cart is ``(product index, quantity)`` pairs; the customer is the first one.
    """

    def place(cart: Sequence[tuple[int, int]] = ((0, 2), (1, 1))) -> str:
        account = salesforce.account_ids[population.customers[0].number]
        lines = [salesforce.cart_line(population.products[i].sku, qty) for i, qty in cart]
        process = world.env.process(salesforce.commerce.checkout(account, salesforce.pricebook_id, lines))
        world.env.run()
        assert process.ok
        return str(process.value)

    return place


def build_erp(context: MockContext, population: Population) -> ErpMock:
    """An ERP seeded as the runner seeds it: customers keyed by their Salesforce account ids."""
    salesforce = SalesforceMock(context)
    salesforce.seed(population)
    mock = ErpMock(context)
    mock.seed(population, salesforce.account_ids)
    return mock


@pytest.fixture
def new_erp(new_context: Callable[[], MockContext], population: Population) -> Callable[[], tuple[ErpMock, Api, str]]:
    """Builds a fresh seeded ERP in a fresh World; returns the mock, its API and a valid token."""

    def build() -> tuple[ErpMock, Api, str]:
        mock = build_erp(new_context(), population)
        api = Api(mock.asgi_app())
        reply = api.post(
            "/services/rest/auth/oauth2/v1/token",
            data={
                "grant_type": "client_credentials",
                "client_id": mock.credentials.client_id,
                "client_secret": mock.credentials.client_secret,
            },
        )
        assert reply.status_code == 200, reply.text
        return mock, api, str(reply.json()["access_token"])

    return build


@pytest.fixture
def erp_rig(new_erp: Callable[[], tuple[ErpMock, Api, str]]) -> tuple[ErpMock, Api, str]:
    return new_erp()


@pytest.fixture
def erp(erp_rig: tuple[ErpMock, Api, str]) -> ErpMock:
    return erp_rig[0]


@pytest.fixture
def ns(erp_rig: tuple[ErpMock, Api, str]) -> Api:
    return erp_rig[1]


@pytest.fixture
def ns_token(erp_rig: tuple[ErpMock, Api, str]) -> str:
    return erp_rig[2]
