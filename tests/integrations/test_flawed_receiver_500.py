"""The flawed ``receiver_500_on_unknown_field``: a carrier event with a field its model lacks is a 500.

In process and fast; ``tests/contracts/test_fuzz_sut.py`` proves ``rehearse contracts fuzz-sut``
finds it from the outside.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fulfilment_doubles import CARRIER_SECRET, FulfilmentSystems, event_id, fulfilment_settings, tracker_event
from sut_doubles import FaultyTransport, inbox_rows, serving

from integrations.flawed.receiver_500_on_unknown_field import build_app as build_flawed_app
from integrations.reference.app import build_app as build_reference_app
from integrations.reference.fulfilment_events import carrier_signature

pytestmark = pytest.mark.anyio


def with_new_field() -> tuple[bytes, dict[str, str]]:
    body, _ = tracker_event("9400100000000000000001", "in_transit", event_id(1))
    message = json.loads(body)
    message["fees"] = []  # a field EasyPost events may carry that the flawed model never listed
    body = json.dumps(message).encode()
    return body, {"Content-Type": "application/json", "X-Hmac-Signature": carrier_signature(body, CARRIER_SECRET)}


async def test_the_reference_accepts_an_event_with_a_field_it_does_not_know(tmp_path: Path) -> None:
    settings = fulfilment_settings(tmp_path / "state")
    body, headers = with_new_field()
    async with serving(build_reference_app(settings, transport=FaultyTransport(FulfilmentSystems()))) as sut:
        response = await sut.post("/webhooks/carrier", content=body, headers=headers)
    assert response.status_code == 200


async def test_the_flawed_variant_answers_500_and_stores_nothing(tmp_path: Path) -> None:
    settings = fulfilment_settings(tmp_path / "state")
    body, headers = with_new_field()
    app = build_flawed_app(settings, transport=FaultyTransport(FulfilmentSystems()))
    async with serving(app) as sut:
        with pytest.raises(ValueError, match="Extra inputs are not permitted"):  # the 500 page, in process
            await sut.post("/webhooks/carrier", content=body, headers=headers)
        known, known_headers = tracker_event("9400100000000000000002", "in_transit", event_id(2))
        assert (await sut.post("/webhooks/carrier", content=known, headers=known_headers)).status_code == 200
    assert len(inbox_rows(settings.state_dir)) == 1
