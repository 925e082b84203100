"""Fidelity: the official ``easypost`` Python client, unmodified, against the mock on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator

import easypost
import httpx
import pytest
from easypost.errors import NotFoundError, UnauthorizedError
from shipping_rig import LoopbackRig, capturing_context, outbox_of

from harness.recorder import Recorder
from mocks.carrier import CarrierMock

SEED = 7

TO = {
    "name": "Ada Shopper",
    "street1": "417 Montgomery St",
    "city": "San Francisco",
    "state": "CA",
    "zip": "94104",
    "country": "US",
}
FROM = {
    "company": "Rehearse Fulfilment",
    "street1": "1 Dock Rd",
    "city": "Edison",
    "state": "NJ",
    "zip": "08817",
    "country": "US",
}


@pytest.fixture
def served(recorder: Recorder, outbox_client: httpx.AsyncClient) -> Iterator[tuple[CarrierMock, LoopbackRig, str]]:
    context = capturing_context(recorder, outbox_client, SEED)
    carrier = CarrierMock(context)
    rig = LoopbackRig("carrier", carrier.asgi_app(), context.world)
    base = rig.start()
    try:
        yield carrier, rig, f"{base}/v2"
    finally:
        rig.stop()


def test_official_client_ships_buys_and_tracks(served: tuple[CarrierMock, LoopbackRig, str]) -> None:
    carrier, rig, api_base = served
    client = easypost.EasyPostClient(carrier.api_key, api_base=api_base)

    shipment = client.shipment.create(to_address=TO, from_address=FROM, parcel={"weight": 21.5}, reference="SO1001")
    assert shipment.id.startswith("shp_")
    assert {rate.service for rate in shipment.rates} == {"GroundAdvantage", "Priority", "Express"}

    bought = client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
    assert bought.tracking_code
    assert bought.postage_label.label_url.startswith("https://")
    assert bought.tracker.id.startswith("trk_")
    assert bought.tracker.status == "pre_transit"
    assert bought.tracker.est_delivery_date

    tracker = client.tracker.create(tracking_code=bought.tracking_code, carrier="USPS")
    assert tracker.id == bought.tracker.id, "a second create for the same code returns the existing tracker"

    rig.advance(14 * 86400)
    retrieved = client.tracker.retrieve(tracker.id)
    assert retrieved.status in {"delivered", "return_to_sender"}
    assert [d.status for d in retrieved.tracking_details][:2] == ["pre_transit", "in_transit"]

    listed = client.tracker.all(tracking_code=bought.tracking_code)
    assert [t.id for t in listed["trackers"]] == [tracker.id]


def test_official_client_raises_the_vendor_errors(served: tuple[CarrierMock, LoopbackRig, str]) -> None:
    _, _, api_base = served
    with pytest.raises(UnauthorizedError) as refused:
        easypost.EasyPostClient("EZTKwrong", api_base=api_base).tracker.all()
    assert refused.value.http_status == 401
    assert refused.value.http_body is not None
    assert json.loads(refused.value.http_body)["error"]["code"] == "APIKEY.REQUIRED"
    client = easypost.EasyPostClient(served[0].api_key, api_base=api_base)
    with pytest.raises(NotFoundError):
        client.tracker.retrieve("trk_" + "0" * 32)


def test_validate_webhook_accepts_the_mocks_signature(served: tuple[CarrierMock, LoopbackRig, str]) -> None:
    carrier, _, api_base = served
    client = easypost.EasyPostClient(carrier.api_key, api_base=api_base)
    secret = "ﬁnal-secret-é"  # a ligature and a composed accent: NFKD changes both
    client.webhook.create(url="http://127.0.0.1:9/webhooks/carrier", webhook_secret=secret)
    shipment = client.shipment.create(to_address=TO, from_address=FROM, parcel={"weight": 8})
    client.shipment.buy(shipment.id, rate=shipment.lowest_rate())

    [message] = [m for m in outbox_of(carrier.context).sent if m.topic == "tracker.created"]
    body, headers = message.body, dict(message.headers)
    event = easypost.util.validate_webhook(body, headers, secret)
    assert event["result"]["tracking_code"] and event["object"] == "Event"
    with pytest.raises(easypost.errors.SignatureVerificationError):
        easypost.util.validate_webhook(body, headers, "another-secret")
