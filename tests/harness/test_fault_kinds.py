"""Faults in isolation: channel faults reshape deliveries from the seed; the gate answers as the vendor."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from harness.clock import Clock
from harness.faults.api import Errors, LostAnswers, Outage, RateLimit
from harness.faults.channel import DelayedDeliveries, DroppedDeliveries, DuplicateDeliveries
from harness.faults.gate import ConnectionReset, FaultGate
from harness.outbox import Message
from harness.world import World
from scenarios import FaultSpec
from scenarios.distributions import Distribution, distribution


def message(n: int, system: str = "salesforce") -> Message:
    return Message(system=system, topic="t", event_id=f"{system}:{n}", body=b"{}")


def spec(
    kind: str, target: str = "salesforce.webhooks", start: float = 0, end: float = 100, **params: Any
) -> FaultSpec:
    return FaultSpec(target, kind, start, end, params)


def test_duplicates_add_spaced_copies_inside_the_window_only() -> None:
    fault = DuplicateDeliveries(spec("duplicate", probability=1.0, copies=2, spacing="10s"), random.Random(1))
    assert fault.plan(message(1), 50, [0.0]) == [0.0, 10.0, 20.0]
    assert fault.plan(message(2), 150, [0.0]) == [0.0]
    assert fault.plan(message(3, "erp"), 50, [0.0]) == [0.0]
    fault.heal()
    assert fault.plan(message(4), 50, [0.0]) == [0.0]


def test_channel_faults_replay_identically_from_the_same_seed() -> None:
    def plans(seed: int) -> list[list[float]]:
        fault = DelayedDeliveries(
            spec("delay", probability=0.5), random.Random(seed), distribution({"exponential": "1m"})
        )
        return [fault.plan(message(n), 10, [0.0]) for n in range(50)]

    assert plans(7) == plans(7)
    assert plans(7) != plans(8)
    delayed = [p for p in plans(7) if p != [0.0]]
    assert 10 < len(delayed) < 40


def test_reordering_lets_later_messages_overtake_earlier_ones() -> None:
    fault = DelayedDeliveries(spec("reorder"), random.Random(3), Distribution("uniform", 0, 120))
    departures = [n + fault.plan(message(n), n, [0.0])[0] for n in range(20)]
    assert departures != sorted(departures)


def test_dropped_messages_fail_their_first_attempts_then_get_through() -> None:
    fault = DroppedDeliveries(spec("drop", probability=1.0, attempts=2), random.Random(1))
    hit = message(1)
    fault.plan(hit, 10, [0.0])
    assert fault.intercept(hit, 1, 11) and fault.intercept(hit, 2, 40)
    assert fault.intercept(hit, 3, 100) is None
    assert fault.intercept(message(2), 1, 11) is None


def mock_app(writes: list[str]) -> Starlette:
    async def write(request: Request) -> JSONResponse:
        writes.append(request.url.path)
        return JSONResponse({"ok": True}, status_code=201)

    return Starlette(routes=[Route("/{path:path}", write, methods=["GET", "POST", "PATCH"])])


def call(app: Any, method: str = "POST", path: str = "/x", content: bytes | None = None) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as client:
            return await client.request(method, path, content=content)

    return asyncio.run(go())


@pytest.fixture
def world() -> World:
    return World(Clock(None), seed=1)


def test_an_outage_answers_503_in_the_vendors_shape_with_retry_after(world: World) -> None:
    writes: list[str] = []
    gate = FaultGate(
        mock_app(writes),
        system="salesforce",
        world=world,
        faults=[Outage(spec("outage", "salesforce", 0, 600), world, random.Random(1))],
    )
    response = call(gate)
    assert response.status_code == 503
    assert response.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert int(response.headers["retry-after"]) >= 1
    assert writes == []


def test_a_refused_request_is_read_whole_so_its_body_is_recorded(world: World) -> None:
    """The capture around the gate keeps a body as it is read: unread, a token request refused during
    an ERP outage was recorded empty and broke the contract (erp-outage seeds 3 and 4, small scale)."""
    read = bytearray()
    gate = FaultGate(
        mock_app([]), system="erp", world=world, faults=[Outage(spec("outage", "erp", 0, 600), world, random.Random(1))]
    )

    async def capture(scope: Any, receive: Any, send: Any) -> None:
        async def keep() -> Any:
            message = await receive()
            read.extend(message.get("body", b""))
            return message

        await gate(scope, keep, send)

    response = call(capture, content=b"grant_type=client_credentials")
    assert response.status_code == 503
    assert bytes(read) == b"grant_type=client_credentials"


def test_outside_its_window_a_fault_does_nothing(world: World) -> None:
    writes: list[str] = []
    gate = FaultGate(
        mock_app(writes),
        system="erp",
        world=world,
        faults=[Outage(spec("outage", "erp", 100, 600), world, random.Random(1))],
    )
    assert call(gate).status_code == 201
    assert writes == ["/x"]


def test_errors_use_netsuites_problem_details(world: World) -> None:
    gate = FaultGate(
        mock_app([]),
        system="erp",
        world=world,
        faults=[Errors(spec("errors", "erp", rate=1.0, status=500), world, random.Random(1))],
    )
    body = call(gate).json()
    assert body["status"] == 500 and body["o:errorDetails"][0]["o:errorCode"] == "UNEXPECTED_ERROR"


def test_a_rate_limit_lets_n_through_then_refuses_as_the_vendor(world: World) -> None:
    gate = FaultGate(
        mock_app([]),
        system="salesforce",
        world=world,
        faults=[RateLimit(spec("rate_limit", "salesforce", requests=3, per="1m"), world, random.Random(1))],
    )
    statuses = [call(gate).status_code for _ in range(5)]
    assert statuses == [201, 201, 201, 403, 403]
    refused = call(gate)
    assert refused.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    assert "retry-after" in refused.headers
    assert refused.headers["sforce-limit-info"] == "api-usage=3/3", "Salesforce reports usage on a refusal too"
    assert call(gate, path="/services/oauth2/token").status_code == 201, "sign-ins are not metered"


def test_commit_then_fail_applies_the_write_and_loses_the_answer(world: World) -> None:
    writes: list[str] = []
    gate = FaultGate(
        mock_app(writes),
        system="erp",
        world=world,
        faults=[LostAnswers(spec("commit_then_fail", "erp", probability=1.0), world, random.Random(1))],
    )
    response = call(gate)
    assert response.status_code == 503 and writes == ["/x"]
    assert call(gate, "GET").status_code == 201, "reads are never lost"


def test_commit_then_fail_by_reset_breaks_the_connection_after_the_write(world: World) -> None:
    writes: list[str] = []
    gate = FaultGate(
        mock_app(writes),
        system="erp",
        world=world,
        faults=[LostAnswers(spec("commit_then_fail", "erp", probability=1.0, mode="reset"), world, random.Random(1))],
    )
    with pytest.raises(ConnectionReset):
        call(gate)
    assert writes == ["/x"]
    assert json.dumps(writes)
