"""The mocks' OpenAPI documents, built from their FastAPI apps, and the committed copies in
``contracts/openapi/``: a spec is committed so a vendor, a SUT's team or a CI job can read and test
against it without running rehearse, and regenerated so it never drifts from the mocks."""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp

import scenarios
from contracts import OPENAPI
from harness.recorder import Recorder
from harness.stage import Stage, build_stage


@contextmanager
def staged_mocks(seed: int = 1) -> Iterator[Stage]:
    """The four mocks as a run builds them (the smoke scenario, virtual time), with no server."""
    with tempfile.TemporaryDirectory(prefix="rehearse-contracts-") as tmp:
        recorder = Recorder(Path(tmp) / "history.sqlite")
        try:
            yield build_stage(
                scenarios.load("smoke"), seed=seed, speed=None, recorder=recorder, client=httpx.AsyncClient()
            )
        finally:
            recorder.close()


async def served_document(app: ASGIApp) -> dict[str, Any]:
    """The document a mock serves at ``/openapi.json``, through its middleware, as a client gets it."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as client:
        reply = await client.get("/openapi.json")
    reply.raise_for_status()
    document: dict[str, Any] = reply.json()
    return document


def documents() -> dict[str, dict[str, Any]]:
    with staged_mocks() as stage:
        return {mock.system: asyncio.run(served_document(mock.asgi_app())) for mock in stage.mocks}


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def export(directory: Path = OPENAPI) -> list[Path]:
    """Write every mock's document; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for system, document in documents().items():
        path = directory / f"{system}.json"
        path.write_text(render(document))
        written.append(path)
    return written
