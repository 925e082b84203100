"""Each mock answers as its committed contract says: schemathesis, in process, from contracts/openapi/.

A bounded run per mock (valid and invalid requests for every operation, then a few stateful chains
along the spec's links); ``bench/contract_conformance.py`` runs the same with 1,000+ cases per mock.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.contracts.conformance import Rig, conform, rigs

BUDGET = {"salesforce": 4, "erp": 12, "wms": 6, "carrier": 8}
"""Generated cases per operation, so each mock gets roughly 80-160 cases."""


@pytest.fixture(scope="module")
def staged() -> Iterator[dict[str, Rig]]:
    with rigs() as built:
        yield built


@pytest.mark.parametrize("system", sorted(BUDGET))
def test_mock_conforms_to_its_contract(system: str, staged: dict[str, Rig]) -> None:
    tally = conform(system, staged[system], examples=BUDGET[system], stateful_scenarios=3)
    assert tally.cases >= 50 and tally.stateful_steps > 0, tally.report()
    assert not tally.failures, tally.report()
