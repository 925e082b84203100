"""How the checks that send generated requests to a live server (a vendor's API, a SUT's receivers)
draw them from Hypothesis: the same cases on every run of the same spec, generated only (no example
database, no shrinking of a live server's answers), with no per-case deadline or health check, since
the caller keeps a wall-clock budget of its own."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings


def generated_cases(max_cases: int) -> settings:
    return settings(
        max_examples=max_cases,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
