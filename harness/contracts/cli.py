"""``rehearse contracts ...``: verify a consumer's pact, fuzz a SUT's receivers, check a vendor's API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.contracts.pact_verification import PactFileError, verify_pact
from harness.verdict import EXIT_HARNESS_ERROR

app = typer.Typer(
    help="Contracts at work: verify a consumer's pact, fuzz a SUT's webhook receivers, check a vendor's API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
EXIT_FAILED = 1


def _fail(message: str) -> typer.Exit:
    err.print(Text.assemble(("error: ", "bold red"), message))
    return typer.Exit(EXIT_HARNESS_ERROR)


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
