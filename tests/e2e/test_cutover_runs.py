"""The ERP cutover end to end, W1-W6: the reference books new orders in erp-next from the cutover,
finishes the orders in flight (and their returns) in the legacy ERP, settles the returns of orders
booked after it in erp-next, and offers in Salesforce what erp-next can commit; the integration that
flips every flow to the new ERP at once is caught by consistency alone."""

from __future__ import annotations

import sys

import pytest

from harness.history import History

CUTOVER_AT = 3600.0
FLAWED = f"{sys.executable} -m integrations.flawed.cutover_misroutes_in_flight"


def failing_checkers(verdict: dict) -> set[str]:  # type: ignore[type-arg]
    return {c["name"] for c in verdict["checkers"] if c["status"] == "failed"}


@pytest.mark.slow
def test_the_reference_finishes_in_flight_orders_where_they_were_booked(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse("erp-cutover", "--speed", "240")
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    metrics = outcome.verdict["metrics"]
    assert metrics["sales_orders_erp"] > 0 and metrics["sales_orders_erp_next"] > 0
    assert metrics["sales_orders_erp"] + metrics["sales_orders_erp_next"] == metrics["orders_placed"]
    with History(outcome.run_dir / "history.sqlite") as history:
        legacy_fulfilled_after = [
            x
            for x in history.exchanges(system="erp", method="POST")
            if "!transform/itemFulfillment" in x.path and x.sim_time > CUTOVER_AT and x.status == 204
        ]
        next_fulfilled = [x for x in history.exchanges(system="erp-next", method="POST") if "!transform" in x.path]
        refunds = {account: len(history.final_state(account)["customerRefunds"]) for account in ("erp", "erp-next")}
        moved = sum(b["transferred"] for b in history.final_state("erp-next")["inventory"])
    assert legacy_fulfilled_after, "some orders booked before the cutover should ship after it, in the legacy ERP"
    assert next_fulfilled
    assert refunds["erp"] > 0 and refunds["erp-next"] > 0, (
        f"returns of orders from both sides of the cutover: {refunds}"
    )
    assert metrics["returns_closed"] == metrics["returns_opened"] == sum(refunds.values())
    assert moved > 0 and metrics["salesforce_availability_mismatches"] == 0


@pytest.mark.slow
def test_shipments_of_in_flight_orders_sent_to_the_new_erp_are_caught(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse("erp-cutover", "--speed", "240", "--sut", FLAWED)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert failing_checkers(outcome.verdict) == {"consistency"}
    assert {g["invariant"] for g in outcome.verdict["findings"]} == {
        "every shipment recorded in the ERP, line by line",
        "Salesforce shows the shipped quantities, line by line",
    }
