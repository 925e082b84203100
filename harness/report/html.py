"""A self-contained HTML report: the verdict first, then the run's story over simulated time.

Charts are static SVG written here rather than drawn by a plotting library: the report must open
with no network and no JavaScript, and five small line charts do not justify a heavy dependency.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from harness.history import FaultWindow
from harness.timeline import Timeline
from harness.verdict import Verdict, group_findings

_W, _H = 760, 190
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 56, 16, 14, 30
_COLOURS = ("#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2")

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#111827;background:#f9fafb}
main{max-width:880px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px}
.banner{padding:16px 20px;border-radius:8px;color:#fff;margin-bottom:16px}
.pass{background:#059669}.fail{background:#dc2626}.incomplete{background:#d97706}.error{background:#6b7280}
.banner b{font-size:24px;letter-spacing:.04em}
table{border-collapse:collapse;width:100%;background:#fff}
td,th{border:1px solid #e5e7eb;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6}.ok{color:#059669;font-weight:600}.bad{color:#dc2626;font-weight:600}
.chart{background:#fff;border:1px solid #e5e7eb;border-radius:6px;margin:10px 0;padding:6px}
.finding{background:#fff;border-left:4px solid #dc2626;padding:8px 12px;margin:10px 0}
.finding.warning{border-left-color:#d97706}
pre{background:#f3f4f6;padding:8px;overflow-x:auto;font-size:12px;margin:6px 0}
.muted{color:#6b7280}
"""


def _fault_label(fault: FaultWindow) -> str:
    return f"{fault.kind} on {fault.target} ({fault.start:.0f}-{fault.end:.0f}s)"


def chart(
    title: str, x_starts: list[float], series: dict[str, list[float]], faults: list[FaultWindow], unit: str
) -> str:
    """A line chart over simulated time with fault windows shaded."""
    width = x_starts[1] - x_starts[0] if len(x_starts) > 1 else 60.0
    x_max = (x_starts[-1] if x_starts else 0) + width
    y_max = max([max(v) for v in series.values() if v] + [0]) or 1
    plot_w, plot_h = _W - _PAD_L - _PAD_R, _H - _PAD_T - _PAD_B

    def x(t: float) -> float:
        return _PAD_L + plot_w * t / x_max

    def y(v: float) -> float:
        return _PAD_T + plot_h * (1 - v / y_max)

    parts = [f'<svg viewBox="0 0 {_W} {_H}" width="100%" role="img" aria-label="{escape(title)}">']
    for fault in faults:
        left, right = x(min(fault.start, x_max)), x(min(fault.end, x_max))
        parts.append(
            f'<rect x="{left:.1f}" y="{_PAD_T}" width="{max(right - left, 1):.1f}" height="{plot_h}" '
            f'fill="#fca5a5" fill-opacity="0.35"><title>{escape(_fault_label(fault))}</title></rect>'
        )
    for fraction in (0, 0.5, 1):
        level = y_max * fraction
        parts.append(
            f'<line x1="{_PAD_L}" x2="{_W - _PAD_R}" y1="{y(level):.1f}" y2="{y(level):.1f}" stroke="#e5e7eb"/>'
            f'<text x="{_PAD_L - 6}" y="{y(level) + 4:.1f}" font-size="11" text-anchor="end" fill="#6b7280">'
            f"{level:.3g}</text>"
        )
    for tick in range(5):
        t = x_max * tick / 4
        parts.append(
            f'<text x="{x(t):.1f}" y="{_H - 10}" font-size="11" text-anchor="middle" fill="#6b7280">'
            f"{t / 60:.0f}m</text>"
        )
    for colour, values in zip(_COLOURS, series.values(), strict=False):
        points = " ".join(f"{x(t + width):.1f},{y(v):.1f}" for t, v in zip(x_starts, values, strict=True))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.8" points="{points}"/>')
    legend = " ".join(
        f'<span style="color:{colour}">■ {escape(label)}</span>'
        for colour, label in zip(_COLOURS, series, strict=False)
    )
    parts.append("</svg>")
    return (
        f'<div class="chart"><b>{escape(title)}</b> <span class="muted">({escape(unit)})</span> {legend}'
        f"{''.join(parts)}</div>"
    )


def _banner(verdict: Verdict) -> str:
    if verdict.error is not None:
        return f'<div class="banner error"><b>HARNESS ERROR</b><br>{escape(verdict.error)}</div>'
    if not verdict.complete:
        return (
            '<div class="banner incomplete"><b>INCOMPLETE</b><br>'
            "The run was interrupted; this covers what happened.</div>"
        )
    if verdict.passed:
        return '<div class="banner pass"><b>PASSED</b><br>Every checker in scope found nothing wrong.</div>'
    errors = sum(r.errors for r in verdict.results)
    return f'<div class="banner fail"><b>FAILED</b><br>{errors} finding(s) that fail the run.</div>'


