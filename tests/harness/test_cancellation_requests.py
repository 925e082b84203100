"""Customers cancelling activated orders (the cancellations workload): at the scenario's share, timed
from each activation, and the same orders at the same moments in every run of a seed."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scenarios
from harness.recorder import Recorder
from harness.rehearsal_plan import plan
from harness.stage import build_stage
from scenarios import ScenarioError

SCENARIO = "smoke"
"""Fifty orders over thirty simulated minutes, W1 only: nothing but the storefront needs to run."""


def schedule(
    tmp_path: Path, seed: int, share: float, delay: str = "{uniform: [1m, 20m]}"
) -> tuple[list[tuple[float, str]], dict[str, float]]:
    """The requests made in a virtual-time run of the storefront alone, and when each order was activated;
    each request's delay after its activation is checked against the ``1m``-``20m`` bounds."""
    scenario = scenarios.load(
        SCENARIO, [f"workload.cancellations.share={share}", f"workload.cancellations.delay={delay}"]
    )

    async def drive() -> tuple[list[tuple[float, str]], dict[str, float]]:
        async with httpx.AsyncClient() as client:
            stage = build_stage(
                scenario, seed=seed, speed=None, recorder=Recorder(tmp_path / f"{seed}-{share}.sqlite"), client=client
            )
            activated: dict[str, float] = {}
            stage.salesforce.commerce.activation_listeners.append(
                lambda order_id: activated.setdefault(order_id, stage.world.env.now)
            )
            stage.open_trading()
            await stage.world.run_until(scenario.duration)
            await stage.world.close()
            assert stage.cancellations is not None
            for at, order_id in stage.cancellations.schedule:
                assert 60 - 1e-6 <= at - activated[order_id] <= 20 * 60 + 1e-6
                assert stage.salesforce.state.get("Order", order_id)["Status"] == "Cancellation Requested"
            return list(stage.cancellations.schedule), activated

    return asyncio.run(drive())


def test_every_order_is_cancelled_at_share_one_and_none_at_zero(tmp_path: Path) -> None:
    everything, activated = schedule(tmp_path / "one", 3, 1.0, delay="1m")
    # A request falls due a minute after its activation, and only while trading lasts.
    due = {order for order, at in activated.items() if at + 60 < 30 * 60}
    assert {order for _, order in everything} == due and len(everything) == len(due) > 40
    assert schedule(tmp_path / "zero", 3, 0.0)[0] == []


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**31), share=st.sampled_from([0.2, 0.5]))
def test_the_same_seed_cancels_the_same_orders_at_the_same_moments(seed: int, share: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        first, _ = schedule(Path(folder) / "a", seed, share)
        again, _ = schedule(Path(folder) / "b", seed, share)
    assert first == again and len(first) < 50


def test_a_dry_run_counts_the_cancellations() -> None:
    scenario = scenarios.load(SCENARIO, ["workload.cancellations.share=0.5"])
    planned = plan(scenario, 11)
    requested = planned.events["salesforce: order.cancellation_requested"]
    assert 0 < requested < planned.events["salesforce: order.activated"]
    assert plan(scenario, 11).fingerprint == planned.fingerprint


@pytest.mark.parametrize(
    ("assignment", "place", "expected"),
    [
        ("workload.cancellations.share=1.5", "workload.cancellations.share", "1.5 is greater than the maximum of 1"),
        ("workload.cancellations.delay=soon", "workload.cancellations.delay", "'soon' is not valid under any"),
        ("workload.cancellations={delay: 5m}", "workload.cancellations", "'share' is a required property"),
        ("workload.cancellations.when=5m", "workload.cancellations", "'when' was unexpected"),
    ],
)
def test_a_bad_cancellations_workload_names_the_field_and_the_expectation(
    assignment: str, place: str, expected: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        scenarios.load(SCENARIO, ["workload.cancellations.share=0.1", assignment])
    message = str(caught.value)
    assert f"  {place}: " in message and expected in message, message


def test_a_uniform_delay_upside_down_is_explained() -> None:
    with pytest.raises(ScenarioError, match=r"workload\.cancellations\.delay: uniform \[30m, 1m\]: the low end"):
        scenarios.load(SCENARIO, ["workload.cancellations={share: 0.1, delay: {uniform: [30m, 1m]}}"])
