"""The nemesis end to end: the reference rides out an ERP outage and lost answers; two flawed
integrations do not, each caught by the one checker meant for its bug."""

from __future__ import annotations

import sys

import pytest

from harness.history import History

FLAWED = f"{sys.executable} -m integrations.flawed"
MANY_LOST_ANSWERS = "faults.1.params.probability=0.5"


def failing_checkers(verdict: dict) -> set[str]:  # type: ignore[type-arg]
    return {c["name"] for c in verdict["checkers"] if c["status"] == "failed"}


def test_the_reference_rides_out_an_erp_outage_and_lost_answers(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse("smoke-erp-outage", "--speed", "120", "--set", MANY_LOST_ANSWERS)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    with History(outcome.run_dir / "history.sqlite") as history:
        refused = [x for x in history.exchanges(system="erp", direction="sut->mock") if x.status == 503]
        faults = history.faults()
    assert refused, "the outage should have refused some ERP calls"
    assert [(f.kind, f.start, f.end) for f in faults] == [("outage", 600, 1200), ("commit_then_fail", 1200, 1800)]
    convergence = outcome.verdict["metrics"]["convergence_after_faults"]
    assert all(window["converged_after"] is not None for window in convergence)


@pytest.mark.slow
def test_giving_up_on_erp_503_loses_orders(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse("smoke-erp-outage", "--speed", "120", "--sut", f"{FLAWED}.gives_up_on_erp_outage")
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert failing_checkers(outcome.verdict) == {"consistency"}
    lost = next(g for g in outcome.verdict["findings"] if g["invariant"] == "no order lost")
    with History(outcome.run_dir / "history.sqlite") as history:
        activated = {e.business_key: e.sim_time for e in history.events(kind="order.activated")}
    assert all(600 <= activated[key] <= 1300 for key in lost["keys"]), "only orders from the outage should be lost"


def test_retrying_a_blind_create_duplicates_orders_whose_answer_was_lost(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse(
        "smoke-erp-outage", "--speed", "120", "--set", MANY_LOST_ANSWERS, "--sut", f"{FLAWED}.blind_retry_create"
    )
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert failing_checkers(outcome.verdict) == {"exactly-once"}
    with History(outcome.run_dir / "history.sqlite") as history:
        lost_answers = {
            key
            for x in history.exchanges(system="erp", direction="sut->mock", method="POST")
            if x.status == 503 and x.sim_time >= 1200
            for key in x.business_keys
        }
    duplicated = next(g for g in outcome.verdict["findings"] if g["checker"] == "exactly-once")["keys"]
    assert set(duplicated) <= lost_answers


@pytest.mark.slow
def test_blind_create_is_fine_when_only_deliveries_repeat(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse("smoke-duplicates", "--speed", "600", "--sut", f"{FLAWED}.blind_retry_create")
    assert outcome.code == 0, outcome.stdout + outcome.stderr


@pytest.mark.slow
def test_the_reference_fulfils_split_and_backordered_orders_consistently(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse("fulfilment", "--speed", "600")
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    with History(outcome.run_dir / "history.sqlite") as history:
        wms = history.final_state("wms")["orders"]
        erp = history.final_state("erp")
    assert len(wms) == 30 and len(erp["itemFulfillments"]) >= 30
    assert any(len(order["shipments"]) > 1 for order in wms), "some orders should split or backorder"


@pytest.mark.slow
def test_a_split_order_shown_as_shipped_is_caught(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    # Enough partial shipments that some order still waits on a backorder when the run ends, whatever the timing.
    partial = "behaviour.wms.partial_probability=0.3"
    outcome = run_rehearse(
        "fulfilment", "--speed", "600", "--set", partial, "--sut", f"{FLAWED}.split_shown_as_shipped"
    )
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert failing_checkers(outcome.verdict) == {"consistency"}
    groups = {g["invariant"] for g in outcome.verdict["findings"]}
    assert groups == {"an order shows Shipped only when every unit shipped"}
