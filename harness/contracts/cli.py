"""``rehearse contracts ...``: export the mocks' contracts; verify a pact, fuzz a SUT, check a vendor's API."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness import sut_options
from harness.contracts import provider_check, sut_fuzzing
from harness.contracts.documents import OPENAPI
from harness.contracts.export import export
from harness.contracts.pact_verification import PactFileError, verify_pact
from harness.sut import DEFAULT_WEBHOOKS, SutError
from harness.verdict import EXIT_HARNESS_ERROR

app = typer.Typer(
    help=(
        "Contracts at work: export the mocks' OpenAPI, verify a consumer's pact, fuzz a SUT's webhook receivers,"
        " check a vendor's API."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
EXIT_FAILED = 1
FINDINGS_SHOWN = 5


def _fail(message: str) -> typer.Exit:
    err.print(Text.assemble(("error: ", "bold red"), message))
    return typer.Exit(EXIT_HARNESS_ERROR)


@app.command("export")
def export_command(
    directory: Annotated[Path, typer.Option("--to", help="Where to write the documents.")] = OPENAPI,
) -> None:
    """Regenerate each mock's OpenAPI 3.1 document from its FastAPI app (contracts/openapi/*.json)."""
    for path in export(directory):
        out.print(f"wrote {path}")


@app.command("verify-pact")
def verify_pact_command(
    pact_file: Annotated[Path, typer.Argument(help="A consumer's pact file (JSON, Pact specification V2 to V4).")],
) -> None:
    """Replay a consumer's pact against the mocks, provider states seeding them. Exit 0 pass, 1 fail, 2 bad pact."""
    try:
        verification = verify_pact(pact_file)
    except PactFileError as exc:
        raise _fail(str(exc)) from exc
    out.print(f"pact {verification.consumer} -> {verification.provider}", highlight=False)
    table = Table("interaction", "result")
    for outcome in verification.outcomes:
        table.add_row(outcome.description, Text("passed", "green") if outcome.passed else Text("FAILED", "bold red"))
    out.print(table)
    failed = [o for o in verification.outcomes if not o.passed]
    for outcome in failed:
        out.print(f"FAILED {outcome.description!r}:", highlight=False)
        for problem in outcome.problems:
            out.print(f"  - {problem}", highlight=False)
    if failed:
        out.print(f"{len(failed)} of {len(verification.outcomes)} interactions failed", highlight=False)
        raise typer.Exit(EXIT_FAILED)
    out.print(f"all {len(verification.outcomes)} interactions verified", highlight=False)


def _headers(token: str | None, api_key: str | None, header: list[str]) -> dict[str, str]:
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if api_key:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{api_key}:".encode()).decode()
    for value in header:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip():
            raise _fail(f"--header {value!r}: expected NAME=VALUE")
        headers[name.strip()] = rest
    return headers


@app.command("check-provider")
def check_provider_command(
    system: Annotated[str, typer.Option(help=f"Whose contract: {', '.join(provider_check.SYSTEMS)}.")],
    base_url: Annotated[str, typer.Option(help="The vendor's API root, e.g. https://sandbox-api.shipbob.com.")],
    spec: Annotated[
        str | None, typer.Option(help="OpenAPI path or URL. Default: contracts/openapi/<system>.json.")
    ] = None,
    allow_writes: Annotated[
        bool, typer.Option(help="Also send generated writes (POST/PUT/PATCH/DELETE); loopback base URLs only.")
    ] = False,
    max_cases: Annotated[int, typer.Option(help="Generated requests per operation.", min=1)] = 20,
    time_budget: Annotated[float, typer.Option(help="Wall seconds for the whole check.", min=1)] = 300.0,
    token: Annotated[str | None, typer.Option(help="Bearer token (Salesforce, ERP, WMS).")] = None,
    api_key: Annotated[str | None, typer.Option(help="API key, sent as basic-auth user (carrier).")] = None,
    header: Annotated[
        list[str] | None, typer.Option(help="NAME=VALUE sent with every request, e.g. shipbob_channel_id=100.")
    ] = None,
    report: Annotated[Path | None, typer.Option(help="Report path prefix: writes PREFIX.md and PREFIX.json.")] = None,
) -> None:
    """Check a vendor's API against our contract for it (read-only by default). Exit 0 conforms, 1 not, 2 error."""
    if system not in provider_check.SYSTEMS:
        raise _fail(f"--system {system!r}: not one of {', '.join(provider_check.SYSTEMS)}")
    headers = _headers(token, api_key, header or [])
    try:
        result = provider_check.check_provider(
            system,
            base_url,
            spec=spec or str(provider_check.default_spec(system)),
            headers=headers,
            allow_writes=allow_writes,
            max_cases=max_cases,
            time_budget=time_budget,
            progress=lambda op: out.print(
                f"{op.operation}: "
                + (f"skipped ({op.skipped})" if op.skipped else f"{op.conformed}/{op.cases} cases conform"),
                highlight=False,
            ),
        )
    except provider_check.ProviderCheckError as exc:
        raise _fail(str(exc)) from exc
    markdown, data = provider_check.write_report(result, report or Path(f"provider-check-{system}"))
    out.print(f"{'conforms' if result.passed else 'DOES NOT CONFORM'}; report: {markdown} and {data}", highlight=False)
    raise typer.Exit(0 if result.passed else EXIT_FAILED)


