"""``rehearse contracts fuzz-sut``: the receivers' contract, the judging of answers, and whole runs.

The judging is tested fast against tiny receivers on loopback (one keeps the contract, one 500s on
unknown fields, one accepts anything); the whole command, with the mocks staged and a SUT process,
is slow: the reference integration passes, the flawed ``receiver_500_on_unknown_field`` fails.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from schemathesis import GenerationMode
from typer.testing import CliRunner

from harness.cli import app as cli
from harness.contracts import receiver_contract
from harness.contracts.sut_fuzzing import (
    FuzzResult,
    ReceiverFuzzer,
    _writes,
    body_validators,
    load_receiver_spec,
)
from harness.history import History
from harness.hosting import MockServer
from harness.recorder import DIRECTION_TO_MOCK, DIRECTION_TO_SUT, Exchange, Recorder
from integrations.reference.fulfilment_events import carrier_signature

ROOT = Path(__file__).resolve().parents[2]
SECRET = "fuzz-secret"
SPEC = receiver_contract.SPEC_PATH


def test_the_committed_receiver_spec_is_the_one_built_from_the_event_schemas() -> None:
    assert SPEC.read_text(encoding="utf-8") == receiver_contract.render(), (
        "contracts/openapi/sut-receivers.json is stale: python -m harness.contracts.receiver_contract"
    )
    document = json.loads(SPEC.read_text())
    assert set(document["paths"]) == {f"/webhooks/{s}" for s in ("salesforce", "erp", "wms", "carrier")}
    assert {p["name"] for p in document["paths"]["/webhooks/carrier"]["post"]["parameters"]} == {"X-Hmac-Signature"}


def receiver_app(behaviour: str) -> FastAPI:
    """A carrier receiver: ``keeps`` the contract, ``strict`` 500s on unknown fields, ``lax`` accepts anything."""
    validator = body_validators(SPEC)["carrier"]
    known = set(json.loads(SPEC.read_text())["components"]["schemas"]["carrier-tracker-event"]["properties"])
    app = FastAPI()

    @app.post("/webhooks/carrier")
    async def carrier(request: Request) -> JSONResponse:
        body = await request.body()
        if behaviour == "lax":
            return JSONResponse({"accepted": True})
        if request.headers.get("x-hmac-signature") != carrier_signature(body, SECRET):
            return JSONResponse({"error": "invalid_signature"}, status_code=401)
        try:
            message = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "invalid_event"}, status_code=400)
        if not validator.is_valid(message):
            return JSONResponse({"error": "invalid_event"}, status_code=400)
        if behaviour == "strict" and set(message) - known:
            return JSONResponse({"error": "Internal Server Error"}, status_code=500)
        return JSONResponse({"accepted": True})

    return app


@pytest.fixture
def serve() -> Iterator[object]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    servers: list[MockServer] = []

    def start(app: FastAPI) -> str:
        server = MockServer("receiver", app)
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
        servers.append(server)
        return server.base_url

    yield start
    for server in servers:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def fuzz_carrier(url: str, cases: int = 10) -> FuzzResult:
    result = FuzzResult(Path("."))
    operation = next(
        r.ok() for r in load_receiver_spec(SPEC).get_all_operations() if r.ok().path == "/webhooks/carrier"
    )
    fuzzer = ReceiverFuzzer(
        {"carrier": f"{url}/webhooks/carrier"}, body_validators(SPEC), SECRET, time.monotonic() + 60, result
    )
    for mode in (GenerationMode.NEGATIVE, GenerationMode.POSITIVE):
        fuzzer.fuzz("carrier", operation, cases, mode)
    fuzzer.oversized("carrier")
    fuzzer.client.close()
    return result


def test_a_receiver_that_keeps_the_contract_passes(serve) -> None:  # type: ignore[no-untyped-def]
    result = fuzz_carrier(serve(receiver_app("keeps")))
    assert result.cases["carrier"] > 20
    assert result.findings == []


def test_a_receiver_that_500s_on_unknown_fields_is_caught_with_the_request(serve) -> None:  # type: ignore[no-untyped-def]
    result = fuzz_carrier(serve(receiver_app("strict")))
    assert result.findings
    assert {f.problem for f in result.findings} == {"500 to a properly signed valid event"}
    example = result.findings[0]
    assert example.status == 500 and example.expected == "not 5xx"
    assert example.request["headers"]["x-hmac-signature"].startswith("hmac-sha256-hex=")


def test_a_receiver_that_accepts_unsigned_and_malformed_events_is_caught(serve) -> None:  # type: ignore[no-untyped-def]
    result = fuzz_carrier(serve(receiver_app("lax")))
    problems = {f.problem for f in result.findings}
    assert "200 (accepted) to an event signed with the wrong secret" in problems
    assert "200 (accepted) to a properly signed malformed body" in problems
    assert any(p.startswith("200 (accepted) to an oversized body") for p in problems)


def test_only_writes_to_mocks_inside_the_window_count_as_side_effects(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "history.sqlite")
    for method, path, wall, direction in [
        ("POST", "/services/rest/auth/oauth2/v1/token", 10.0, DIRECTION_TO_MOCK),
        ("GET", "/services/rest/record/v1/salesOrder/1", 11.0, DIRECTION_TO_MOCK),
        ("PATCH", "/services/data/v60.0/sobjects/Order/801", 12.0, DIRECTION_TO_MOCK),
        ("POST", "/webhooks/carrier", 12.5, DIRECTION_TO_SUT),
        ("PUT", "/services/rest/record/v1/salesOrder/eid:X", 30.0, DIRECTION_TO_MOCK),
    ]:
        recorder.exchange(Exchange("erp", direction, method, path, 0.0, wall, status=200))
    recorder.close()
    with History(tmp_path / "history.sqlite") as history:
        writes = _writes(history, 9.0, 20.0)
    assert len(writes) == 1 and "PATCH /services/data/v60.0/sobjects/Order/801" in writes[0]


def fuzz_cli(tmp_path: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "harness.cli", "contracts", "fuzz-sut", "--out", str(tmp_path), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def fuzz_in_process(tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["contracts", "fuzz-sut", "--out", str(tmp_path), *args])
    return result.exit_code, result.output


def test_bad_options_and_a_missing_spec_exit_2_before_anything_starts(tmp_path: Path) -> None:
    code, output = fuzz_in_process(tmp_path, "--sut", "x", "--sut-url", "http://127.0.0.1:9")
    assert code == 2 and "not both" in output
    code, output = fuzz_in_process(tmp_path, "--spec", str(tmp_path / "absent.json"))
    assert code == 2 and "no such file" in output
    code, output = fuzz_in_process(tmp_path, "--webhook", "bank=/x")
    assert code == 2 and "expected SYSTEM=PATH" in output
    assert not list(tmp_path.iterdir())


def test_a_sut_that_will_not_start_exits_2(tmp_path: Path) -> None:
    code, output = fuzz_in_process(tmp_path, "--sut", f"{sys.executable} -c 'raise SystemExit(3)'")
    assert code == 2, output
    assert "exited with code 3" in output


@pytest.mark.slow
def test_the_reference_integration_passes(tmp_path: Path) -> None:
    done = fuzz_cli(tmp_path, "--max-cases", "25")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(next(tmp_path.glob("*/fuzz.json")).read_text())
    assert report["passed"] and report["writes_to_mocks"] == []
    assert set(report["cases"]) == {"salesforce", "erp", "wms", "carrier"}


@pytest.mark.slow
def test_the_flawed_receiver_500_on_unknown_field_fails(tmp_path: Path) -> None:
    flawed = f"{sys.executable} -m integrations.flawed.receiver_500_on_unknown_field"
    done = fuzz_cli(tmp_path, "--sut", flawed, "--max-cases", "25")
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(next(tmp_path.glob("*/fuzz.json")).read_text())
    assert report["findings"]
    assert {(f["receiver"], f["status"]) for f in report["findings"]} == {("carrier", 500)}
    assert "FAILED carrier: 500 to a properly signed valid event" in done.stdout