def _table(rows: list[tuple[str, str]]) -> str:
    return "<table>" + "".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in rows) + "</table>"


def _findings(verdict: Verdict) -> str:
    groups = group_findings([f for r in verdict.results for f in r.findings])
    if not groups:
        return '<p class="muted">No findings.</p>'
    html = []
    for group in groups:
        html.append(
            f'<div class="finding {escape(group["severity"])}"><b>{escape(group["checker"])}: '
            f"{escape(group['invariant'])}</b> — {group['count']} case(s)"
        )
        for example in group["examples"]:
            html.append(f"<p>{escape(example['message'])}</p>")
            holdings = "\n".join(f"{system}: {held}" for system, held in example["holdings"].items())
            if holdings:
                html.append(f"<pre>{escape(holdings)}</pre>")
            if example["trace"]:
                html.append(f"<pre>{escape(chr(10).join(example['trace']))}</pre>")
        html.append("</div>")
    return "".join(html)


def _after(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.0f}s"


def render(verdict: Verdict, timeline: Timeline | None) -> str:
    run, metrics = verdict.run, verdict.metrics
    checkers = "".join(
        f"<tr><td>{escape(r.name)}</td><td>{escape(', '.join(r.workflows))}</td>"
        f'<td class="{"ok" if r.status == "passed" else "bad"}">{r.status}</td><td>{len(r.findings)}</td></tr>'
        for r in verdict.results
    )
    figures = [(key, escape(str(value))) for key, value in metrics.items() if not isinstance(value, list | dict)]
    body = [
        f"<h1>rehearse · {escape(str(run.get('scenario')))} · seed {escape(str(run.get('seed')))}</h1>",
        f'<p class="muted">{escape(str(run.get("started_at", "")))} · speed {escape(str(run.get("speed")))}x · '
        f"SUT <code>{escape(str(run.get('sut')))}</code></p>",
        _banner(verdict),
        "<h2>Checkers</h2><table><tr><th>checker</th><th>workflows</th><th>result</th><th>findings</th></tr>"
        f"{checkers}</table>",
    ]
    if timeline is not None:
        faults = timeline.faults
        minutes = f"per {timeline.bucket:.0f} simulated s"
        body += [
            "<h2>Timeline</h2>",
            '<p class="muted">Simulated time on the x axis; shaded bands are fault windows.</p>',
            chart(
                "Orders activated",
                timeline.starts,
                {"orders": list(map(float, timeline.orders_activated))},
                faults,
                minutes,
            ),
            chart(
                "SUT requests to the mocks",
                timeline.starts,
                {s: list(map(float, v)) for s, v in timeline.sut_requests.items()},
                faults,
                minutes,
            ),
            chart("Mock latency, p95", timeline.starts, {"p95": timeline.mock_latency_p95_ms}, faults, "ms"),
            chart(
                "Backlog",
                timeline.starts,
                {
                    "webhooks not yet accepted": list(map(float, timeline.webhook_backlog)),
                    "orders not yet in the ERP": list(map(float, timeline.capture_backlog)),
                },
                faults,
                "count at bucket end",
            ),
            chart("Load in the systems", timeline.starts, timeline.load, faults, "sampled"),
            chart(
                "Latency of the SUT's requests per system, p95",
                timeline.starts,
                timeline.latency_p95_ms_by_system,
                faults,
                "ms",
            ),
            chart(
                "SUT requests throttled (429: the ERP's concurrency limit, rate limits)",
                timeline.starts,
                {s: list(map(float, v)) for s, v in timeline.throttled.items()},
                faults,
                minutes,
            ),
            chart(
                "SUT requests refused (5xx, 429) or unanswered",
                timeline.starts,
                timeline.sut_error_rate,
                faults,
                "fraction",
            ),
        ]
    convergence = metrics.get("convergence_after_faults") or []
    if convergence:
        rows = "".join(
            f"<tr><td>{escape(w['kind'])} on {escape(w['target'])}</td><td>{w['end']:.0f}s</td>"
            f"<td>{_after(w['converged_after'])}</td></tr>"
            for w in convergence
        )
        body.append(
            "<h2>Convergence after faults</h2><table><tr><th>fault</th><th>ended</th><th>converged after</th></tr>"
            f"{rows}</table>"
        )
    body += ["<h2>Findings</h2>", _findings(verdict), "<h2>Figures</h2>", _table(figures)]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>rehearse · {escape(str(run.get('scenario')))}</title><style>{_CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def write(verdict: Verdict, timeline: Timeline | None, path: Path) -> None:
    path.write_text(render(verdict, timeline), encoding="utf-8")
