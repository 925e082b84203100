"""W1 end to end: the smoke scenarios against the reference and the flawed integration."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from harness.history import History
from tests.e2e.conftest import FLAWED_NO_IDEMPOTENCY


def activations_delivered_twice(run_dir: Path) -> set[str]:
    """Orders whose 'Activated' change event reached the SUT more than once, read from the History."""
    deliveries: Counter[tuple[str, int]] = Counter()
    with History(run_dir / "history.sqlite") as history:
        for exchange in history.exchanges(direction="mock->sut", system="salesforce"):
            body = exchange.request_json()
            if exchange.status == 200 and body["payload"].get("Status") == "Activated":
                order_id = body["payload"]["ChangeEventHeader"]["recordIds"][0]
                deliveries[(order_id, body["event"]["replayId"])] += 1
    return {order_id for (order_id, _), count in deliveries.items() if count > 1}


def test_smoke_passes_against_the_reference_integration(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse("smoke", "--speed", "600")
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    verdict = outcome.verdict
    assert verdict["passed"] and verdict["complete"]
    assert {c["name"]: c["status"] for c in verdict["checkers"]} == dict.fromkeys(
        ("consistency", "contract", "exactly-once", "resilience", "timeliness"), "passed"
    )
    assert verdict["metrics"]["orders_placed"] == 50
    assert verdict["metrics"]["drained"]
    with History(outcome.run_dir / "history.sqlite") as history:
        orders = history.final_state("salesforce")["records"]["Order"].values()
        erp = history.final_state("erp")["salesOrders"]
    assert len(orders) == 50 and len(erp) == 50
    assert all(o["ERP_Order_Number__c"] for o in orders)
    assert "PASSED" in outcome.stdout


def test_duplicated_deliveries_do_not_fool_the_reference(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse("smoke-duplicates", "--speed", "600")
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert activations_delivered_twice(outcome.run_dir), "the scenario should have duplicated some activations"
    assert outcome.verdict["passed"]


def test_duplicated_deliveries_catch_the_integration_without_idempotency(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse("smoke-duplicates", "--speed", "600", "--sut", FLAWED_NO_IDEMPOTENCY)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    verdict = outcome.verdict
    assert not verdict["passed"]
    groups = {(g["checker"], g["invariant"]): g for g in verdict["findings"]}
    duplicates = groups[("exactly-once", "one ERP sales order per Salesforce order")]
    twice = activations_delivered_twice(outcome.run_dir)
    assert set(duplicates["keys"]) == twice
    assert duplicates["count"] == len(twice)
    example = duplicates["examples"][0]
    assert len(example["holdings"]["erp"]) == 2
    assert any("POST /services/rest/record/v1/salesOrder" in line for line in example["trace"])
    assert "one ERP sales order per Salesforce order" in outcome.stdout
    assert example["keys"][0] in outcome.stdout
    junit = ET.parse(outcome.run_dir / "junit.xml").getroot()
    failure = next(case for case in junit.iter("testcase") if case.get("name") == "exactly-once [W1]").find("failure")
    assert failure is not None and example["keys"][0] in (failure.text or "")
    assert "FAILED" in (outcome.run_dir / "report.html").read_text()


@pytest.mark.slow
def test_the_readme_run_at_default_speed_passes(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse("smoke", timeout=300)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    verdict = outcome.verdict
    assert verdict["run"]["speed"] == 60
    assert json.dumps(verdict)


def test_a_sut_started_by_hand_is_judged_through_its_url(run_rehearse, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The documented flow for --sut-url: fixed mock ports, the documented fixed credentials."""
    ports = [_free_port() for _ in range(3)]
    salesforce, erp, sut = ports
    env = {
        **os.environ,
        "REHEARSE_SUT_PORT": str(sut),
        "REHEARSE_SUT_STATE_DIR": str(tmp_path / "state"),
        "REHEARSE_SALESFORCE_URL": f"http://127.0.0.1:{salesforce}",
        "REHEARSE_SALESFORCE_CLIENT_ID": "rehearse-salesforce-client",
        "REHEARSE_SALESFORCE_CLIENT_SECRET": "rehearse-salesforce-secret",
        "REHEARSE_SALESFORCE_USERNAME": "integration@rehearse.example",
        "REHEARSE_SALESFORCE_PASSWORD": "rehearse-password",
        "REHEARSE_ERP_URL": f"http://127.0.0.1:{erp}",
        "REHEARSE_ERP_CLIENT_ID": "rehearse-erp-client",
        "REHEARSE_ERP_CLIENT_SECRET": "rehearse-erp-secret",
    }
    (tmp_path / "state").mkdir()
    reference = subprocess.Popen(
        [sys.executable, "-m", "integrations.reference"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        outcome = run_rehearse(
            "smoke",
            "--speed",
            "600",
            "--sut-url",
            f"http://127.0.0.1:{sut}",
            "--port",
            f"salesforce={salesforce}",
            "--port",
            f"erp={erp}",
        )
    finally:
        reference.terminate()
        reference.wait(10)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert outcome.verdict["run"]["sut"] == f"http://127.0.0.1:{sut}"
    assert outcome.verdict["metrics"]["sut_requests"] > 100


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
