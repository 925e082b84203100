"""The ERP cutover on the stage: two ERP accounts with their own books, the legacy one retired for new
orders at the scenario's instant with its free stock handed over, on the same schedule every time."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

import scenarios
from harness.recorder import Recorder
from harness.rehearsal_plan import plan
from harness.stage import Stage, build_stage
from integrations.reference.erp import AccountRetired, Erp
from mocks.erp import ErpMock

CUTOVER_AT = 3600.0
ORDER_BODY = {"otherRefNum": "ignored", "item": {"items": [{"item": {"externalId": "SKU-00001"}, "quantity": 1}]}}


@asynccontextmanager
async def cutover_stage(tmp_path: Path, *overrides: str) -> AsyncIterator[Stage]:
    recorder = Recorder(tmp_path / "h.sqlite")
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(200))) as client:
        scenario = scenarios.load("erp-cutover", overrides)
        stage = build_stage(scenario, seed=7, speed=None, recorder=recorder, client=client)
        try:
            yield stage
        finally:
            await stage.world.close()
            recorder.close()


def order_body(stage: Stage, customer: int = 0) -> dict[str, Any]:
    account = stage.salesforce.account_ids[stage.population.customers[customer].number]
    return {**ORDER_BODY, "entity": {"externalId": account}}


def erp_client(mock: ErpMock, http: httpx.AsyncClient) -> Erp:
    credentials = mock.credentials
    return Erp(
        http, url=f"http://{mock.system}.test", client_id=credentials.client_id, client_secret=credentials.client_secret
    )


def served(*mocks: ErpMock) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        mounts={f"http://{mock.system}.test": httpx.ASGITransport(app=mock.asgi_app()) for mock in mocks}
    )


def on_hand(mock: ErpMock) -> float:
    return sum(stock.on_hand for stock in mock.state.bins.values())


def test_a_cutover_stage_serves_two_erp_accounts_with_their_own_books(tmp_path: Path) -> None:
    async def check() -> None:
        async with cutover_stage(tmp_path) as stage:
            assert stage.cutover is not None
            legacy, successor = stage.erp, stage.cutover.successor
            assert [m.system for m in stage.mocks] == ["salesforce", "erp", "erp-next", "wms", "carrier"]
            assert successor.state is not legacy.state
            assert set(successor.sut_environment("http://127.0.0.1:1")) == {
                "REHEARSE_ERP_NEXT_URL",
                "REHEARSE_ERP_NEXT_CLIENT_ID",
                "REHEARSE_ERP_NEXT_CLIENT_SECRET",
            }
            # Same master data, no stock until the cutover hands it over.
            assert {i.name for i in successor.state.items.values()} == {i.name for i in legacy.state.items.values()}
            assert len(successor.state.customers) == len(legacy.state.customers)
            assert on_hand(successor) == 0 and on_hand(legacy) > 0

            booked = successor.state.upsert_sales_order("SF-1", order_body(stage))[0]
            assert int(booked.id) > 1_000_000 and booked.tran_id.startswith("SO100")
            assert legacy.state.sales_orders == {}

    asyncio.run(check())


def test_at_the_cutover_the_legacy_refuses_new_orders_and_hands_its_free_stock_over(tmp_path: Path) -> None:
    async def check() -> None:
        async with cutover_stage(tmp_path) as stage:
            assert stage.cutover is not None
            legacy, successor = stage.erp, stage.cutover.successor
            in_flight = legacy.state.upsert_sales_order("SF-BEFORE", order_body(stage))[0]
            total = on_hand(legacy)
            stage.world.process(stage.cutover.run())
            await stage.world.run_until(CUTOVER_AT - 1)
            assert legacy.state.closed_to_new_orders is None
            await stage.world.run_until(CUTOVER_AT + 1)

            assert on_hand(legacy) + on_hand(successor) == total
            assert all(abs(stock.on_hand - stock.committed) < 1e-9 for stock in legacy.state.bins.values())
            assert in_flight.lines[0].committed == 1

            async with served(legacy, successor) as http:
                legacy_api, successor_api = erp_client(legacy, http), erp_client(successor, http)
                with pytest.raises(AccountRetired, match="ERP_RETIRED"):
                    await legacy_api.upsert_sales_order("SF-AFTER", order_body(stage), correlation_id="t")
                # The order booked before the cutover is still the legacy's to update, fulfil and invoice.
                await legacy_api.upsert_sales_order("SF-BEFORE", {"memo": "still here"}, correlation_id="t")
                assert in_flight.memo == "still here"
                await successor_api.upsert_sales_order("SF-AFTER", order_body(stage), correlation_id="t")
            assert "SF-AFTER" not in {o.external_id for o in legacy.state.sales_orders.values()}

    asyncio.run(check())


def test_faults_can_target_the_successor_erp_alone(tmp_path: Path) -> None:
    async def check() -> None:
        outage = "faults=[{target: erp-next, kind: outage, start: 0, end: 1h}]"
        async with cutover_stage(tmp_path, outage) as stage:
            assert stage.cutover is not None
            answers = {}
            for mock in (stage.erp, stage.cutover.successor):
                transport = httpx.ASGITransport(app=stage.served_app(mock))
                async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
                    answers[mock.system] = await http.get("/services/rest/record/v1/salesOrder")
            assert answers["erp-next"].status_code == 503
            assert answers["erp-next"].json()["o:errorDetails"][0]["o:errorCode"] == "SERVICE_UNAVAILABLE"
            assert answers["erp"].status_code == 401, "the legacy account is not disturbed: it asks for a token"

    asyncio.run(check())


def test_a_fault_on_the_successor_erp_needs_a_cutover() -> None:
    with pytest.raises(scenarios.ScenarioError, match=r"faults\[0\]\.target: 'erp-next'.*no 'cutover'"):
        scenarios.load("smoke", ["faults=[{target: erp-next, kind: outage}]"])


def test_same_seed_same_cutover_schedule() -> None:
    scenario = scenarios.load("erp-cutover")
    first, second = plan(scenario, 11), plan(scenario, 11)
    assert first.fingerprint == second.fingerprint
    assert first.events["harness: erp.cutover"] == 1
    earlier = plan(dataclasses.replace(scenario, cutover=dataclasses.replace(scenario.cutover, at=1800.0)), 11)
    assert earlier.fingerprint != first.fingerprint


@pytest.mark.parametrize(
    ("override", "expected"),
    [("cutover.at=3h", "must fall inside the trading day"), ("cutover.to=erp-2", "cutover.to")],
)
def test_a_cutover_outside_the_day_or_to_an_unknown_account_is_refused(override: str, expected: str) -> None:
    with pytest.raises(scenarios.ScenarioError, match=expected):
        scenarios.load("erp-cutover", [override])
