"""The World: SimPy driven from the asyncio loop, in step with the wall clock."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Generator
from typing import Any

import simpy

from harness.clock import Clock
from harness.world import World


def test_no_drift_over_ten_simulated_minutes_at_speed_600() -> None:
    """600 events a simulated second apart: lateness stays small and does not grow with the run."""
    world = World(Clock(600), seed=1)
    lateness: list[float] = []

    def ticker() -> Generator[simpy.Event, Any, None]:
        while world.env.now < 600:
            yield world.env.timeout(1)
            lateness.append(time.monotonic() - world.clock.wall_at(world.env.now))

    world.process(ticker())
    asyncio.run(world.run_until(600))
    assert len(lateness) == 600
    assert min(lateness) > -0.002, "an event ran before its wall time"
    assert statistics.median(lateness) < 0.003
    assert max(lateness) < 0.025
    first, last = statistics.mean(lateness[:60]), statistics.mean(lateness[-60:])
    assert last - first < 0.002, f"lateness grew from {first * 1000:.2f} ms to {last * 1000:.2f} ms"


def test_a_handler_between_events_sees_the_wall_clock_present_and_schedules_from_it() -> None:
    world = World(Clock(100), seed=1)
    seen: dict[str, float] = {}

    def far_event() -> Generator[simpy.Event, Any, None]:
        yield world.env.timeout(100)

    async def handler() -> None:
        await asyncio.sleep(0.3)
        seen["now"] = world.sync()
        seen["wall_now"] = world.clock.now()
        world.call_later(10, lambda: seen.update(fired=world.env.now, fired_wall=time.monotonic()))

    async def main() -> None:
        world.process(far_event())
        task = asyncio.ensure_future(handler())
        await world.run_until(100)
        await task

    asyncio.run(main())
    assert abs(seen["now"] - seen["wall_now"]) < 0.5
    assert 29 < seen["now"] < 36
    assert seen["fired"] == seen["now"] + 10
    assert abs(seen["fired_wall"] - world.clock.wall_at(seen["fired"])) < 0.02


def test_virtual_time_runs_without_the_wall_clock() -> None:
    world = World(Clock(None), seed=1)
    count = 0

    def busy() -> Generator[simpy.Event, Any, None]:
        nonlocal count
        for _ in range(20_000):
            yield world.env.timeout(3600)
            count += 1

    world.process(busy())
    started = time.monotonic()
    asyncio.run(world.run_until(20_000 * 3600))
    assert count == 20_000
    assert time.monotonic() - started < 30, "20,000 simulated hours should not take wall hours"


def test_virtual_time_stands_still_while_the_world_waits_on_io() -> None:
    world = World(Clock(None), seed=1)
    seen: list[tuple[float, Any]] = []

    async def slow_io() -> str:
        await asyncio.sleep(0.05)
        return "answer"

    def story() -> Generator[simpy.Event, Any, None]:
        yield world.env.timeout(5)
        result = yield world.await_io(slow_io)
        seen.append((world.env.now, result.value))

    def clockwork() -> Generator[simpy.Event, Any, None]:
        for _ in range(100):
            yield world.env.timeout(1)

    world.process(story())
    world.process(clockwork())
    asyncio.run(world.run_until(1000))
    assert seen == [(5, "answer")]


def test_io_failures_come_back_as_results_not_crashes() -> None:
    world = World(Clock(None), seed=1)
    outcome: list[Any] = []

    async def refused() -> None:
        raise ConnectionRefusedError("no one home")

    def story() -> Generator[simpy.Event, Any, None]:
        result = yield world.await_io(refused)
        outcome.append(result)

    world.process(story())
    asyncio.run(world.run_until(10))
    assert not outcome[0].ok
    assert isinstance(outcome[0].error, ConnectionRefusedError)


def test_random_streams_are_per_purpose_and_reproducible() -> None:
    a, b = World(Clock(None), seed=7), World(Clock(None), seed=7)
    a.rng("faults").random()
    assert a.rng("orders").random() == b.rng("orders").random()
    assert World(Clock(None), seed=8).rng("orders").random() != World(Clock(None), seed=7).rng("orders").random()
