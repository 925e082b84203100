"""``rehearse contracts verify-pact``: a consumer's pact replayed against the mocks, through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app as cli
from harness.contracts import provider_states
from harness.contracts.pact_verification import erp_bearer_tokens, read_pact
from harness.contracts.served_mocks import ServedMocks

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "contracts" / "examples"


def verify(pact: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "harness.cli", "contracts", "verify-pact", str(pact)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_the_good_example_pact_verifies() -> None:
    done = verify(EXAMPLES / "good.json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all 4 interactions verified" in done.stdout


def test_the_bad_example_fails_naming_the_interaction_and_the_netsuite_quirk() -> None:
    done = verify(EXAMPLES / "bad.json")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "a sales order created, answered with its id" in done.stdout
    assert "expected 201 but was 204" in done.stdout
    assert "1 of 2 interactions failed" in done.stdout


def test_a_pact_naming_an_unknown_provider_state_fails_without_replaying(tmp_path: Path) -> None:
    pact = json.loads((EXAMPLES / "good.json").read_text())
    pact["interactions"][0]["providerStates"] = [{"name": "the moon is full"}]
    path = tmp_path / "unknown-state.json"
    path.write_text(json.dumps(pact))
    done = verify(path)
    assert done.returncode == 1
    assert "unknown provider state 'the moon is full'" in done.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("this is not json", "not JSON"),
        (json.dumps({"openapi": "3.1.0"}), "not a pact (no consumer, provider, interactions)"),
        (json.dumps({"consumer": {"name": "a"}, "provider": {"name": "b"}, "interactions": []}), "no interactions"),
    ],
)
def test_a_file_that_is_not_a_pact_is_refused_with_exit_2(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "pact.json"
    if content is not None:
        path.write_text(content)
    result = CliRunner().invoke(cli, ["contracts", "verify-pact", str(path)])
    assert result.exit_code == 2
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_erp_tokens_a_pact_carries_are_the_bearer_ones_on_erp_paths() -> None:
    assert erp_bearer_tokens(read_pact(EXAMPLES / "good.json")) == {"consumer-test-erp-token"}


def test_provider_states_seed_the_erp_and_the_warehouse() -> None:
    with ServedMocks() as mocks:
        stage = mocks.stage
        mocks.call(lambda: provider_states.set_up(stage, "item SKU-9 has 7 available at WH-NORTH", None))
        mocks.call(lambda: provider_states.set_up(stage, "sales order SO-9 exists", {"customer": "C9", "sku": "SKU-9"}))
        erp = stage.erp.state
        item = erp.item_by_sku("SKU-9")
        assert erp.bin(item.id, erp.location_named("WH-NORTH").id).on_hand == 7
        assert erp.transaction("salesOrder", "eid:SO-9").external_id == "SO-9"
        assert erp.entity("customer", "eid:C9").external_id == "C9"
        assert next(w for w in stage.wms.state.warehouses if w.name == "WH-NORTH").on_hand["SKU-9"] == 7
        with pytest.raises(provider_states.UnknownState, match="known: 'customer C1 exists'"):
            provider_states.set_up(stage, "the moon is full", None)


def test_a_pact_the_verifier_cannot_load_is_refused_not_passed(tmp_path: Path) -> None:
    pact = json.loads((EXAMPLES / "good.json").read_text())
    pact["interactions"][1]["type"] = "Weird/Thing"
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(pact))
    done = verify(path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "could not load it" in done.stderr and "Weird/Thing" in done.stderr
