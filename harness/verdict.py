"""The verdict: every checker's findings, grouped so that thousands of one mistake read as one.

``verdict.json`` is a stable document for tools (``schema_version`` bumps on breaking changes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.checkers import ERROR, CheckContext, Finding, installed_checkers, load_checker
from harness.history import History
from harness.surge import surge_metrics

SCHEMA_VERSION = 1
EXAMPLES_PER_GROUP = 3

EXIT_PASS = 0
EXIT_FINDINGS = 1
EXIT_HARNESS_ERROR = 2
EXIT_INTERRUPTED = 130


@dataclass(slots=True)
class CheckerResult:
    name: str
    workflows: tuple[str, ...]
    findings: list[Finding] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def status(self) -> str:
        return "failed" if self.errors else "passed"


def group_findings(findings: list[Finding]) -> list[dict[str, Any]]:
    """One entry per (checker, invariant): the count, the keys, and a few full examples."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.checker, finding.invariant), []).append(finding)
    return [
        {
            "checker": checker,
            "invariant": invariant,
            "severity": members[0].severity,
            "count": len(members),
            "keys": sorted({key for f in members for key in f.keys[:1]}),
            "examples": [f.as_dict() for f in members[:EXAMPLES_PER_GROUP]],
        }
        for (checker, invariant), members in groups.items()
    ]


@dataclass(slots=True)
class Verdict:
    run: dict[str, Any]
    results: list[CheckerResult]
    metrics: dict[str, Any]
    complete: bool = True
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.complete and self.error is None and all(r.errors == 0 for r in self.results)

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return EXIT_HARNESS_ERROR
        if not self.complete:
            return EXIT_INTERRUPTED
        return EXIT_PASS if self.passed else EXIT_FINDINGS

    def as_dict(self) -> dict[str, Any]:
        findings = [f for r in self.results for f in r.findings]
        return {
            "schema_version": SCHEMA_VERSION,
            "passed": self.passed,
            "complete": self.complete,
            "error": self.error,
            "exit_code": self.exit_code,
            "run": self.run,
            "checkers": [
                {
                    "name": r.name,
                    "workflows": list(r.workflows),
                    "status": r.status,
                    "findings": len(r.findings),
                }
                for r in self.results
            ],
            "findings": group_findings(findings),
            "metrics": self.metrics,
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=2, default=str) + "\n")


def judge(
    history: History,
    workflows: tuple[str, ...],
    expect: dict[str, Any] | None = None,
    extra_checkers: tuple[str, ...] = (),
) -> list[CheckerResult]:
    """Run every installed checker, and the scenario's own, whose workflows are in scope.

    ``expect.severity`` turns a checker's findings into warnings (or back into errors).
    """
    context = CheckContext(history, workflows, expect)
    checkers = installed_checkers()
    for spec in extra_checkers:
        extra = load_checker(spec, Path.cwd())
        checkers[extra.name] = extra
    severities = context.expect.get("severity", {})
    results = []
    for name, checker_class in sorted(checkers.items()):
        judged = tuple(sorted(checker_class.workflows & context.workflows))
        if not judged:
            continue
        checker = checker_class()
        findings = checker.check(context)
        if name in severities:
            findings = [replace(f, severity=severities[name]) for f in findings]
        results.append(CheckerResult(name, judged, findings, checker.measure(context)))
    return results


def judge_run(run_dir: Path) -> Verdict:
    """The verdict of a run from its History alone: what the runner ends with and `rehearse report` redoes."""
    with History(run_dir / "history.sqlite") as history:
        info = history.run_info()
        run = info.get("run", {})
        error = info.get("error")
        results = []
        surge = surge_metrics(history)
        if error is None:
            results = judge(
                history,
                tuple(run.get("workflows", ())),
                run.get("expect", {}),
                tuple(run.get("checkers", ())),
            )
    metrics = {**info.get("metrics", {}), **surge}
    for result in results:
        metrics.update(result.metrics)
    return Verdict(run, results, metrics, complete=bool(info.get("complete", False)), error=error)
