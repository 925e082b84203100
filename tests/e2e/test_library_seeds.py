"""The reference passes every library scenario on five seeds, not just its own, at small scale.

A scenario's own seed is one draw; a checker that cries wolf or a race in the integration shows up
on some seeds only. Full size does not fit CI five times over, so these run the small scale of
``harness/small_scale.py`` (15-40 wall seconds each); ``bench/library_seeds.py`` runs more.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_library import REFERENCE_PASSES

from harness import small_scale

SEEDS = (1, 2, 3, 4, 5)


def test_every_library_scenario_has_a_small_scale() -> None:
    assert set(small_scale.SMALL) == set(REFERENCE_PASSES)


def _first_findings(verdict: dict[str, Any]) -> str:
    lines = [
        f"  {group['checker']}: {group['invariant']} x{group['count']}: {group['examples'][0]['message']}"
        for group in verdict["findings"]
        if group["severity"] != "warning"
    ]
    if verdict.get("error"):
        lines.insert(0, f"  error: {verdict['error']}")
    return "\n".join(lines[:5])


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", REFERENCE_PASSES)
def test_the_reference_passes_at_small_scale(run_rehearse, name: str, seed: int) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse(name, "--seed", str(seed), *small_scale.set_arguments(name, "small"), timeout=300)
    assert outcome.run_dir is not None, f"{name} seed {seed}: no verdict\n{outcome.stderr[-2000:]}"
    verdict = outcome.verdict
    assert outcome.code == 0, f"{name} seed {seed} (small scale): exit {outcome.code}\n{_first_findings(verdict)}"
    missed = small_scale.unexercised(name, outcome.run_dir)
    assert missed is None, f"{name} seed {seed} (small scale) passed without showing that {missed}"
