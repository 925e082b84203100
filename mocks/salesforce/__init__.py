"""Mock Salesforce: the org a storefront writes orders into and the SUT reads them from."""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.types import ASGIApp

from harness.population import Population
from mocks.base import Mock, MockContext
from mocks.salesforce.api import Credentials, build_app
from mocks.salesforce.behaviour import CartLine, Commerce, CommerceTiming, ReturnedLine, ServiceDesk
from mocks.salesforce.events import RETRY_SCHEDULE, SYSTEM, ChangeEventStream
from mocks.salesforce.state import SalesforceState

__all__ = ["CREDENTIALS", "CartLine", "ReturnedLine", "SalesforceMock"]

CREDENTIALS = Credentials(
    client_id="rehearse-salesforce-client",
    client_secret="rehearse-salesforce-secret",
    username="integration@rehearse.example",
    password="rehearse-password",
)
"""Fixed, documented credentials: a mock guards nothing, and a SUT started by hand must know them."""


class SalesforceMock(Mock):
    system = SYSTEM
    serves_https: ClassVar[bool] = True
    """Served over HTTPS with the run's CA (plus a plain-HTTP twin): real Salesforce clients only speak https."""

    def __init__(
        self,
        context: MockContext,
        *,
        session_lifetime: float = 2 * 3600,
        api_limit: int = 1_000_000,
        timing: CommerceTiming = CommerceTiming(),
    ) -> None:
        super().__init__(context)
        world = context.world
        self.state = SalesforceState(lambda: world.clock.datetime_at(world.env.now), api_limit=api_limit)
        self.session_lifetime = session_lifetime
        self.credentials = CREDENTIALS
        self.changes = ChangeEventStream(world.rng("salesforce.events"), self.state.integration_user_id)
        self.commerce = Commerce(context, self.state, self.changes, timing)
        self.service = ServiceDesk(context, self.state, self.changes, timing)
        self.account_ids: dict[str, str] = {}
        self.price_entries: dict[str, tuple[str, float]] = {}
        self.pricebook_id = ""
        context.outbox.open_channel(SYSTEM, RETRY_SCHEDULE)

    def seed(self, population: Population) -> None:
        """Load the catalogue and the customers, as a data migration would have."""
        pricebook = self.state.create("Pricebook2", {"Name": "Standard Price Book"})
        self.pricebook_id = pricebook["Id"]
        for product in population.products:
            row = self.state.create(
                "Product2",
                {
                    "Name": product.name,
                    "ProductCode": product.sku,
                    "SKU__c": product.sku,
                    "IsActive": True,
                    "Weight_oz__c": product.weight_oz,
                    "Available_Quantity__c": float(sum(product.stock.values())),
                },
            )
            entry = self.state.create(
                "PricebookEntry",
                {
                    "Pricebook2Id": pricebook["Id"],
                    "Product2Id": row["Id"],
                    "UnitPrice": product.price,
                    "IsActive": True,
                },
            )
            self.price_entries[product.sku] = (entry["Id"], product.price)
        for customer in population.customers:
            account = self.state.create(
                "Account",
                {
                    "Name": customer.name,
                    "AccountNumber": customer.number,
                    "Customer_Number__c": customer.number,
                    "PersonEmail": customer.email,
                    "Phone": customer.phone,
                    "ShippingStreet": customer.street,
                    "ShippingCity": customer.city,
                    "ShippingState": customer.state,
                    "ShippingPostalCode": customer.postal_code,
                    "ShippingCountry": customer.country,
                },
            )
            self.account_ids[customer.number] = account["Id"]

    def cart_line(self, sku: str, quantity: int) -> CartLine:
        entry_id, price = self.price_entries[sku]
        return CartLine(entry_id, quantity, price)

    def change_price(self, sku: str, price: float) -> None:
        """A merchandiser edits the product's standard price: carts from now on pay ``price``."""
        entry_id, old = self.price_entries[sku]
        self.state.update("PricebookEntry", entry_id, {"UnitPrice": price})
        self.price_entries[sku] = (entry_id, price)
        self.context.record(SYSTEM, "pricebook.changed", sku, {"from": old, "to": price})

    def contend_for_locks(self, rate: float) -> None:
        """Fault hook: this share of writes (0 to 1) fails with ``UNABLE_TO_LOCK_ROW`` until set back to 0,
        drawn from the seed's own stream so a rerun refuses the same writes."""
        self.state.contend_for_locks(rate, self.context.world.rng("salesforce.locks"))

    def asgi_app(self) -> ASGIApp:
        return build_app(
            self.context.world,
            self.state,
            self.credentials,
            session_lifetime=self.session_lifetime,
            changes=self.changes,
        )

    def sut_environment(self, base_url: str) -> dict[str, str]:
        return {
            "REHEARSE_SALESFORCE_URL": base_url,
            "REHEARSE_SALESFORCE_CLIENT_ID": self.credentials.client_id,
            "REHEARSE_SALESFORCE_CLIENT_SECRET": self.credentials.client_secret,
            "REHEARSE_SALESFORCE_USERNAME": self.credentials.username,
            "REHEARSE_SALESFORCE_PASSWORD": self.credentials.password,
        }

    def snapshot(self) -> dict[str, Any]:
        return self.state.snapshot()
