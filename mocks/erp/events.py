"""What the ERP tells middleware: user-event scripts posting each committed change as JSON.

A NetSuite account that pushes to middleware deploys an ``afterSubmit`` user-event script per
record type; the script posts a small JSON document with ``N/https`` and, because a failed post
would otherwise be lost, queues failures in a custom record that a scheduled script retries. The
mock sends the same document through the shared outbox (at-least-once, on that retry queue's
schedule). ``eventId`` identifies an event: a redelivery carries the same one. The shape is in
``contracts/events/erp-event.schema.json``.

Topics (deploy only the ones a scenario's workflows consume; none by default):
``order.booked``, ``order.fulfilled``, ``order.invoiced``, ``return.received``, ``refund.issued``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from harness.outbox import Message
from mocks.erp.state import Change, ErpState, Transaction, format_datetime

TOPICS = ("order.booked", "order.fulfilled", "order.invoiced", "return.received", "refund.issued")
SCHEMA_ID = "rehearse-ErpEvent-v1"

RETRY_SCHEDULE: tuple[float, ...] = (
    60,
    300,
    900,
    900,
    900,
    1800,
    3600,
    3600,
    3600,
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
)
"""Seconds between attempts: a minute, five, then the retry queue's scheduled script every 15 minutes,
backing off to every 2 hours, for about 24 hours in all."""


class ErpEventStream:
    """Turns committed changes into the messages the deployed scripts post, numbered per account."""

    def __init__(self, system: str, state: ErpState, topics: Iterable[str] = ()) -> None:
        unknown = set(topics) - set(TOPICS)
        if unknown:
            raise ValueError(f"unknown ERP event topics {sorted(unknown)} (known: {', '.join(TOPICS)})")
        self.system = system
        self.state = state
        self.topics = frozenset(topics)
        self.sequence = 0

    def deployed(self, change: Change) -> bool:
        return change.kind in self.topics

    def message(self, change: Change, occurred_at: datetime) -> Message:
        self.sequence += 1
        event_id = f"{self.system}:{self.sequence}"
        record, order = change.record, change.order
        body: dict[str, Any] = {
            "schema": SCHEMA_ID,
            "eventId": event_id,
            "eventType": change.kind,
            "account": self.system,
            "occurredAt": format_datetime(occurred_at),
            "record": self._summary(record),
            "lines": [
                {
                    "line": line.line,
                    **({"orderLine": line.order_line} if line.order_line is not None else {}),
                    "item": line.item_id,
                    "sku": self.state.items[line.item_id].name,
                    "quantity": line.quantity,
                    "rate": line.rate,
                    "amount": line.amount,
                    **({"location": self.state.locations[line.location_id].name} if line.location_id else {}),
                    **({"disposition": line.disposition} if line.disposition else {}),
                }
                for line in record.lines
            ],
        }
        if record.type == "customerRefund":
            body["applied"] = [{"creditMemo": memo, "amount": amount} for memo, amount in record.applications]
        if order is not None:
            body["salesOrder"] = self._summary(order)
        keys = [k for k in (order.external_id if order else None, order.tran_id if order else None) if k]
        return Message(
            system=self.system,
            topic=change.kind,
            event_id=event_id,
            body=json.dumps(body, separators=(",", ":")).encode(),
            business_keys=(*keys, record.tran_id),
        )

    @staticmethod
    def _summary(record: Transaction) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "recordType": record.type,
            "id": record.id,
            "tranId": record.tran_id,
            "status": record.status_name,
            "total": record.total,
            "lastModifiedDate": record.modified,
        }
        for name, value in (
            ("externalId", record.external_id),
            ("otherRefNum", record.other_ref_num),
            ("createdFrom", record.created_from),
        ):
            if value is not None:
                summary[name] = value
        return summary
