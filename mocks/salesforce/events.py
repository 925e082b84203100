"""Change Data Capture messages, as a Salesforce org pushes them to middleware.

Delivered as JSON callouts through the shared outbox (at-least-once, retried on the Outbound
Message schedule). ``event.replayId`` is the event's identity: a redelivery carries the same one.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from harness.outbox import Message

SYSTEM = "salesforce"
SCHEMA_ID = "rehearse-OrderChangeEvent-v1"

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


class ChangeEventStream:
    """Numbers change events the way the org's event bus does: replay ids and commit numbers rise."""

    def __init__(self, rng: random.Random, commit_user: str) -> None:
        self._rng = rng
        self._commit_user = commit_user
        self.replay_id = 0
        self.commit_number = 10_000_000_000

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
        self.replay_id += 1
        self.commit_number += 1
        header = {
            "entityName": "Order",
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
        body = {
            "schema": SCHEMA_ID,
            "payload": {"ChangeEventHeader": header, **changed},
            "event": {"replayId": self.replay_id},
        }
        return Message(
            system=SYSTEM,
            topic="/data/OrderChangeEvent",
            event_id=f"{SYSTEM}:{self.replay_id}",
            body=json.dumps(body, separators=(",", ":")).encode(),
            business_keys=(record_id, *business_keys),
        )
