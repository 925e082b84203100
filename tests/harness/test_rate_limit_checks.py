"""Rate limits over hand-made histories: waiting out Retry-After passes, sending inside it or
repeating a refused request at once is named by the resilience checker."""

from __future__ import annotations

import json
import time
from pathlib import Path

from harness.recorder import DIRECTION_TO_MOCK, Exchange, Recorder
from harness.verdict import judge_run

LIMITED = json.dumps([{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]).encode()
CONCURRENCY = json.dumps(
    {"status": 429, "o:errorDetails": [{"detail": "Concurrent request limit exceeded. Request blocked."}]}
).encode()
T0 = 1_800_000_000.0


def call(
    system: str, at: float, status: int, *, path: str = "/x", retry_after: str | None = None, body: bytes = b""
) -> Exchange:
    return Exchange(
        system,
        DIRECTION_TO_MOCK,
        "GET",
        path,
        at,
        T0 + at,
        status=status,
        response_headers={"retry-after": retry_after} if retry_after else {},
        response_body=body,
        latency_ms=5.0,
        correlation_id=f"order-{path}",
    )


def findings(tmp_path: Path, calls: list[Exchange]) -> list[tuple[str, str]]:
    run_dir = tmp_path / f"run-{time.monotonic_ns()}"
    run_dir.mkdir()
    recorder = Recorder(run_dir / "history.sqlite")
    recorder.run_info("run", {"scenario": "limits", "seed": 1, "speed": 60, "workflows": ["W1"]})
    recorder.run_info("complete", True)
    for exchange in calls:
        recorder.exchange(exchange)
    recorder.close()
    # Only resilience: the synthetic paths here are no vendor's, so the contract checker would object.
    return [
        (f.checker, f.invariant) for r in judge_run(run_dir).results for f in r.findings if f.checker == "resilience"
    ]


def test_calls_after_the_retry_after_has_passed_are_fine(tmp_path: Path) -> None:
    calls = [
        call("salesforce", 0.0, 403, retry_after="2", body=LIMITED),
        call("salesforce", 0.001, 200, path="/in-flight"),  # sent before the refusal came back
        call("salesforce", 2.1, 200),
        call("erp", 0.5, 200),  # another system is not bound by Salesforce's limit
    ]
    assert findings(tmp_path, calls) == []


def test_the_refused_request_sent_again_inside_its_retry_after_is_named(tmp_path: Path) -> None:
    calls = [call("salesforce", 0.0, 403, retry_after="5", body=LIMITED), call("salesforce", 1.0, 200)]
    assert findings(tmp_path, calls) == [("resilience", "the SUT waits out a rate limit's Retry-After")]


def test_another_call_that_may_have_been_on_its_way_is_not_held_against_the_sut(tmp_path: Path) -> None:
    calls = [call("salesforce", 0.0, 403, retry_after="5", body=LIMITED), call("salesforce", 1.0, 200, path="/y")]
    assert findings(tmp_path, calls) == []


def test_a_403_that_is_not_a_rate_limit_binds_nothing(tmp_path: Path) -> None:
    calls = [call("salesforce", 0.0, 403, retry_after="5", body=b"[]"), call("salesforce", 1.0, 200)]
    assert findings(tmp_path, calls) == []


def test_a_request_refused_again_and_again_at_once_is_hammering(tmp_path: Path) -> None:
    hammering = [call("erp", n * 0.01, 429, body=CONCURRENCY) for n in range(12)]
    assert findings(tmp_path, hammering) == [("resilience", "the SUT backs off when rate-limited")]


def test_a_request_retried_with_backoff_is_not_hammering(tmp_path: Path) -> None:
    spaced = [call("erp", 0.2 * n, 429, body=CONCURRENCY) for n in range(12)]
    assert findings(tmp_path, spaced) == []
