"""Customers cancelling against the reference integration, where the race with the pickers is certain:
both outcomes happen, Salesforce tells each customer which, and every checker passes."""

from __future__ import annotations

import collections

import pytest
from test_flawed_corpus import CANCELLATION_RACE

from harness.history import History


@pytest.mark.slow
def test_the_reference_accepts_before_picking_and_refuses_after(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse(*CANCELLATION_RACE, timeout=420)
    assert outcome.code == 0 and outcome.run_dir is not None, outcome.stdout + outcome.stderr
    with History(outcome.run_dir / "history.sqlite") as history:
        requested = {e.business_key for e in history.events(kind="order.cancellation_requested")}
        orders = history.final_state("salesforce")["records"]["Order"]
    answers = collections.Counter(
        "refused" if orders[o].get("Cancellation_Refused_Reason__c") else orders[o]["Status"] for o in requested
    )
    assert set(answers) <= {"Cancelled", "refused"}, answers
    assert answers["Cancelled"] >= 1 and answers["refused"] >= 1, answers
    refusal = next(orders[o]["Cancellation_Refused_Reason__c"] for o in requested if orders[o]["Status"] == "Activated")
    assert "cannot be cancelled" in refusal


@pytest.mark.slow
def test_the_reference_still_passes_baseline_with_its_cancellations(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse("baseline", timeout=420)
    assert outcome.code == 0 and outcome.run_dir is not None, outcome.stdout + outcome.stderr
    with History(outcome.run_dir / "history.sqlite") as history:
        assert sum(1 for _ in history.events(kind="order.cancellation_requested")) >= 1
