"""JUnit XML: one testcase per checker per workflow, so CI systems show findings natively."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from harness.checkers import ERROR, Finding
from harness.verdict import CheckerResult, Verdict


def _describe(finding: Finding) -> str:
    lines = [finding.message, f"invariant: {finding.invariant}", f"keys: {', '.join(finding.keys)}"]
    for system, held in finding.holdings.items():
        lines.append(f"{system}: {held}")
    if finding.trace:
        lines.append("trace:")
        lines.extend(f"  {line}" for line in finding.trace)
    return "\n".join(lines)


def _cases(result: CheckerResult) -> list[tuple[str, list[Finding]]]:
    """(case name, its findings): findings land on their workflow; unattributed ones on the only
    workflow, or on a case of their own when the checker judges several."""
    cases: dict[str, list[Finding]] = {wf: [] for wf in result.workflows}
    loose = []
    for finding in result.findings:
        if finding.workflow in cases:
            cases[finding.workflow].append(finding)
        elif len(result.workflows) == 1:
            cases[result.workflows[0]].append(finding)
        else:
            loose.append(finding)
    named = [(f"{result.name} [{wf}]", found) for wf, found in cases.items()]
    if loose:
        named.append((f"{result.name} [{', '.join(result.workflows)}]", loose))
    return named


def render(verdict: Verdict) -> ET.ElementTree:
    run = verdict.run
    suite = ET.Element("testsuite", name=f"rehearse.{run.get('scenario', 'run')}")
    properties = ET.SubElement(suite, "properties")
    for key in ("scenario", "seed", "speed", "sut", "run_dir"):
        ET.SubElement(properties, "property", name=key, value=str(run.get(key, "")))
    failures = errors = tests = 0
    classname = f"rehearse.{run.get('scenario', 'run')}.seed{run.get('seed', '')}"
    if verdict.error is not None or not verdict.complete:
        tests += 1
        errors += 1
        case = ET.SubElement(suite, "testcase", name="run", classname=classname)
        message = verdict.error or "the run was interrupted; its verdict is incomplete"
        ET.SubElement(case, "error", message=message).text = message
    for result in verdict.results:
        for name, found in _cases(result):
            tests += 1
            case = ET.SubElement(suite, "testcase", name=name, classname=classname)
            failing = [f for f in found if f.severity == ERROR]
            if failing:
                failures += 1
                invariants = sorted({f.invariant for f in failing})
                failure = ET.SubElement(
                    case, "failure", message=f"{len(failing)} finding(s): {'; '.join(invariants)}", type="finding"
                )
                failure.text = "\n\n".join(_describe(f) for f in failing)
            warnings = [f for f in found if f.severity != ERROR]
            if warnings:
                ET.SubElement(case, "system-out").text = "\n\n".join(f"warning: {_describe(f)}" for f in warnings)
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("time", str(verdict.metrics.get("wall_seconds", 0)))
    tree = ET.ElementTree(suite)
    ET.indent(tree)
    return tree


def write(verdict: Verdict, path: Path) -> None:
    render(verdict).write(path, encoding="utf-8", xml_declaration=True)
