"""Salesforce change events: the contracts' JSON Schemas, and the parts of an event W1 (orders) and W6
(return cases) act on.

The schema is the one in ``contracts/``, read from the repository rather than copied, so the
receiver cannot drift from the contract the checker holds it to.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from contracts import EVENTS

SCHEMA_PATH = EVENTS / "salesforce-order-change-event.schema.json"
_VALIDATOR = Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
CASE_SCHEMA_ID = "rehearse-CaseChangeEvent-v1"
CASE_SCHEMA_PATH = EVENTS / "salesforce-case-change-event.schema.json"
_CASE_VALIDATOR = Draft202012Validator(json.loads(CASE_SCHEMA_PATH.read_text(encoding="utf-8")))
CASE_CHANNEL = "/data/CaseChangeEvent"


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


@dataclass(frozen=True)
class CaseChangeEvent:
    replay_id: int
    change_type: str
    record_ids: tuple[str, ...]

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> CaseChangeEvent:
        """Reads a message already validated against the schema."""
        header = message["payload"]["ChangeEventHeader"]
        return cls(
            replay_id=int(message["event"]["replayId"]),
            change_type=header["changeType"],
            record_ids=tuple(header["recordIds"]),
        )


def parse_order_change_event(body: bytes) -> tuple[OrderChangeEvent, dict[str, Any]]:
    """The event and its message, or ``InvalidEvent`` for anything the contract does not allow."""
    message = _valid(body)
    return OrderChangeEvent.from_message(message), message


def parse_salesforce_event(body: bytes) -> tuple[int, str | None, dict[str, Any]]:
    """Replay id, channel and message of an order or a case change event (told apart by ``schema``);
    the channel is ``None`` for orders, as W1 has always stored them, and ``CASE_CHANNEL`` for cases."""
    message = _valid(body)
    channel = CASE_CHANNEL if message.get("schema") == CASE_SCHEMA_ID else None
    return int(message["event"]["replayId"]), channel, message


def _valid(body: bytes) -> dict[str, Any]:
    return valid_message(
        body,
        lambda message: (
            _CASE_VALIDATOR if isinstance(message, dict) and message.get("schema") == CASE_SCHEMA_ID else _VALIDATOR
        ),
    )


def valid_message(body: bytes, validator_for: Callable[[Any], Draft202012Validator]) -> dict[str, Any]:
    """The JSON message in ``body`` if the schema ``validator_for`` picks for it allows it; otherwise
    ``InvalidEvent`` saying where and why, for the 400 answer."""
    try:
        message = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise InvalidEvent(f"body is not JSON: {error}") from None
    violation = best_match(validator_for(message).iter_errors(message))
    if violation is not None:
        where = "/".join(str(part) for part in violation.absolute_path) or "(root)"
        raise InvalidEvent(f"{where}: {violation.message[:300]}")
    if not isinstance(message, dict):  # every schema requires an object; this is for the type checker
        raise InvalidEvent("(root): not an object")
    return message
