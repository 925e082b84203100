"""The flawed corpus: every variant's README names its bug, the checker and the scenario that catch
it; run there, the variant fails that checker and no other, while the reference passes the same
scenario (``test_library.py``, and ``smoke`` in ``test_order_capture.py``)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from test_library import REFERENCE_PASSES

import scenarios
from harness.checkers import builtin_checkers

FLAWED = Path(__file__).resolve().parents[2] / "integrations" / "flawed"
REFERENCE_ALSO_PASSES = {"smoke", "fulfilment"}
"""Scenarios outside the library the reference is proven to pass elsewhere (``test_order_capture.py``;
``fulfilment`` in ``test_contract_runs.py``, and with ``CANCELLATION_RACE`` in ``test_cancellation_runs.py``)."""
CAUGHT_BY_COMMAND = {"receiver_500_on_unknown_field": "rehearse contracts fuzz-sut"}
"""Variants no scenario exposes, caught by a contracts command instead (``tests/contracts/test_fuzz_sut.py``)."""

CANCELLATION_RACE = (
    "fulfilment",
    "--speed",
    "600",
    "--set",
    "workload.cancellations={share: 0.5, delay: {uniform: [1m, 20m]}}",
    "--set",
    "behaviour.wms.shifts=[[9, 22, 4, 3]]",
    "--set",
    "behaviour.wms.dock_minutes=[40, 120]",
)
"""Half the customers cancel within twenty minutes; the pickers start at 09:00 (an hour in), so the first
hour's requests reach orders still queued and later ones orders already being picked, which the
warehouse refuses; parcels wait at least 40 minutes at the dock, so every request comes before shipping."""

CORPUS = [
    pytest.param(
        "ignores_429",
        ("rate-limit-storm",),
        "resilience",
        {"the SUT waits out a rate limit's Retry-After", "the SUT backs off when rate-limited"},
        id="ignores_429",
    ),
    pytest.param(
        "drops_writeback_on_rate_limit",
        ("rate-limit-storm",),
        "consistency",
        {"ERP order number written back to Salesforce"},
        id="drops_writeback_on_rate_limit",
    ),
    pytest.param(
        "unit_price_vs_line_total",
        ("smoke", "--speed", "600"),
        "consistency",
        {"order lines agree (SKU, quantity, unit price)"},
        id="unit_price_vs_line_total",
    ),
    pytest.param(
        "tracking_regresses",
        ("out-of-order-tracking",),
        "history",
        {"Salesforce fulfilment status only moves forward"},
        id="tracking_regresses",
    ),
    pytest.param(
        "erp_breaker_cools_down_too_long",
        ("erp-outage",),
        "timeliness",
        {"convergence after a fault heals within the SLO", "order acceptance p95 within the SLO"},
        id="erp_breaker_cools_down_too_long",
    ),
    pytest.param(
        "cancel_ignores_warehouse_refusal",
        CANCELLATION_RACE,
        "history",
        {"no shipment for a cancelled order"},
        id="cancel_ignores_warehouse_refusal",
    ),
]


def variants() -> list[str]:
    return sorted(p.name for p in FLAWED.iterdir() if (p / "__init__.py").is_file())


@pytest.mark.parametrize("variant", variants())
def test_each_variant_names_its_bug_its_checker_and_a_scenario_the_reference_passes(variant: str) -> None:
    readme = (FLAWED / variant / "README.md").read_text(encoding="utf-8")
    assert readme.count("\n") <= 1, "one line: the bug, the checker, the scenario"
    if variant in CAUGHT_BY_COMMAND:
        assert f"**`{CAUGHT_BY_COMMAND[variant]}`**" in readme
        return
    named = set(re.findall(r"\*\*([a-z0-9-]+)\*\*", readme))
    assert named & set(builtin_checkers()), f"{variant}'s README names no checker in bold"
    assert named & set(scenarios.builtin_names()), f"{variant}'s README names no built-in scenario in bold"


def test_the_corpus_runs_where_the_readmes_say_and_the_reference_passes() -> None:
    for variant, args, checker, _ in (p.values for p in CORPUS):
        readme = (FLAWED / variant / "README.md").read_text(encoding="utf-8")
        scenario = args[0]
        assert f"**{checker}**" in readme and f"**{scenario}**" in readme, variant
        assert scenario in {*REFERENCE_PASSES, *REFERENCE_ALSO_PASSES}, f"the reference is not proven on {scenario}"


@pytest.mark.slow
@pytest.mark.parametrize(("variant", "args", "checker", "invariants"), CORPUS)
def test_the_flaw_fails_its_checker_alone(  # type: ignore[no-untyped-def]
    run_rehearse, variant: str, args: tuple[str, ...], checker: str, invariants: set[str]
) -> None:
    outcome = run_rehearse(*args, "--sut", f"{sys.executable} -m integrations.flawed.{variant}", timeout=420)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    verdict = outcome.verdict
    assert {c["name"] for c in verdict["checkers"] if c["status"] == "failed"} == {checker}
    found = {group["invariant"] for group in verdict["findings"] if group["checker"] == checker}
    assert found and found <= invariants, found
