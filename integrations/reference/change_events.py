"""Salesforce order change events: the contract's JSON Schema, and the parts of an event W1 acts on.

The schema is the one in ``contracts/``, read from the repository rather than copied, so the
receiver cannot drift from the contract the checker holds it to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from contracts import EVENTS

SCHEMA_PATH = EVENTS / "salesforce-order-change-event.schema.json"
_VALIDATOR = Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


class InvalidEvent(ValueError):
    """The body is not an order change event; the message says why, for the 400 answer."""


@dataclass(frozen=True)
class OrderChangeEvent:
    replay_id: int
    change_type: str
    record_ids: tuple[str, ...]
    status: str | None
    changed_fields: frozenset[str]

    @property
    def may_activate(self) -> bool:
        """Whether the change could have activated the orders, so that they are worth reading.

        CDC carries only changed fields (all fields on CREATE, whose ``changedFields`` is empty), so
        an activation shows as ``Status`` in the payload or in ``changedFields``. The order itself,
        read afterwards, is what decides.
        """
        if self.change_type == "DELETE":
            return False
        return self.status == "Activated" or "Status" in self.changed_fields

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> OrderChangeEvent:
        """Reads a message already validated against the schema."""
        payload = message["payload"]
        header = payload["ChangeEventHeader"]
        return cls(
            replay_id=int(message["event"]["replayId"]),
            change_type=header["changeType"],
            record_ids=tuple(header["recordIds"]),
            status=payload.get("Status"),
            changed_fields=frozenset(header["changedFields"]),
        )


def parse_order_change_event(body: bytes) -> tuple[OrderChangeEvent, dict[str, Any]]:
    """The event and its message, or ``InvalidEvent`` for anything the contract does not allow."""
    try:
        message = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise InvalidEvent(f"body is not JSON: {error}") from None
    violation = best_match(_VALIDATOR.iter_errors(message))
    if violation is not None:
        where = "/".join(str(part) for part in violation.absolute_path) or "(root)"
        raise InvalidEvent(f"{where}: {violation.message[:300]}")
    return OrderChangeEvent.from_message(message), message
