"""The contract checker end to end: the reference keeps every contract; a SUT that sends what the
mock tolerates but the vendor's contract forbids is caught by it, and only by it."""

from __future__ import annotations

import sys

import pytest

FLAWED = f"{sys.executable} -m integrations.flawed"


def checker_results(verdict: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {c["name"]: c["status"] for c in verdict["checkers"]}


@pytest.mark.slow
def test_the_reference_keeps_the_contracts_through_fulfilment(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse("fulfilment", "--speed", "600")
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert checker_results(outcome.verdict)["contract"] == "passed"


@pytest.mark.slow
def test_zip_codes_sent_as_numbers_are_caught_by_the_contract_checker_alone(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse("fulfilment", "--speed", "600", "--sut", f"{FLAWED}.zip_code_as_number")
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    results = checker_results(outcome.verdict)
    assert {name for name, status in results.items() if status == "failed"} == {"contract"}, results
    [group] = outcome.verdict["findings"]
    assert group["invariant"] == "requests keep the wms contract"
    finding = group["examples"][0]
    assert "/recipient/address/zip_code" in finding["message"], finding
    assert all(line.split()[2:4] == ["POST", "/1.0/order:"] for line in finding["trace"]), finding
