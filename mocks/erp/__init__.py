"""Mock ERP: a NetSuite-flavoured system of record for customers, items and sales orders."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp

from harness.population import Population
from mocks.base import Mock, MockContext
from mocks.erp.api import SYSTEM, Credentials, build_app
from mocks.erp.state import ErpState

__all__ = ["CREDENTIALS", "ErpMock"]

CREDENTIALS = Credentials(client_id="rehearse-erp-client", client_secret="rehearse-erp-secret")
"""Fixed, documented credentials, as for mock Salesforce."""


class ErpMock(Mock):
    system = SYSTEM

    def __init__(self, context: MockContext, *, token_lifetime: float = 3600) -> None:
        super().__init__(context)
        world = context.world
        self.state = ErpState(lambda: world.clock.datetime_at(world.env.now))
        self.token_lifetime = token_lifetime
        self.credentials = CREDENTIALS

    def seed(self, population: Population, account_ids: dict[str, str]) -> None:
        """Master data as a migration left it: customers keyed by their Salesforce account id."""
        for location in population.locations:
            self.state.add_location(location)
        for product in population.products:
            self.state.add_item(product.sku, product.name, basePrice=product.price)
        for customer in population.customers:
            self.state.add_customer(customer.name, account_ids[customer.number], email=customer.email)

    def asgi_app(self) -> ASGIApp:
        return build_app(self.context, self.state, self.credentials, token_lifetime=self.token_lifetime)

    def sut_environment(self, base_url: str) -> dict[str, str]:
        return {
            "REHEARSE_ERP_URL": base_url,
            "REHEARSE_ERP_CLIENT_ID": self.credentials.client_id,
            "REHEARSE_ERP_CLIENT_SECRET": self.credentials.client_secret,
        }

    def snapshot(self) -> dict[str, Any]:
        return self.state.snapshot()
