"""Schemathesis-generated requests against the WMS's and the carrier's OpenAPI: never a 500.

Driven through plain hypothesis (``as_strategy``) rather than schemathesis's pytest plugin, which
does not load under this pytest version.
"""

from __future__ import annotations

import base64

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok
from shipping_rig import shipping_pair
from starlette.types import ASGIApp

from harness.population import generate
from harness.recorder import Recorder
from mocks.carrier import API_KEY
from mocks.wms import CHANNEL_HEADER, TOKEN

AUTH = {
    "wms": {"Authorization": f"Bearer {TOKEN}", CHANNEL_HEADER: "100"},
    "carrier": {"Authorization": "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()},
}


def fuzz(app: ASGIApp, headers: dict[str, str]) -> int:
    """Every operation, 15 generated cases each; returns how many requests were made."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    made = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()

        @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case: schemathesis.Case) -> None:
            nonlocal made
            response = case.call(headers=headers)
            made += 1
            assert response.status_code < 500, (case.method, case.formatted_path, response.text)

        call()
    return made


@pytest.mark.parametrize("system", ["wms", "carrier"])
def test_generated_requests_never_get_a_500(system: str, recorder: Recorder, outbox_client: httpx.AsyncClient) -> None:
    population = generate(1, customers=2, products=3, locations=("WH-EAST",))
    wms, carrier = shipping_pair(recorder, outbox_client, population)
    app = wms.asgi_app() if system == "wms" else carrier.asgi_app()
    assert fuzz(app, AUTH[system]) > 50
