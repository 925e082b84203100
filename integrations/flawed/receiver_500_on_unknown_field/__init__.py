"""Carrier webhooks read into a strict model: any field the model does not know is an unhandled 500.

The classic: the team modelled EasyPost's ``Event`` with ``extra="forbid"`` to "catch mistakes",
listing the fields it saw in the docs. EasyPost adds a field to its events (as it does), every
tracker update answers 500, EasyPost retries and then gives up, and tracking stops moving. The body
is still checked against the contract first, so malformed events get their 400 as before.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict

from integrations.reference.app import build_app as build_reference_app
from integrations.reference.fulfilment_events import TrackerEvent, parse_carrier_event


class EasyPostEvent(BaseModel):
    """The fields of an ``Event`` as the contract lists them today, and not one more."""

    model_config = ConfigDict(extra="forbid")

    object: str
    id: str
    mode: str
    description: str
    previous_attributes: dict[str, Any]
    result: dict[str, Any]
    created_at: str
    updated_at: str
    status: str | None = None
    pending_urls: list[str] | None = None
    completed_urls: list[str] | None = None
    user_id: str | None = None


def read_strictly(body: bytes) -> tuple[TrackerEvent, dict[str, Any]]:
    event, message = parse_carrier_event(body)
    EasyPostEvent.model_validate(message)  # raises ValidationError on an unknown field; nobody catches it
    return event, message


build_app = partial(build_reference_app, read_carrier_event=read_strictly)
