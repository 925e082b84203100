"""Change Data Capture messages, as a Salesforce org pushes them to middleware.

Delivered as JSON callouts through the shared outbox (at-least-once, retried on the Outbound
Message schedule). ``event.replayId`` is the event's identity: a redelivery carries the same one.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from harness.outbox import Message

SYSTEM = "salesforce"
SCHEMA_ID = "rehearse-OrderChangeEvent-v1"
CASE_SCHEMA_ID = "rehearse-CaseChangeEvent-v1"

RETRY_SCHEDULE: tuple[float, ...] = (
    15,
    30,
    60,
    120,
    240,
    480,
    960,
    1920,
    3600,
    7200,
    7200,
    7200,
    7200,
    7200,
    7200,
    7200,
    7200,
    7200,
    7200,
    7200,
)
"""Seconds between attempts: doubling from 15 s, capped at 2 h, for about 24 h in all, as Salesforce
retries Outbound Messages."""

API_ORIGIN = "com/salesforce/api/rest/62.0"

CHANNEL = "/data/OrderChangeEvent"
CASE_CHANNEL = "/data/CaseChangeEvent"
CHANNELS = {"Order": (CHANNEL, SCHEMA_ID), "Case": (CASE_CHANNEL, CASE_SCHEMA_ID)}
"""Per entity with change data capture enabled, its channel and the schema id its messages carry.
Replay ids are numbered across channels, as one org's event bus numbers them: rising, not contiguous."""
RETENTION = timedelta(hours=72)
"""How long the event bus keeps an event for subscribers that replay (Change Data Capture: 72 hours)."""

REPLAY_TIP = -1
"""Replay id meaning "only events after now", as in CometD and the Pub/Sub API."""
REPLAY_ALL = -2
"""Replay id meaning "everything still retained"."""


class ReplayOutOfRange(ValueError):
    """A subscriber asked to resume after an event the bus no longer retains."""


@dataclass(frozen=True, slots=True)
class RetainedEvent:
    replay_id: int
    committed_at: datetime
    body: dict[str, Any]
    channel: str = CHANNEL


class ChangeEventStream:
    """Numbers change events the way the org's event bus does: replay ids and commit numbers rise."""

    def __init__(self, rng: random.Random, commit_user: str) -> None:
        self._rng = rng
        self._commit_user = commit_user
        self.replay_id = 0
        self.commit_number = 10_000_000_000
        self.retained: deque[RetainedEvent] = deque()

    def after(
        self, replay_id: int, now: datetime, limit: int, channel: str = CHANNEL
    ) -> tuple[list[RetainedEvent], int, bool]:
        """Events of ``channel`` after ``replay_id`` still within retention (at most ``limit``), the latest
        replay id, and whether that channel has more after them.

        This is what a subscriber resuming from its last processed replay id receives. Asking to resume
        from an event that has aged out is refused: events in between may be lost, and the subscriber
        must know it rather than silently skip them.
        """
        while self.retained and self.retained[0].committed_at < now - RETENTION:
            self.retained.popleft()
        if replay_id == REPLAY_TIP:
            return [], self.replay_id, False
        if replay_id < REPLAY_ALL or replay_id > self.replay_id:
            raise ReplayOutOfRange(replay_id)
        oldest_resumable = self.retained[0].replay_id - 1 if self.retained else self.replay_id
        if replay_id != REPLAY_ALL and replay_id < oldest_resumable:
            raise ReplayOutOfRange(replay_id)
        start = 0 if replay_id == REPLAY_ALL else replay_id + 1
        found = [e for e in self.retained if e.replay_id >= start and e.channel == channel]
        return found[:limit], self.replay_id, len(found) > limit

    def order_change(
        self,
        record_id: str,
        change_type: str,
        changed: dict[str, Any],
        committed_at: datetime,
        *,
        origin: str = API_ORIGIN,
        business_keys: Iterable[str] = (),
    ) -> Message:
        return self.change(
            "Order", record_id, change_type, changed, committed_at, origin=origin, business_keys=business_keys
        )

    def change(
        self,
        entity: str,
        record_id: str,
        change_type: str,
        changed: dict[str, Any],
        committed_at: datetime,
        *,
        origin: str = API_ORIGIN,
        business_keys: Iterable[str] = (),
    ) -> Message:
        self.replay_id += 1
        self.commit_number += 1
        header = {
            "entityName": entity,
            "recordIds": [record_id],
            "changeType": change_type,
            "changeOrigin": origin,
            "transactionKey": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            "sequenceNumber": 1,
            "commitTimestamp": int(committed_at.timestamp() * 1000),
            "commitNumber": self.commit_number,
            "commitUser": self._commit_user,
            "changedFields": sorted(changed) if change_type == "UPDATE" else [],
        }
        channel, schema = CHANNELS[entity]
        body = {
            "schema": schema,
            "payload": {"ChangeEventHeader": header, **changed},
            "event": {"replayId": self.replay_id},
        }
        self.retained.append(RetainedEvent(self.replay_id, committed_at, body, channel))
        return Message(
            system=SYSTEM,
            topic=channel,
            event_id=f"{SYSTEM}:{self.replay_id}",
            body=json.dumps(body, separators=(",", ":")).encode(),
            business_keys=(record_id, *business_keys),
        )
