"""The built-in library against the reference integration: every scenario passes, at its default speed."""

from __future__ import annotations

import pytest

import scenarios

REFERENCE_PASSES = [
    "baseline",
    "split-shipments",
    "duplicate-webhooks",
    "out-of-order-tracking",
    "erp-outage",
    "erp-cutover",
    "returns-refunds",
    "erp-maintenance-hang",
    "rate-limit-storm",
    "promo-surge",
    "black-friday",
]


def test_the_library_is_what_the_tests_cover() -> None:
    assert set(REFERENCE_PASSES) <= set(scenarios.builtin_names())


@pytest.mark.slow
@pytest.mark.parametrize("name", REFERENCE_PASSES)
def test_the_reference_passes(run_rehearse, name: str) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse(name, timeout=420)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    verdict = outcome.verdict
    assert verdict["metrics"]["orders_placed"] > 0
    assert {c["name"] for c in verdict["checkers"]} >= {"consistency", "exactly-once", "history"}
