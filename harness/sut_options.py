"""The command-line options that name the integration under test, for every command that starts or reaches
one (``rehearse run``, ``rehearse contracts fuzz-sut``), so that they read alike and pick the same SUT."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harness.sut import SutConfig

SutCommand = Annotated[
    str | None, typer.Option(help="Command that starts the integration under test. Default: the reference one.")
]
SutUrl = Annotated[str | None, typer.Option(help="Base URL of an integration already running.")]
SutConfigFile = Annotated[
    Path | None, typer.Option(help="rehearse.toml with a \\[sut] section. Default: ./rehearse.toml if present.")
]
SutWebhooks = Annotated[
    list[str] | None, typer.Option(help="SYSTEM=PATH: where the SUT receives that system's webhooks.")
]


def sut_config(sut: str | None, sut_url: str | None, config: Path | None) -> SutConfig:
    """The SUT as ``config`` (else ./rehearse.toml, if there is one) describes it, ``--sut`` or ``--sut-url``
    taking its place; raises ``SutError`` for a config file it cannot read."""
    config_path = config or (Path("rehearse.toml") if Path("rehearse.toml").is_file() else None)
    chosen = SutConfig.from_file(config_path) if config_path else SutConfig()
    if sut:
        chosen.command, chosen.url = sut, None
    if sut_url:
        chosen.url, chosen.command = sut_url, None
    return chosen
