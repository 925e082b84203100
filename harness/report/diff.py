"""Two runs side by side: what changed in the figures, and which findings came or went."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from harness.checkers import Finding
from harness.verdict import Verdict, group_findings


@dataclass(frozen=True, slots=True)
class Comparison:
    a: Verdict
    b: Verdict
    metrics: list[tuple[str, float | None, float | None]]
    findings: list[tuple[str, int, int]]
    """(checker: invariant, count in A, count in B)."""

    @property
    def new_findings(self) -> bool:
        return any(b > a for _, a, b in self.findings)


def _numbers(verdict: Verdict) -> dict[str, float]:
    return {k: float(v) for k, v in verdict.metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def compare(a: Verdict, b: Verdict) -> Comparison:
    left, right = _numbers(a), _numbers(b)
    metrics = [(key, left.get(key), right.get(key)) for key in sorted(left.keys() | right.keys())]
    counts_a = {f"{g['checker']}: {g['invariant']}": g["count"] for g in group_findings(_all(a))}
    counts_b = {f"{g['checker']}: {g['invariant']}": g["count"] for g in group_findings(_all(b))}
    findings = [(key, counts_a.get(key, 0), counts_b.get(key, 0)) for key in sorted(counts_a.keys() | counts_b.keys())]
    return Comparison(a, b, metrics, findings)


def _all(verdict: Verdict) -> list[Finding]:
    return [f for r in verdict.results for f in r.findings]


def _cell(value: float | None) -> str:
    return "—" if value is None else f"{value:,.4g}"


def render(comparison: Comparison, console: Console) -> None:
    a, b = comparison.a.run, comparison.b.run
    table = Table(title="rehearse diff", title_justify="left")
    table.add_column("")
    table.add_column(f"A: {a.get('scenario')} seed {a.get('seed')}")
    table.add_column(f"B: {b.get('scenario')} seed {b.get('seed')}")
    table.add_column("B - A", justify="right")
    table.add_row("verdict", _verdict(comparison.a), _verdict(comparison.b), "")
    for key, left, right in comparison.metrics:
        change = "" if left is None or right is None else f"{right - left:+,.4g}"
        table.add_row(key, _cell(left), _cell(right), change)
    for key, left_count, right_count in comparison.findings:
        table.add_row(f"findings · {key}", str(left_count), str(right_count), f"{right_count - left_count:+d}")
    console.print(table)


def _verdict(verdict: Verdict) -> str:
    if verdict.error:
        return "error"
    if not verdict.complete:
        return "incomplete"
    return "passed" if verdict.passed else "failed"
