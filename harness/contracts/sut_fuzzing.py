"""A SUT's webhook receivers fuzzed with schemathesis, with the mocks staged as a run stages them.

Real senders get things wrong, and attackers send what they like: a receiver must answer anything
malformed, oversized, wrong-typed, unsigned or badly signed with a 4xx, never a 5xx (which the
sender retries for a day), and must not act on it. Each generated request is judged by what it is:

- a request that breaks the contract (its body fails the event's JSON Schema, or schemathesis broke a
  header) must get a 4xx. The body is judged with the schema itself rather than by schemathesis's
  intent, because ``format`` is only an annotation in JSON Schema 2020-12 and a "negative" case may
  break nothing else;
- a carrier event with the signature schemathesis generated (never the right one) must get a 4xx;
- a contract-valid event (signed properly for the carrier) may be accepted, but never with a 5xx:
  valid events carry fields the receiver has never seen, as vendors add fields;
- per receiver, one oversized body (a megabyte of the wrong type) must get a 4xx.

Nothing the fuzzer sends refers to a record that exists in the mocks, so no write from the SUT to a
mock is justified while it runs: the History is read afterwards, and any write is a finding.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import given
from jsonschema import Draft202012Validator
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

import scenarios
from harness.contracts.generated_cases import generated_cases
from harness.contracts.receiver_contract import SIGNATURE_HEADER, SPEC_PATH
from harness.history import History
from harness.hosting import HostingError, MockServer
from harness.recorder import DIRECTION_TO_MOCK
from harness.runner import Run, RunOptions
from harness.sut import SutConfig, SutError
from integrations.reference.fulfilment_events import carrier_signature

SCENARIO = "smoke"
"""Whose population and credentials the mocks are staged with; its workload never starts."""
OVERSIZED_BYTES = 1024 * 1024
REQUEST_TIMEOUT = 10.0
QUIET_SECONDS = 1.0
"""The SUT counts as settled once it has written nothing to a mock for this long."""
SETTLE_DEADLINE = 15.0
READ_ONLY_WRITES = (
    "/services/oauth2/token",
    "/services/rest/auth/oauth2/v1/token",
    "/services/rest/query/v1/suiteql",
)
"""POSTs that change nothing: sign-ins and queries."""
BODY_LIMIT = 500


class FuzzError(RuntimeError):
    """The fuzzing could not start: a spec that does not load, or a SUT that would not start."""


@dataclass(slots=True)
class FuzzFinding:
    receiver: str
    problem: str
    expected: str
    status: int | None
    request: dict[str, Any]
    response: str


@dataclass(slots=True)
class FuzzResult:
    run_dir: Path
    cases: dict[str, int] = field(default_factory=dict)
    findings: list[FuzzFinding] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stopped_by_deadline: bool = False

    @property
    def total_cases(self) -> int:
        return sum(self.cases.values())

    @property
    def passed(self) -> bool:
        return self.total_cases > 0 and not self.findings and not self.writes

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "run_dir": str(self.run_dir),
            "cases": self.cases,
            "seconds": round(self.seconds, 2),
            "cases_per_second": round(self.total_cases / self.seconds, 1) if self.seconds else None,
            "stopped_by_deadline": self.stopped_by_deadline,
            "findings": [asdict(f) for f in self.findings],
            "writes_to_mocks": self.writes,
        }


def load_receiver_spec(spec: Path) -> Any:
    if not spec.is_file():
        raise FuzzError(f"receiver spec {spec}: no such file")
    try:
        return schemathesis.openapi.from_path(str(spec))
    except Exception as exc:  # schemathesis reports unloadable specs with several exception types
        raise FuzzError(f"receiver spec {spec} does not load: {str(exc).strip().splitlines()[0]}") from exc


def _body_bytes(kwargs: dict[str, Any]) -> bytes:
    if "json" in kwargs:
        return json.dumps(kwargs["json"]).encode()
    data = kwargs.get("data", b"")
    return data.encode() if isinstance(data, str) else bytes(data or b"")


def body_validators(spec: Path) -> dict[str, Draft202012Validator]:
    """Per receiver, the JSON Schema its request body must satisfy, its references resolved in the spec."""
    document = json.loads(spec.read_text(encoding="utf-8"))
    validators = {}
    for path, item in document.get("paths", {}).items():
        body = item["post"]["requestBody"]["content"]["application/json"]["schema"]
        validators[_system(path)] = Draft202012Validator({**body, "components": document.get("components", {})})
    return validators


def _system(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def _broken(case: Any, body: bytes, validator: Draft202012Validator) -> str | None:
    """What in the request breaks the contract: a header schemathesis broke, or a body the schema refuses."""
    components = case.meta.components if case.meta is not None else {}
    broken = {
        location.value
        for location, info in components.items()
        if info.mode == GenerationMode.NEGATIVE and location.value != "body"
    }
    try:
        if not validator.is_valid(json.loads(body)):
            broken.add("body")
    except (ValueError, RecursionError):
        broken.add("body")
    return ", ".join(sorted(broken)) or None


class ReceiverFuzzer:
    """Sends generated requests to one SUT's receivers and judges each answer; synchronous, in a thread."""

    def __init__(
        self,
        receivers: dict[str, str],
        validators: dict[str, Draft202012Validator],
        secret: str | None,
        deadline: float,
        result: FuzzResult,
    ) -> None:
        self.receivers = receivers
        self.validators = validators
        self.secret = secret
        self.deadline = deadline
        self.result = result
        self.client = httpx.Client(timeout=REQUEST_TIMEOUT)

    def send(self, system: str, headers: dict[str, str], body: bytes, *, expected: str, what: str) -> None:
        if time.monotonic() > self.deadline:
            self.result.stopped_by_deadline = True
            return
        url = self.receivers[system]
        try:
            request = self.client.build_request("POST", url, headers=headers, content=body)
        except (ValueError, UnicodeError, httpx.HTTPError):
            return  # a generated header no HTTP client can send is not a case
        self.result.cases[system] = self.result.cases.get(system, 0) + 1
        shown = {"method": "POST", "url": url, "headers": dict(request.headers), "body": _text(body), "case": what}
        try:
            response = self.client.send(request)
        except httpx.HTTPError as exc:
            self.result.findings.append(
                FuzzFinding(system, f"no answer ({type(exc).__name__})", expected, None, shown, "")
            )
            return
        status = response.status_code
        if status >= 500:
            problem = f"{status} to {what}"
        elif expected == "4xx" and not 400 <= status < 500:
            problem = f"{status} (accepted) to {what}"
        else:
            return
        self.result.findings.append(FuzzFinding(system, problem, expected, status, shown, _text(response.content)))

    def fuzz(self, system: str, operation: Any, max_cases: int, mode: GenerationMode) -> None:
        @generated_cases(max_cases)
        @given(case=operation.as_strategy(generation_mode=mode))
        def one_case(case: Any) -> None:
            if time.monotonic() > self.deadline:
                self.result.stopped_by_deadline = True
                return
            kwargs = case.as_transport_kwargs(base_url="http://receiver.invalid")
            headers = {k: str(v) for k, v in kwargs.get("headers", {}).items()}
            body = _body_bytes(kwargs)
            broken = _broken(case, body, self.validators[system])
            if broken is not None:
                self.send(system, headers, body, expected="4xx", what=f"a request with a malformed {broken}")
                if system == "carrier" and "body" in broken and self.secret:
                    signed = {**headers, SIGNATURE_HEADER: carrier_signature(body, self.secret)}
                    self.send(system, signed, body, expected="4xx", what="a properly signed malformed body")
                return
            if system == "carrier":
                self.send(system, headers, body, expected="4xx", what="an event signed with the wrong secret")
                if self.secret:
                    signed = {**headers, SIGNATURE_HEADER: carrier_signature(body, self.secret)}
                    self.send(system, signed, body, expected="not 5xx", what="a properly signed valid event")
                return
            self.send(system, headers, body, expected="not 5xx", what="a valid event")

        one_case()

    def oversized(self, system: str) -> None:
        body = b"[" + b"0," * (OVERSIZED_BYTES // 2) + b"0]"
        headers = {"Content-Type": "application/json", "shipbob-topic": "order_shipped"}
        if system == "carrier" and self.secret:
            headers[SIGNATURE_HEADER] = carrier_signature(body, self.secret)
        self.send(system, headers, body, expected="4xx", what=f"an oversized body ({len(body)} bytes, an array)")


def _text(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    return text[:BODY_LIMIT] + ("…" if len(text) > BODY_LIMIT else "")


def _writes(history: History, since: float, until: float) -> list[str]:
    """Writes the SUT sent to any mock between two wall-clock instants."""
    return [
        exchange.line()
        for exchange in history.exchanges(direction=DIRECTION_TO_MOCK)
        if since <= exchange.wall_time <= until
        and exchange.method not in ("GET", "HEAD", "OPTIONS")
        and exchange.path not in READ_ONLY_WRITES
    ]


async def _settle(run: Run) -> None:
    """Until the SUT has written nothing to a mock for a moment (or the deadline)."""
    loop = asyncio.get_running_loop()
    start = time.monotonic()
    deadline = loop.time() + SETTLE_DEADLINE
    while loop.time() < deadline:
        if run.stage.activity.quiet_for(start) >= QUIET_SECONDS:
            return
        await asyncio.sleep(0.1)


async def fuzz_sut(
    sut: SutConfig,
    *,
    spec: Path = SPEC_PATH,
    out_dir: Path = Path("runs"),
    max_cases: int = 50,
    time_budget: float = 120.0,
    progress: Callable[[str], None] | None = None,
) -> FuzzResult:
    """Stage the mocks, start the SUT as ``rehearse run`` does, fuzz its receivers, read the History."""
    schema = load_receiver_spec(spec)
    operations = {}
    for loaded in schema.get_all_operations():
        if not isinstance(loaded, Ok):
            raise FuzzError(f"receiver spec {spec}: {loaded.err()}")
        operation = loaded.ok()
        operations[_system(operation.path)] = operation
    validators = body_validators(spec)
    scenario = scenarios.load(SCENARIO)
    scenario_run = Run(RunOptions(scenario=scenario, sut=sut, out_dir=out_dir))
    result = FuzzResult(scenario_run.run_dir)
    servers: list[MockServer] = []
    began = ended = 0.0
    try:
        servers = await scenario_run._serve_mocks()
        await scenario_run._start_sut(servers)
        await _settle(scenario_run)
        receivers = {
            system: url for system in operations if (url := scenario_run.stage.outbox.receiver(system)) is not None
        }
        secret = scenario_run.stage.carrier.knobs.webhook_secret
        fuzzer = ReceiverFuzzer(receivers, validators, secret, time.monotonic() + time_budget, result)

        def drive() -> None:
            for system in receivers:
                for mode in (GenerationMode.NEGATIVE, GenerationMode.POSITIVE):
                    fuzzer.fuzz(system, operations[system], max_cases, mode)
                fuzzer.oversized(system)
                if progress is not None:
                    progress(f"{system}: {result.cases.get(system, 0)} cases")

        began = time.time()
        started = time.monotonic()
        try:
            await asyncio.to_thread(drive)
        finally:
            fuzzer.client.close()
        result.seconds = time.monotonic() - started
        await _settle(scenario_run)
        ended = time.time()
    except (HostingError, SutError) as exc:
        raise FuzzError(str(exc)) from exc
    finally:
        await scenario_run._shut_down(servers)
        scenario_run.recorder.close()
    with History(scenario_run.run_dir / "history.sqlite") as history:
        result.writes = _writes(history, began, ended)
    (scenario_run.run_dir / "fuzz.json").write_text(json.dumps(result.to_json(), indent=2) + "\n")
    return result
