"""EasyPost ``Event`` webhooks for trackers, signed as the vendor signs them.

The signature is ``X-Hmac-Signature: hmac-sha256-hex=<hex>``: HMAC-SHA256 over the raw body, keyed
with the webhook secret after NFKD normalisation (exactly what ``easypost.util.validate_webhook``
checks). The body is fixed at publish time, so every redelivery is byte-identical and carries the
same ``evt_`` id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from typing import Any

from harness.outbox import Message
from mocks.carrier.state import CarrierState, Tracker

SYSTEM = "carrier"

RETRY_SCHEDULE: tuple[float, ...] = (60, 120, 300, 600, 1200, 2400, 3600, 7200, 14400, 28800, 28800)
"""Seconds between attempts. EasyPost documents only "a progressive backoff" within a 24-hour
failsafe (no public schedule), so this backs off from a minute to eight hours, about 24 h in all."""

SIGNATURE_HEADER = "X-Hmac-Signature"


def signature(body: bytes, secret: str) -> str:
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def tracker_event(
    state: CarrierState,
    tracker: Tracker,
    description: str,
    previous: dict[str, Any],
    secret: str | None,
) -> Message:
    """One ``tracker.created`` or ``tracker.updated`` Event, as a signed outbox message."""
    now = state.now()
    event_id = state.mint("evt")
    body = json.dumps(
        {
            "object": "Event",
            "id": event_id,
            "mode": "test",
            "description": description,
            "previous_attributes": previous,
            "result": tracker.to_json(),
            "status": "pending",
            "pending_urls": [],
            "completed_urls": [],
            "user_id": "user_rehearse",
            "created_at": now,
            "updated_at": now,
        },
        separators=(",", ":"),
    ).encode()
    headers = {SIGNATURE_HEADER: signature(body, secret)} if secret else {}
    return Message(
        system=SYSTEM,
        topic=description,
        event_id=event_id,
        body=body,
        business_keys=(tracker.tracking_code, tracker.id),
        headers=headers,
    )
