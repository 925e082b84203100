"""The Clock's mapping between simulated and wall time."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.clock import Clock

speeds = st.floats(min_value=0.01, max_value=100_000, allow_nan=False, allow_infinity=False)
instants = st.floats(min_value=0, max_value=10 * 24 * 3600, allow_nan=False)


class FakeTimer:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def started(speed: float, wall0: float = 1000.0) -> tuple[Clock, FakeTimer]:
    timer = FakeTimer(wall0)
    clock = Clock(speed, timer=timer)
    clock.start()
    return clock, timer


@given(speeds, instants, instants)
def test_wall_time_is_monotonic_in_simulated_time(speed: float, a: float, b: float) -> None:
    clock, _ = started(speed)
    lo, hi = sorted((a, b))
    assert clock.wall_at(lo) <= clock.wall_at(hi)


@given(speeds, instants)
def test_sim_at_inverts_wall_at(speed: float, t: float) -> None:
    clock, _ = started(speed)
    assert math.isclose(clock.sim_at(clock.wall_at(t)), t, rel_tol=1e-9, abs_tol=1e-6)


@given(speeds, instants, st.floats(min_value=0, max_value=86400))
def test_a_simulated_span_lasts_span_over_speed_on_the_wall(speed: float, t: float, span: float) -> None:
    clock, _ = started(speed)
    assert math.isclose(clock.wall_at(t + span) - clock.wall_at(t), span / speed, rel_tol=1e-6, abs_tol=1e-6)
    assert math.isclose(clock.wall_seconds(span), span / speed)


@given(speeds, st.floats(min_value=0, max_value=3600))
def test_now_follows_the_wall_clock_scaled(speed: float, elapsed: float) -> None:
    clock, timer = started(speed)
    timer.now += elapsed
    assert math.isclose(clock.now(), elapsed * speed, rel_tol=1e-9, abs_tol=1e-6)


def test_sixty_means_a_simulated_minute_per_wall_second() -> None:
    clock, timer = started(60)
    timer.now += 1.0
    assert clock.now() == pytest.approx(60.0)


def test_virtual_clock_has_no_wall_time() -> None:
    clock = Clock(None)
    assert clock.virtual
    with pytest.raises(RuntimeError, match="virtual"):
        clock.wall_at(10)


@pytest.mark.parametrize("speed", [0, -1])
def test_speed_must_be_positive(speed: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        Clock(speed)


def test_simulated_time_has_a_calendar_date() -> None:
    clock = Clock(60)
    assert (clock.datetime_at(3600) - clock.epoch).total_seconds() == 3600
