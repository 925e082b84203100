"""Same scenario and seed: the same workload and the same outbox schedule, event for event."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scenarios
from harness.history import History
from harness.recorder import Recorder
from harness.stage import build_stage


def schedule(tmp_path: Path, name: str, seed: int, overrides: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
    """Drive a scenario's stage in virtual time against an always-200 receiver; return its events."""
    scenario = scenarios.load("smoke-duplicates", overrides)
    path = tmp_path / f"{name}.sqlite"
    recorder = Recorder(path)

    async def drive() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(200))) as client:
            stage = build_stage(scenario, seed=seed, speed=None, recorder=recorder, client=client)
            for mock in stage.mocks:
                stage.outbox.set_receiver(mock.system, f"http://sut.test/webhooks/{mock.system}")
            stage.open_trading()
            await stage.world.run_until(scenario.duration + 600)
            await stage.world.close()

    asyncio.run(drive())
    recorder.close()
    with History(path) as history:
        events = [(e.sim_time, e.system, e.kind, e.business_key, json.dumps(e.payload)) for e in history.events()]
        deliveries = [(x.sim_time, x.correlation_id, x.request_body) for x in history.exchanges(direction="mock->sut")]
    return [*events, *deliveries]


def test_same_seed_same_schedule_event_for_event(tmp_path: Path) -> None:
    first = schedule(tmp_path, "a", 42)
    second = schedule(tmp_path, "b", 42)
    kinds = {row[2] for row in first if len(row) == 5}
    assert {"order.placed", "order.activated", "outbox.published"} <= kinds
    duplicated = [
        row for row in first if len(row) == 5 and row[2] == "outbox.published" and len(json.loads(row[4])["copies"]) > 1
    ]
    assert duplicated, "the duplicate fault should have planned extra copies"
    assert first == second


def test_a_different_seed_gives_a_different_schedule(tmp_path: Path) -> None:
    assert schedule(tmp_path, "a", 42) != schedule(tmp_path, "b", 43)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(min_value=0, max_value=2**31),
    orders=st.integers(min_value=0, max_value=15),
    probability=st.sampled_from([0.0, 0.3, 1.0]),
)
def test_any_scenario_replays_identically(tmp_path: Path, seed: int, orders: int, probability: float) -> None:
    overrides = (f"workload.orders.count={orders}", f"faults.0.params.probability={probability}", "duration=10m")
    run = uuid.uuid4().hex
    assert schedule(tmp_path, f"{run}-a", seed, overrides) == schedule(tmp_path, f"{run}-b", seed, overrides)
