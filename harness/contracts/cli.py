"""``rehearse contracts ...``: work with the contracts the mocks and SUTs are held to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from harness.contracts.documents import OPENAPI
from harness.contracts.export import export

app = typer.Typer(help="Contracts: the mocks' OpenAPI documents and the tests against them.", no_args_is_help=True)
out = Console(soft_wrap=True)


@app.command("export")
def export_command(
    directory: Annotated[Path, typer.Option("--to", help="Where to write the documents.")] = OPENAPI,
) -> None:
    """Regenerate each mock's OpenAPI 3.1 document from its FastAPI app (contracts/openapi/*.json)."""
    for path in export(directory):
        out.print(f"wrote {path}")