@app.command("fuzz-sut")
def fuzz_sut_command(
    sut: sut_options.SutCommand = None,
    sut_url: sut_options.SutUrl = None,
    config: sut_options.SutConfigFile = None,
    webhook: sut_options.SutWebhooks = None,
    spec: Annotated[Path, typer.Option(help="The receivers' OpenAPI.")] = sut_fuzzing.SPEC_PATH,
    max_cases: Annotated[
        int, typer.Option(help="Generated cases per receiver, per kind (malformed, valid).", min=1)
    ] = 50,
    deadline: Annotated[float, typer.Option(help="Wall seconds of fuzzing at most.", min=1)] = 120.0,
    out_dir: Annotated[Path, typer.Option("--out", help="Where run folders go.")] = Path("runs"),
) -> None:
    """Fuzz the SUT's webhook receivers: bad input gets 4xx, never 5xx, and no write to any mock. Exit 0/1/2."""
    if sut and sut_url:
        raise _fail("give --sut or --sut-url, not both")
    try:
        sut_config = sut_options.sut_config(sut, sut_url, config)
    except SutError as exc:
        raise _fail(str(exc)) from exc
    for value in webhook or []:
        system, sep, path = value.partition("=")
        if not sep or system not in DEFAULT_WEBHOOKS or not path:
            raise _fail(f"--webhook {value!r}: expected SYSTEM=PATH, SYSTEM one of {', '.join(DEFAULT_WEBHOOKS)}")
        sut_config.webhooks[system] = path
    try:
        result = asyncio.run(
            sut_fuzzing.fuzz_sut(
                sut_config,
                spec=spec,
                out_dir=out_dir,
                max_cases=max_cases,
                time_budget=deadline,
                progress=lambda line: err.print(line, highlight=False),
            )
        )
    except sut_fuzzing.FuzzError as exc:
        raise _fail(str(exc)) from exc
    table = Table("receiver", "cases", "findings")
    for system, cases in result.cases.items():
        table.add_row(system, str(cases), str(sum(f.receiver == system for f in result.findings)))
    out.print(table)
    rate = result.total_cases / result.seconds if result.seconds else 0.0
    out.print(
        f"{result.total_cases} cases in {result.seconds:.1f} s ({rate:.1f}/s)"
        + (" (stopped at the deadline)" if result.stopped_by_deadline else ""),
        highlight=False,
    )
    for finding in result.findings[:FINDINGS_SHOWN]:
        out.print(f"FAILED {finding.receiver}: {finding.problem} (expected {finding.expected})", highlight=False)
        out.print(f"  request body: {finding.request['body'][:200]}", highlight=False)
        out.print(f"  response: {finding.response[:200]}", highlight=False)
    if len(result.findings) > FINDINGS_SHOWN:
        out.print(f"... and {len(result.findings) - FINDINGS_SHOWN} more", highlight=False)
    for write in result.writes:
        out.print(f"FAILED side effect: the SUT wrote to a mock while fuzzed: {write}", highlight=False)
    out.print(f"{'passed' if result.passed else 'FAILED'}; details: {result.run_dir / 'fuzz.json'}", highlight=False)
    raise typer.Exit(0 if result.passed else EXIT_FAILED)
