"""The Salesforce webhook receiver: a malformed delivery is refused with no trace, a valid one is
stored once, and whatever goes wrong inside, the sender never sees a 500 or a traceback."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest
from sut_doubles import FaultyTransport, inbox_rows, order_event, serving

from integrations.reference.app import build_app
from integrations.reference.inbox import Inbox
from integrations.reference.settings import Settings

pytestmark = pytest.mark.anyio


def without(path: tuple[str, ...]) -> dict[str, Any]:
    event = order_event()
    parent = event
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return event


def changed(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    event = order_event()
    parent = event
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return event


HEADER = ("payload", "ChangeEventHeader")


async def test_health_answers_once_the_integration_is_up(settings: Settings, transport: FaultyTransport) -> None:
    async with serving(build_app(settings, transport=transport)) as sut:
        response = await sut.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_a_valid_event_is_stored_and_acknowledged(settings: Settings, transport: FaultyTransport) -> None:
    async with serving(build_app(settings, transport=transport)) as sut:
        response = await sut.post("/webhooks/salesforce", json=order_event(replay_id=17))
    assert (response.status_code, response.json()) == (200, {"accepted": True, "duplicate": False})
    [row] = inbox_rows(settings.state_dir)
    assert row["event_key"] == "salesforce/17"
    assert json.loads(row["body"]) == order_event(replay_id=17)


async def test_a_redelivery_is_acknowledged_and_not_stored_twice(
    settings: Settings, transport: FaultyTransport
) -> None:
    async with serving(build_app(settings, transport=transport)) as sut:
        first = await sut.post("/webhooks/salesforce", json=order_event(replay_id=17))
        again = await sut.post("/webhooks/salesforce", json=order_event(replay_id=17))
        other = await sut.post("/webhooks/salesforce", json=order_event(replay_id=18))
    assert [r.status_code for r in (first, again, other)] == [200, 200, 200]
    assert again.json() == {"accepted": True, "duplicate": True}
    assert [row["event_key"] for row in inbox_rows(settings.state_dir)] == ["salesforce/17", "salesforce/18"]


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"not json", b"\xff\xfe\xfa", b"[" * 100_000, b'{"schema": "x", "payload": {}, "event": NaN'],
    ids=["empty", "truncated", "text", "not-utf8", "deeply-nested", "broken"],
)
async def test_a_body_that_is_not_json_is_refused_without_side_effect(
    settings: Settings, transport: FaultyTransport, body: bytes
) -> None:
    async with serving(build_app(settings, transport=transport)) as sut:
        response = await sut.post("/webhooks/salesforce", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_event"
    assert inbox_rows(settings.state_dir) == []


@pytest.mark.parametrize(
    "message",
    [
        [order_event()],
        without(("event", "replayId")),
        changed(("event", "replayId"), 0),
        changed(("event", "replayId"), "17"),
        without(("schema",)),
        without((*HEADER, "changedFields")),
        changed((*HEADER, "entityName"), "Account"),
        changed((*HEADER, "recordIds"), []),
        changed((*HEADER, "recordIds"), ["0015g00000AcMeCAAV"]),
        changed((*HEADER, "changeType"), "MERGE"),
        changed(("payload", "Status"), "Shipped"),
    ],
    ids=[
        "array",
        "no-replay-id",
        "replay-id-zero",
        "replay-id-string",
        "no-schema",
        "no-changed-fields",
        "not-an-order",
        "no-record-ids",
        "account-id",
        "unknown-change-type",
        "unknown-status",
    ],
)
async def test_an_event_outside_the_contract_is_refused_without_side_effect(
    settings: Settings, transport: FaultyTransport, message: Any
) -> None:
    async with serving(build_app(settings, transport=transport)) as sut:
        response = await sut.post("/webhooks/salesforce", json=message)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_event"
    assert inbox_rows(settings.state_dir) == []


async def test_a_replay_id_too_big_for_sqlite_is_still_accepted(settings: Settings, transport: FaultyTransport) -> None:
    async with serving(build_app(settings, transport=transport)) as sut:
        response = await sut.post("/webhooks/salesforce", json=order_event(replay_id=2**70))
    assert response.status_code == 200
    assert [row["event_key"] for row in inbox_rows(settings.state_dir)] == [f"salesforce/{2**70}"]


async def test_a_storage_failure_is_a_503_without_traceback(
    settings: Settings, transport: FaultyTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_disk(*args: object, **kwargs: object) -> bool:
        raise sqlite3.OperationalError("disk I/O error")

    async with serving(build_app(settings, transport=transport)) as sut:
        monkeypatch.setattr(Inbox, "accept", broken_disk)
        response = await sut.post("/webhooks/salesforce", json=order_event())
    assert response.status_code == 503
    assert response.json() == {"error": "unavailable"}
