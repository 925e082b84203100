"""Checkers, verdict and reports over hand-made histories: each invariant caught, reported and rendered."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from harness.recorder import DIRECTION_TO_SUT, Exchange, Recorder
from harness.report import diff, html, write_reports
from harness.verdict import judge_run

ORDER_A, ORDER_B = "8015g0000007C9NAAU", "8015g0000007C9OAAU"


def order(order_id: str, number: str, erp_number: str | None) -> dict[str, Any]:
    return {"Id": order_id, "OrderNumber": number, "Status": "Activated", "ERP_Order_Number__c": erp_number}


def item(order_id: str, sku: str, quantity: float, price: float) -> dict[str, Any]:
    return {"OrderId": order_id, "SKU__c": sku, "Quantity": quantity, "UnitPrice": price, "IsDeleted": False}


def erp_order(internal: str, tran: str, key: str, lines: list[tuple[str, float, float]]) -> dict[str, Any]:
    return {
        "id": internal,
        "tranId": tran,
        "externalId": key,
        "otherRefNum": key,
        "total": sum(q * r for _, q, r in lines),
        "lines": [{"sku": s, "quantity": q, "rate": r} for s, q, r in lines],
    }


def make_run(
    tmp_path: Path,
    *,
    erp_orders: list[dict[str, Any]],
    write_back: dict[str, str | None],
    expect: dict[str, Any] | None = None,
    checkers: list[str] | None = None,
    created_at: dict[str, float] | None = None,
    exhausted: bool = False,
    server_error: bool = False,
) -> Path:
    run_dir = tmp_path / f"run-{time.monotonic_ns()}"
    run_dir.mkdir()
    recorder = Recorder(run_dir / "history.sqlite")
    run = {"scenario": "handmade", "seed": 1, "speed": 60, "workflows": ["W1"], "run_dir": str(run_dir)}
    recorder.run_info("run", {**run, "expect": expect or {}, "checkers": checkers or []})
    recorder.run_info("metrics", {"orders_placed": 2, "wall_seconds": 1.0})
    recorder.run_info("complete", True)
    recorder.final_state(
        "salesforce",
        {
            "records": {
                "Order": {
                    ORDER_A: order(ORDER_A, "00000101", write_back.get(ORDER_A)),
                    ORDER_B: order(ORDER_B, "00000102", write_back.get(ORDER_B)),
                },
                "OrderItem": {"i1": item(ORDER_A, "SKU-1", 2, 10.0), "i2": item(ORDER_B, "SKU-2", 1, 5.5)},
            }
        },
    )
    recorder.final_state("erp", {"salesOrders": erp_orders})
    for key, at in ((ORDER_A, 100.0), (ORDER_B, 200.0)):
        recorder.event("salesforce", "order.activated", key, {}, at)
    for key, at in (created_at or {ORDER_A: 130.0, ORDER_B: 260.0}).items():
        recorder.event("erp", "salesOrder.created", key, {}, at)
    recorder.fault("salesforce.webhooks", "duplicate", 0, 110, {"probability": 0.5})
    if exhausted:
        recorder.event("salesforce", "outbox.exhausted", "salesforce:9", {"copy": 1}, 900.0)
    if server_error:
        recorder.exchange(
            Exchange(
                "salesforce",
                DIRECTION_TO_SUT,
                "POST",
                "/webhooks/salesforce",
                50.0,
                time.time(),
                status=500,
                correlation_id="salesforce:3",
            )
        )
    recorder.close()
    return run_dir


GOOD = [
    erp_order("101", "SO1001", ORDER_A, [("SKU-1", 2, 10.0)]),
    erp_order("102", "SO1002", ORDER_B, [("SKU-2", 1, 5.5)]),
]
WRITTEN_BACK = {ORDER_A: "SO1001", ORDER_B: "SO1002"}


def statuses(run_dir: Path) -> dict[str, str]:
    return {r.name: r.status for r in judge_run(run_dir).results}


def test_a_consistent_run_passes_every_checker(tmp_path: Path) -> None:
    verdict = judge_run(make_run(tmp_path, erp_orders=GOOD, write_back=WRITTEN_BACK))
    assert verdict.passed
    assert {r.name for r in verdict.results} == {"consistency", "contract", "exactly-once", "resilience", "timeliness"}
    assert verdict.metrics["order_acceptance_p50_sim_s"] == 30.0
    assert verdict.metrics["order_acceptance_max_sim_s"] == 60.0
    assert verdict.metrics["order_acceptance_max_wall_s"] == 1.0


def test_duplicate_erp_orders_fail_exactly_once_only(tmp_path: Path) -> None:
    doubled = [*GOOD, erp_order("103", "SO1003", ORDER_A, [("SKU-1", 2, 10.0)])]
    verdict = judge_run(make_run(tmp_path, erp_orders=doubled, write_back=WRITTEN_BACK))
    assert {r.name: r.status for r in verdict.results}["exactly-once"] == "failed"
    assert [r.name for r in verdict.results if r.errors] == ["exactly-once"]
    finding = next(r for r in verdict.results if r.name == "exactly-once").findings[0]
    assert finding.keys == (ORDER_A,)
    assert [e["tranId"] for e in finding.holdings["erp"]] == ["SO1001", "SO1003"]


def test_a_lost_order_a_missing_write_back_and_a_mapping_bug_are_each_named(tmp_path: Path) -> None:
    wrong_price = [erp_order("102", "SO1002", ORDER_B, [("SKU-2", 1, 11.0)])]
    verdict = judge_run(make_run(tmp_path, erp_orders=wrong_price, write_back={ORDER_A: None, ORDER_B: None}))
    invariants = {(f.invariant, f.keys[0]) for r in verdict.results for f in r.findings}
    assert ("no order lost", ORDER_A) in invariants
    assert ("ERP order number written back to Salesforce", ORDER_B) in invariants
    assert ("order lines agree (SKU, quantity, unit price)", ORDER_B) in invariants


def test_timeliness_judges_the_slo_and_convergence(tmp_path: Path) -> None:
    run = make_run(
        tmp_path,
        erp_orders=GOOD,
        write_back=WRITTEN_BACK,
        expect={"order_acceptance_p95": "45s", "convergence_after_heal": "10s"},
    )
    findings = next(r for r in judge_run(run).results if r.name == "timeliness").findings
    assert {f.invariant for f in findings} == {
        "order acceptance p95 within the SLO",
        "convergence after a fault heals within the SLO",
    }
    slo = next(f for f in findings if f.invariant.startswith("order acceptance"))
    assert slo.keys[0] == ORDER_B


def test_severity_overrides_turn_findings_into_warnings(tmp_path: Path) -> None:
    run = make_run(
        tmp_path,
        erp_orders=GOOD,
        write_back=WRITTEN_BACK,
        expect={"order_acceptance_p95": "45s", "severity": {"timeliness": "warning"}},
    )
    verdict = judge_run(run)
    assert verdict.passed
    assert all(f.severity == "warning" for r in verdict.results for f in r.findings)


def test_resilience_names_server_errors_and_exhausted_deliveries(tmp_path: Path) -> None:
    run = make_run(tmp_path, erp_orders=GOOD, write_back=WRITTEN_BACK, exhausted=True, server_error=True)
    findings = next(r for r in judge_run(run).results if r.name == "resilience").findings
    assert {(f.invariant, f.keys[0]) for f in findings} == {
        ("the SUT answers valid webhooks without 5xx", "salesforce:3"),
        ("every webhook is delivered within the vendor's retry schedule", "salesforce:9"),
    }


def test_a_scenario_checker_loaded_from_a_file_runs_and_can_fail(tmp_path: Path) -> None:
    plugin = tmp_path / "my_checker.py"
    plugin.write_text(
        "from harness.checkers import Checker, Finding\n"
        "class NoBigOrders(Checker):\n"
        "    name = 'no-big-orders'\n"
        "    workflows = frozenset({'W1'})\n"
        "    def check(self, context):\n"
        "        erp = context.history.final_state('erp')['salesOrders']\n"
        "        big = [o for o in erp if o['total'] > 15]\n"
        "        return [Finding(self.name, 'orders under 15', o['tranId'], (o['tranId'],)) for o in big]\n"
    )
    run = make_run(tmp_path, erp_orders=GOOD, write_back=WRITTEN_BACK, checkers=[f"{plugin}:NoBigOrders"])
    verdict = judge_run(run)
    custom = next(r for r in verdict.results if r.name == "no-big-orders")
    assert [f.keys for f in custom.findings] == [("SO1001",)]
    assert not verdict.passed


def test_thousands_of_one_mistake_read_as_one_group(tmp_path: Path) -> None:
    doubled = [*GOOD, erp_order("103", "SO1003", ORDER_A, []), erp_order("104", "SO1004", ORDER_B, [])]
    verdict = judge_run(make_run(tmp_path, erp_orders=doubled, write_back=WRITTEN_BACK))
    groups = [g for g in verdict.as_dict()["findings"] if g["checker"] == "exactly-once"]
    assert len(groups) == 1
    assert groups[0]["count"] == 2 and sorted(groups[0]["keys"]) == [ORDER_A, ORDER_B]


def test_junit_has_a_case_per_checker_and_workflow_with_findings_as_failures(tmp_path: Path) -> None:
    doubled = [*GOOD, erp_order("103", "SO1003", ORDER_A, [("SKU-1", 2, 10.0)])]
    run = make_run(tmp_path, erp_orders=doubled, write_back=WRITTEN_BACK)
    write_reports(judge_run(run), run)
    suite = ET.parse(run / "junit.xml").getroot()
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {
        "consistency [W1]",
        "contract [W1]",
        "exactly-once [W1]",
        "resilience [W1]",
        "timeliness [W1]",
    }
    failure = cases["exactly-once [W1]"].find("failure")
    assert failure is not None and ORDER_A in (failure.text or "")
    assert cases["consistency [W1]"].find("failure") is None
    assert suite.get("tests") == "5" and suite.get("failures") == "1"


def test_the_html_report_opens_on_the_verdict_and_draws_the_timeline(tmp_path: Path) -> None:
    doubled = [*GOOD, erp_order("103", "SO1003", ORDER_A, [("SKU-1", 2, 10.0)])]
    run = make_run(tmp_path, erp_orders=doubled, write_back=WRITTEN_BACK)
    write_reports(judge_run(run), run)
    page = (run / "report.html").read_text()
    assert page.index("FAILED") < page.index("<svg")
    assert page.count("<svg") == 8  # with the latency-per-system and throttling charts
    assert "fill-opacity" in page, "the fault window should be shaded"
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', ""), "no network references"
    assert ORDER_A in page


def test_diff_shows_new_findings(tmp_path: Path) -> None:
    good = judge_run(make_run(tmp_path, erp_orders=GOOD, write_back=WRITTEN_BACK))
    doubled = [*GOOD, erp_order("103", "SO1003", ORDER_A, [("SKU-1", 2, 10.0)])]
    bad = judge_run(make_run(tmp_path, erp_orders=doubled, write_back=WRITTEN_BACK))
    comparison = diff.compare(good, bad)
    assert comparison.new_findings
    assert ("exactly-once: one ERP sales order per Salesforce order", 0, 1) in comparison.findings
    assert not diff.compare(bad, good).new_findings


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_the_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    run = make_run(tmp_path, erp_orders=GOOD, write_back=WRITTEN_BACK)
    write_reports(judge_run(run), run)
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=900,1600",
            f"--screenshot={shot}",
            (run / "report.html").as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=90,
    )
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (900, 1600)
    assert len(png) > 20_000, "a blank page compresses to almost nothing"


def test_html_report_escapes_what_it_shows(tmp_path: Path) -> None:
    run = make_run(tmp_path, erp_orders=GOOD, write_back=WRITTEN_BACK)
    verdict = judge_run(run)
    verdict.run["sut"] = "<script>alert(1)</script>"
    assert "<script>" not in html.render(verdict, None)
    assert json.dumps(verdict.as_dict())
