"""ShipBob webhooks, as the 1.0 API sends them: the resource itself is the body.

``order_shipped`` carries the order (it fires once per shipment, so a split order announces itself
several times with the same order id: receivers tell them apart by the shipments' tracking);
the ``shipment_*`` topics carry the shipment; ``return.completed`` the return. The topic travels
in the ``shipbob-topic`` header, the subscription in ``shipbob-subscription-id``.
"""

from __future__ import annotations

import json
from typing import Any

from harness.outbox import Message, Outbox
from mocks.wms.state import TOPICS, WmsState

SYSTEM = "wms"

RETRY_SCHEDULE: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
"""Seconds between attempts. ShipBob documents "exponential backoff for up to 24 hours" for 1.0;
the delays follow the schedule a public description of its current webhooks gives (immediately,
5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), not confirmed from a primary source."""


class WebhookDesk:
    """Decides which topics are sent (API subscriptions plus the harness's own) and sends them."""

    def __init__(self, state: WmsState, outbox: Outbox, harness_topics: tuple[str, ...]) -> None:
        unknown = set(harness_topics) - set(TOPICS)
        if unknown:
            raise ValueError(f"unknown WMS webhook topics: {sorted(unknown)}")
        self.state = state
        self.outbox = outbox
        self.harness_topics = frozenset(harness_topics)
        self.sequence = 0

    def publish(self, topic: str, body: dict[str, Any], *keys: str) -> None:
        subscription = next((s for s in self.state.subscriptions.values() if s.topic == topic), None)
        if subscription is None and topic not in self.harness_topics:
            return
        self.sequence += 1
        self.outbox.publish(
            Message(
                system=SYSTEM,
                topic=topic,
                event_id=f"{SYSTEM}:{self.sequence}",
                body=json.dumps(body, separators=(",", ":")).encode(),
                business_keys=tuple(k for k in keys if k),
                headers={
                    "shipbob-topic": topic,
                    "shipbob-subscription-id": str(subscription.id if subscription else 0),
                },
            )
        )
