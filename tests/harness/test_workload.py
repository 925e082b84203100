"""Workload generators: arrival profiles, hot SKUs, and the dry-run plan they add up to."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scenarios
from harness.rehearsal_plan import plan
from harness.workload.orders import arrival_times
from scenarios import OrderWorkload, RateProfile

SURGE = RateProfile(per_hour=120, multiplier=10, start=3600, ramp=900, hold=3600, decay=1800)


@given(st.integers(min_value=0, max_value=500), st.floats(min_value=60, max_value=86400))
def test_a_count_is_exact_and_inside_the_day(count: int, duration: float) -> None:
    times = arrival_times(OrderWorkload(count=count), duration, random.Random(1))
    assert len(times) == count
    assert times == sorted(times) and all(0 <= t <= duration for t in times)


def test_a_surge_multiplies_the_rate_where_the_profile_says() -> None:
    assert SURGE.factor(0) == 1 and SURGE.factor(3600 + 450) == 5.5 and SURGE.factor(3600 + 900 + 10) == 10
    assert SURGE.factor(3600 + 900 + 3600 + 900) == 5.5 and SURGE.factor(5 * 3600) == 1
    times = arrival_times(OrderWorkload(rate=SURGE), 6 * 3600, random.Random(7))
    quiet = sum(1 for t in times if t < 3600)
    peak = sum(1 for t in times if 4500 <= t < 8100)
    assert 80 < quiet < 170, "about 120 orders in the first, quiet hour"
    assert 1000 < peak < 1400, "about 1,200 in the peak hour"


def test_arrivals_replay_from_the_seed() -> None:
    spec = OrderWorkload(rate=SURGE)
    assert arrival_times(spec, 7200, random.Random(3)) == arrival_times(spec, 7200, random.Random(3))
    assert arrival_times(spec, 7200, random.Random(3)) != arrival_times(spec, 7200, random.Random(4))


def test_hot_share_concentrates_lines_on_the_hot_skus() -> None:
    scenario = scenarios.load(
        "smoke",
        [
            "population.hot_products=2",
            "workload.orders.hot_share=0.8",
            "workload.orders.count=300",
            "workload.orders.lines=[1, 1]",
        ],
    )
    planned = plan(scenario, scenario.seed)
    assert planned.events["salesforce: order.placed"] == 300


def test_a_dry_run_is_the_same_plan_for_the_same_seed_and_another_for_another() -> None:
    scenario = scenarios.load("smoke-duplicates")
    first, second, other = plan(scenario, 1), plan(scenario, 1), plan(scenario, 2)
    assert first.fingerprint == second.fingerprint
    assert first.fingerprint != other.fingerprint
    assert first.events["salesforce: order.placed"] == 50
    assert [(f.kind, f.target) for f in first.faults] == [("duplicate", "salesforce.webhooks")]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=2**31),
    per_hour=st.integers(min_value=1, max_value=400),
    multiplier=st.sampled_from([1, 3, 10]),
    probability=st.sampled_from([0.0, 0.5, 1.0]),
    kind=st.sampled_from(["duplicate", "delay", "reorder", "drop"]),
)
def test_any_scenario_plans_identically_twice(
    seed: int, per_hour: int, multiplier: int, probability: float, kind: str
) -> None:
    scenario = scenarios.load(
        "smoke",
        [
            "duration=1h",
            f"workload.orders={{per_hour: {per_hour}, surge: {{multiplier: {multiplier}, start: 10m, ramp: 5m,"
            " hold: 10m, decay: 5m}}",
            f"faults=[{{target: salesforce.webhooks, kind: {kind}, params: {{probability: {probability}}}}}]",
        ],
    )
    assert plan(scenario, seed) == plan(scenario, seed)
