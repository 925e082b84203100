"""W2 end to end in the promotion: the reference keeps Salesforce's stock honest; the integration that
keeps Salesforce in line with a stale cache is caught by the inventory checker alone."""

from __future__ import annotations

import sys

import pytest

STALE_CACHE = f"{sys.executable} -m integrations.flawed.stale_stock_cache"


@pytest.mark.slow
def test_a_stale_stock_cache_oversells_the_promotion_and_is_caught(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse("promo-surge", "--sut", STALE_CACHE, timeout=420)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert {c["name"] for c in outcome.verdict["checkers"] if c["status"] == "failed"} == {"inventory"}
    groups = {g["invariant"]: g for g in outcome.verdict["findings"]}
    assert set(groups) == {"Salesforce shows what the ERP can still commit"}
    hot = {"SKU-00001", "SKU-00002", "SKU-00003"}
    assert hot <= set(groups["Salesforce shows what the ERP can still commit"]["keys"]), "the sold-out hot SKUs"
