"""The ``rehearse`` command: run a scenario against an integration, list the scenarios."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

import scenarios
from harness import knobs, rehearsal_plan, sut_options
from harness.checkers import CheckerLoadError, load_checker
from harness.contracts.cli import app as contracts_app
from harness.report import console as console_report
from harness.report import diff, write_reports
from harness.runner import RunOptions, run
from harness.sut import DEFAULT_WEBHOOKS, SutError
from harness.verdict import EXIT_HARNESS_ERROR, judge_run

app = typer.Typer(
    help="A dress rehearsal for retail integrations: mock Salesforce and ERP, scenarios, and a verdict.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(contracts_app, name="contracts")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _fail(message: str) -> typer.Exit:
    err.print(Text.assemble(("error: ", "bold red"), message))
    return typer.Exit(EXIT_HARNESS_ERROR)


def _pairs(values: list[str], what: str, known: tuple[str, ...] = tuple(DEFAULT_WEBHOOKS)) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key or not rest:
            raise _fail(f"{what} {value!r}: expected SYSTEM=VALUE")
        if key not in known:
            raise _fail(f"{what} {value!r}: {key!r} is not one of {', '.join(known)}")
        pairs[key] = rest
    return pairs


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _progress_line(snapshot: dict[str, Any]) -> Text:
    phase = "draining" if snapshot["sim_seconds"] >= snapshot["duration"] else "trading"
    return Text(
        f"{phase} · sim {_clock(snapshot['sim_seconds'])} / {_clock(snapshot['duration'])} · "
        f"orders {snapshot['orders_placed']} · exchanges {snapshot['exchanges']} · "
        f"webhooks {snapshot['webhook_attempts']} (failed {snapshot['webhook_failures']}) · "
        f"wall {snapshot['wall_seconds']:.0f}s"
    )


def _print_plan(planned: rehearsal_plan.Plan) -> None:
    out.print(
        f"{planned.scenario} · seed {planned.seed} · {_clock(planned.duration)} simulated · "
        f"fingerprint {planned.fingerprint}",
        highlight=False,
    )
    events = Table("generator / event", "count")
    for name, count in sorted(planned.events.items()):
        events.add_row(name, str(count))
    out.print(events)
    hours = Table("hour", "orders placed")
    for hour, count in enumerate(planned.orders_per_hour):
        hours.add_row(f"{hour:02d}:00", str(count))
    out.print(hours)
    faults = Table("fault", "target", "from", "to", "params")
    for fault in planned.faults:
        faults.add_row(fault.kind, fault.target, _clock(fault.start), _clock(fault.end), str(fault.params))
    out.print(faults if planned.faults else "no faults")


@app.command("run")
def run_command(
    scenario: Annotated[str, typer.Argument(help="A built-in scenario name (see `rehearse list`) or a YAML file.")],
    sut: sut_options.SutCommand = None,
    sut_url: sut_options.SutUrl = None,
    seed: Annotated[int | None, typer.Option(help="Override the scenario's seed.")] = None,
    speed: Annotated[
        float | None, typer.Option(help="Simulated seconds per wall second (60: a minute a second).", min=0.001)
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Where run folders go.")] = Path("runs"),
    config: sut_options.SutConfigFile = None,
    webhook: sut_options.SutWebhooks = None,
    port: Annotated[list[str] | None, typer.Option(help="SYSTEM=PORT: serve that mock on a fixed port.")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="KEY=VALUE: override a scenario field, e.g. workload.orders.count=200"),
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No live progress line.")] = False,
    dry_run: Annotated[
        bool, typer.Option(help="Print the workload and fault schedule for this seed; start nothing.")
    ] = False,
) -> None:
    """Run a scenario against an integration and judge it. Exit 0 pass, 1 findings, 2 harness/SUT error."""
    try:
        loaded = scenarios.load(scenario, set_ or [])
    except scenarios.ScenarioError as exc:
        raise _fail(str(exc)) from exc
    try:
        knobs.check(loaded.behaviour)
    except knobs.KnobError as exc:
        raise _fail(f"{loaded.source}: {exc}") from exc
    if dry_run:
        _print_plan(rehearsal_plan.plan(loaded, seed if seed is not None else loaded.seed))
        return
    if sut and sut_url:
        raise _fail("give --sut or --sut-url, not both")
    for spec in loaded.checkers:
        try:
            load_checker(spec, Path.cwd())
        except CheckerLoadError as exc:
            raise _fail(f"{loaded.source}: {exc}") from exc
    try:
        sut_config = sut_options.sut_config(sut, sut_url, config)
    except SutError as exc:
        raise _fail(str(exc)) from exc
    sut_config.webhooks.update(_pairs(webhook or [], "--webhook"))
    ports = {}
    for system, value in _pairs(port or [], "--port", (*DEFAULT_WEBHOOKS, "salesforce-https", "erp-next")).items():
        if not value.isdigit() or int(value) > 65535:
            raise _fail(f"--port {system}={value}: not a port number")
        ports[system] = int(value)

    live = Live(Text("starting…"), console=err, transient=True, refresh_per_second=4) if not quiet else None
    options = RunOptions(
        scenario=loaded,
        seed=seed,
        speed=speed,
        sut=sut_config,
        out_dir=out_dir,
        ports=ports,
        progress=(lambda snapshot: live.update(_progress_line(snapshot))) if live else None,
    )
    if live is not None:
        live.start()
    try:
        verdict = asyncio.run(run(options))
    except KeyboardInterrupt:
        raise _fail("interrupted again while shutting down; the run folder may be incomplete") from None
    finally:
        if live is not None:
            live.stop()
    console_report.render(verdict, out)
    raise typer.Exit(verdict.exit_code)


def _run_folder(path: Path) -> Path:
    if not (path / "history.sqlite").is_file():
        raise _fail(f"{path} is not a run folder (no history.sqlite in it)")
    return path


@app.command("report")
def report_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (runs/<timestamp>-<scenario>-<seed>).")],
) -> None:
    """Judge a past run again from its history.sqlite and re-render verdict.json, junit.xml, report.html."""
    try:
        verdict = judge_run(_run_folder(run_dir))
    except (CheckerLoadError, sqlite3.Error) as exc:
        raise _fail(f"{run_dir}: {exc}") from exc
    write_reports(verdict, run_dir)
    console_report.render(verdict, out)
    out.print(f"report: {run_dir / 'report.html'}", highlight=False)
    raise typer.Exit(verdict.exit_code)


@app.command("diff")
def diff_command(
    run_a: Annotated[Path, typer.Argument(help="The run to compare from.")],
    run_b: Annotated[Path, typer.Argument(help="The run to compare to.")],
) -> None:
    """Compare two runs' metrics and findings side by side. Exit 1 when B has findings A has not."""
    try:
        comparison = diff.compare(judge_run(_run_folder(run_a)), judge_run(_run_folder(run_b)))
    except (CheckerLoadError, sqlite3.Error) as exc:
        raise _fail(str(exc)) from exc
    diff.render(comparison, out)
    raise typer.Exit(1 if comparison.new_findings else 0)


@app.command("list")
def list_command() -> None:
    """The built-in scenarios, with what each rehearses."""
    table = Table(show_header=True, header_style="bold")
    table.add_column("scenario")
    table.add_column("what it rehearses")
    for name, description in scenarios.describe_builtins():
        table.add_row(name, description)
    out.print(table)


if __name__ == "__main__":
    app()
