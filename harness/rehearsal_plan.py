"""A dry run: the scenario's workload and fault schedule, computed in virtual time with nothing served.

Same scenario and seed give the same plan, event for event; the fingerprint lets a person (or a CI
job) check that two machines would rehearse the same day without running either.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx

from harness.history import FaultWindow, History
from harness.recorder import Recorder
from harness.stage import build_stage
from scenarios import Scenario


@dataclass(frozen=True, slots=True)
class Plan:
    scenario: str
    seed: int
    duration: float
    events: Counter[str]
    orders_per_hour: list[int]
    faults: list[FaultWindow]
    fingerprint: str


def plan(scenario: Scenario, seed: int) -> Plan:
    with tempfile.TemporaryDirectory(prefix="rehearse-plan-") as folder:
        path = Path(folder) / "plan.sqlite"
        recorder = Recorder(path)

        async def drive() -> None:
            async with httpx.AsyncClient() as client:
                stage = build_stage(scenario, seed=seed, speed=None, recorder=recorder, client=client)
                stage.open_trading()
                await stage.world.run_until(scenario.duration)
                await stage.world.close()

        asyncio.run(drive())
        recorder.close()
        with History(path) as history:
            events = list(history.events())
            faults = history.faults()
    digest = hashlib.sha256()
    for fault in faults:
        digest.update(f"fault|{fault.target}|{fault.kind}|{fault.start}|{fault.end}|{fault.params}\n".encode())
    for event in events:
        digest.update(
            f"{event.sim_time:.6f}|{event.system}|{event.kind}|{event.business_key}|{event.payload}\n".encode()
        )
    hours = max(1, math.ceil(scenario.duration / 3600))
    per_hour = [0] * hours
    for event in events:
        if event.kind == "order.placed":
            per_hour[min(int(event.sim_time // 3600), hours - 1)] += 1
    return Plan(
        scenario=scenario.name,
        seed=seed,
        duration=scenario.duration,
        events=Counter(f"{e.system}: {e.kind}" for e in events),
        orders_per_hour=per_hour,
        faults=faults,
        fingerprint=digest.hexdigest()[:16],
    )
