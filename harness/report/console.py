"""The verdict on the terminal: a table per checker, then the top findings with their traces."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from harness.verdict import Verdict, group_findings

_SHOWN_GROUPS = 5


def render(verdict: Verdict, console: Console) -> None:
    run = verdict.run
    console.print()
    table = Table(title=f"rehearse · {run.get('scenario')} · seed {run.get('seed')}", title_justify="left")
    table.add_column("checker")
    table.add_column("workflows")
    table.add_column("result")
    table.add_column("findings", justify="right")
    for result in verdict.results:
        style = "green" if result.status == "passed" else "bold red"
        table.add_row(
            result.name,
            ", ".join(result.workflows),
            f"[{style}]{result.status}[/]",
            str(len(result.findings)),
        )
    console.print(table)
    groups = group_findings([f for r in verdict.results for f in r.findings])
    for group in groups[:_SHOWN_GROUPS]:
        console.print(
            f"\n[bold red]✗ {group['checker']}: {group['invariant']}[/] — {group['count']} "
            f"{'case' if group['count'] == 1 else 'cases'}"
        )
        for example in group["examples"]:
            console.print(f"  • {example['message']}", highlight=False)
            for line in example["trace"]:
                console.print(f"      {line}", style="dim", highlight=False)
    if len(groups) > _SHOWN_GROUPS:
        console.print(f"\n… and {len(groups) - _SHOWN_GROUPS} more kinds of finding in verdict.json")
    metrics = verdict.metrics
    console.print(
        f"\norders {metrics.get('orders_placed', 0)} · exchanges {metrics.get('exchanges', 0)} · "
        f"webhook attempts {metrics.get('webhook_attempts', 0)} (delivered {metrics.get('webhooks_delivered', 0)}, "
        f"exhausted {metrics.get('webhooks_exhausted', 0)}) · wall {metrics.get('wall_seconds', 0):.1f}s",
        highlight=False,
    )
    if verdict.error:
        console.print(f"[bold red]harness error:[/] {verdict.error}", highlight=False)
    elif not verdict.complete:
        console.print("[bold yellow]INCOMPLETE[/]: the run was interrupted; the verdict covers what happened so far.")
    elif verdict.passed:
        console.print("[bold green]PASSED[/]")
    else:
        console.print("[bold red]FAILED[/]")
    console.print(f"run folder: {run.get('run_dir')}", highlight=False)
