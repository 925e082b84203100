"""W6 end to end: the reference refunds each return once, after the warehouse received it; the
flawed integration that refunds on request is caught by the history checker alone, the one that
pays again on every redelivered return webhook by the exactly-once checker alone."""

from __future__ import annotations

import sys

import pytest

from harness.history import History

FLAWED = f"{sys.executable} -m integrations.flawed"


def failing_checkers(verdict: dict) -> set[str]:  # type: ignore[type-arg]
    return {c["name"] for c in verdict["checkers"] if c["status"] == "failed"}


@pytest.mark.slow
def test_the_reference_refunds_each_return_once_after_receipt(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse("returns-refunds", timeout=420)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    metrics = outcome.verdict["metrics"]
    assert metrics["returns_received"] > 0
    assert metrics["refunds_issued"] == metrics["returns_received"] == metrics["returns_closed"]
    with History(outcome.run_dir / "history.sqlite") as history:
        published = [e.payload for e in history.events(system="wms", kind="outbox.published")]
    completions = [p for p in published if p["topic"] == "return.completed"]
    assert len(completions) == metrics["returns_received"]
    assert any(len(p["copies"]) > 1 for p in completions), "some return webhook should be delivered twice"
    assert metrics["refund_after_receipt_p50_sim_s"] > 0


@pytest.mark.slow
def test_a_refund_paid_on_request_is_caught_by_history(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse("returns-refunds", "--sut", f"{FLAWED}.refund_on_request", timeout=420)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert failing_checkers(outcome.verdict) == {"history"}
    groups = {g["invariant"] for g in outcome.verdict["findings"]}
    assert groups == {"no refund before the return was received"}


@pytest.mark.slow
def test_a_refund_repeated_on_a_duplicate_webhook_is_caught_by_exactly_once(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse("returns-refunds", "--sut", f"{FLAWED}.refund_repeated_on_duplicate", timeout=420)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert failing_checkers(outcome.verdict) == {"exactly-once"}
    groups = outcome.verdict["findings"]
    assert {g["invariant"] for g in groups} == {"one refund per return received"}
    examples = [example for g in groups for example in g["examples"]]
    unlinked = [r for example in examples for r in example["holdings"]["refunds"] if r["salesOrder"] is None]
    assert unlinked, "the repeated refunds pay standalone credit memos that name no sales order"
