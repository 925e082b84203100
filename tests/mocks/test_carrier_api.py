"""Mock carrier's EasyPost surface and its network's behaviour, driven in virtual time."""

from __future__ import annotations

import asyncio
import base64
import itertools
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from easypost.util import validate_webhook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shipping_rig import capturing_context, outbox_of

from harness.recorder import Recorder
from mocks.carrier import CarrierKnobs, CarrierMock, TransitTime
from mocks.carrier.state import NEXT_STATUSES

if TYPE_CHECKING:
    from conftest import Api

TO = {"street1": "417 Montgomery St", "city": "San Francisco", "state": "CA", "zip": "94104"}
FROM = {"street1": "1 Dock Rd", "city": "Edison", "state": "NJ", "zip": "08817"}
TERMINAL = {"delivered", "return_to_sender", "failure", "cancelled", "error"}


def build(
    recorder: Recorder, client: httpx.AsyncClient, knobs: CarrierKnobs = CarrierKnobs(), seed: int = 3
) -> CarrierMock:
    return CarrierMock(capturing_context(recorder, client, seed), knobs)


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def error_of(reply: httpx.Response, status: int) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "errors"}
    assert isinstance(body["error"]["errors"], list)
    return dict(body["error"])


@pytest.fixture
def carrier(recorder: Recorder, outbox_client: httpx.AsyncClient) -> CarrierMock:
    return build(recorder, outbox_client)


@pytest.fixture
def ep(carrier: CarrierMock, api_for: Any) -> Api:
    return api_for(carrier.asgi_app())


def shipment(ep: Api, carrier: CarrierMock, **extra: Any) -> httpx.Response:
    body = {"shipment": {"to_address": TO, "from_address": FROM, "parcel": {"weight": 10}, **extra}}
    return ep.post("/v2/shipments", json=body, headers=basic(carrier.api_key))


# -- auth --------------------------------------------------------------------------------------------


def test_basic_auth_with_the_key_as_user_name_and_bearer_are_both_accepted(ep: Api, carrier: CarrierMock) -> None:
    assert ep.get("/v2/trackers", headers=basic(carrier.api_key)).status_code == 200
    assert ep.get("/v2/trackers", token=carrier.api_key).status_code == 200


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Basic !!!"}, {"Authorization": "Bearer EZTKnope"}, {"Authorization": "Token x"}]
)
def test_missing_or_wrong_keys_get_401_in_easyposts_format(ep: Api, headers: dict[str, str]) -> None:
    assert error_of(ep.get("/v2/trackers", headers=headers), 401)["code"] == "APIKEY.REQUIRED"


# -- shipments, labels, idempotency ------------------------------------------------------------------


def test_shipment_has_rates_and_buying_returns_label_tracking_code_and_tracker(ep: Api, carrier: CarrierMock) -> None:
    created = shipment(ep, carrier)
    assert created.status_code == 201
    body = created.json()
    assert body["id"].startswith("shp_") and body["tracking_code"] is None
    rate = min(body["rates"], key=lambda r: float(r["rate"]))
    bought = ep.post(
        f"/v2/shipments/{body['id']}/buy", json={"rate": {"id": rate["id"]}}, headers=basic(carrier.api_key)
    )
    assert bought.status_code == 200
    sold = bought.json()
    assert sold["selected_rate"]["id"] == rate["id"]
    assert sold["postage_label"]["label_url"].endswith(".png")
    assert sold["tracker"]["tracking_code"] == sold["tracking_code"]
    assert sold["tracker"]["status"] == "pre_transit"
    again = ep.post(
        f"/v2/shipments/{body['id']}/buy", json={"rate": {"id": rate["id"]}}, headers=basic(carrier.api_key)
    )
    assert error_of(again, 422)["code"] == "SHIPMENT.POSTAGE.EXISTS"


@pytest.mark.parametrize(
    ("field", "address"),
    [
        ("shipment.to_address.zip", {k: v for k, v in TO.items() if k != "zip"}),
        ("shipment.to_address.street1", {**TO, "street1": "  "}),
        ("shipment.to_address", None),
    ],
)
def test_an_address_without_a_postal_code_is_refused(ep: Api, carrier: CarrierMock, field: str, address: Any) -> None:
    reply = ep.post(
        "/v2/shipments",
        json={"shipment": {"to_address": address, "from_address": FROM, "parcel": {"weight": 3}}},
        headers=basic(carrier.api_key),
    )
    error = error_of(reply, 422)
    assert error["code"] == "PARAMETER.REQUIRED"
    assert error["errors"] == [{"field": field, "message": "cannot be blank"}]
    assert carrier.state.shipments == {}


@pytest.mark.parametrize(
    "content", [b"{not json", b"[1, 2]", b'{"shipment": {"to_address": {}, "parcel": "heavy"}}', b'{"shipment": 5}']
)
def test_malformed_bodies_get_vendor_errors_never_a_500(ep: Api, carrier: CarrierMock, content: bytes) -> None:
    reply = ep.post("/v2/shipments", content=content, headers=basic(carrier.api_key))
    assert reply.status_code in (400, 422)
    error_of(reply, reply.status_code)


def test_unknown_paths_and_methods_answer_in_vendor_format(ep: Api, carrier: CarrierMock) -> None:
    error_of(ep.get("/v2/shipments/shp_nope", headers=basic(carrier.api_key)), 404)
    error_of(ep.get("/v2/nothing-here", headers=basic(carrier.api_key)), 404)
    error_of(ep.put("/v2/trackers", headers=basic(carrier.api_key)), 405)


def test_idempotency_key_replays_the_first_reply_and_refuses_reuse(ep: Api, carrier: CarrierMock) -> None:
    headers = {**basic(carrier.api_key), "Idempotency-Key": "create-SO1"}
    body = {"shipment": {"to_address": TO, "from_address": FROM, "parcel": {"weight": 10}}}
    first = ep.post("/v2/shipments", json=body, headers=headers)
    second = ep.post("/v2/shipments", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert len(carrier.state.shipments) == 1
    reuse = ep.post("/v2/shipments", json={"shipment": {**body["shipment"], "reference": "x"}}, headers=headers)
    assert error_of(reuse, 422)["code"] == "IDEMPOTENCY_KEY.REUSED"

    shipment_id = first.json()["id"]
    rate_id = first.json()["rates"][0]["id"]
    buy_headers = {**basic(carrier.api_key), "Idempotency-Key": "buy-SO1"}
    bought = [
        ep.post(f"/v2/shipments/{shipment_id}/buy", json={"rate": {"id": rate_id}}, headers=buy_headers)
        for _ in range(2)
    ]
    assert [b.status_code for b in bought] == [200, 200], "a retried buy replays instead of refusing"
    assert bought[0].json()["tracking_code"] == bought[1].json()["tracking_code"]


# -- trackers --------------------------------------------------------------------------------------


def test_tracker_create_retrieve_and_list(ep: Api, carrier: CarrierMock) -> None:
    auth = basic(carrier.api_key)
    created = ep.post(
        "/v2/trackers", json={"tracker": {"tracking_code": "EZ1000000001", "carrier": "usps"}}, headers=auth
    )
    assert created.status_code == 201
    tracker = created.json()
    assert tracker["id"].startswith("trk_") and tracker["status"] == "unknown" and tracker["carrier"] == "USPS"
    same = ep.post("/v2/trackers", json={"tracker": {"tracking_code": "EZ1000000001", "carrier": "USPS"}}, headers=auth)
    assert same.status_code == 200 and same.json()["id"] == tracker["id"]
    assert ep.get(f"/v2/trackers/{tracker['id']}", headers=auth).json() == tracker
    listed = ep.get("/v2/trackers", params={"tracking_code": "EZ1000000001"}, headers=auth).json()
    assert [t["id"] for t in listed["trackers"]] == [tracker["id"]] and listed["has_more"] is False
    error_of(ep.post("/v2/trackers", json={"tracker": {"carrier": "USPS"}}, headers=auth), 422)
    error_of(ep.get("/v2/trackers", params={"page_size": "0"}, headers=auth), 422)


def test_tracker_list_pages_newest_first(ep: Api, carrier: CarrierMock) -> None:
    auth = basic(carrier.api_key)
    ids = [
        ep.post("/v2/trackers", json={"tracker": {"tracking_code": f"EZ{n}"}}, headers=auth).json()["id"]
        for n in range(5)
    ]
    first = ep.get("/v2/trackers", params={"page_size": "2"}, headers=auth).json()
    assert [t["id"] for t in first["trackers"]] == ids[:2:-1][:2] and first["has_more"]
    rest = ep.get("/v2/trackers", params={"page_size": "10", "before_id": ids[3]}, headers=auth).json()
    assert [t["id"] for t in rest["trackers"]] == ids[2::-1] and not rest["has_more"]


# -- behaviour and webhooks --------------------------------------------------------------------------


def ship_many(carrier: CarrierMock, count: int, service: str = "GroundAdvantage") -> list[str]:
    return [
        carrier.purchase_label({**TO, "name": f"n{n}"}, FROM, 12.0, service, f"ref-{n}").tracking_code
        for n in range(count)
    ]


def run_days(carrier: CarrierMock, days: float) -> None:
    world = carrier.context.world
    asyncio.run(world.run_until(world.env.now + days * 86400))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    failed=st.floats(0, 1),
    weather=st.floats(0, 1),
    refused=st.floats(0, 0.5),
    service=st.sampled_from(["GroundAdvantage", "Priority", "Express"]),
)
def test_tracking_sequences_follow_the_carrier_state_machine(
    recorder: Recorder,
    outbox_client: httpx.AsyncClient,
    seed: int,
    failed: float,
    weather: float,
    refused: float,
    service: str,
) -> None:
    knobs = CarrierKnobs(failed_attempt_rate=failed, weather_delay_rate=weather, return_to_sender_rate=refused)
    carrier = build(recorder, outbox_client, knobs, seed)
    codes = ship_many(carrier, 12, service)
    run_days(carrier, 30)
    for code in codes:
        tracker = carrier.tracker_for(code)
        assert tracker is not None
        statuses = ["unknown"] + [d["status"] for d in tracker.tracking_details]
        for before, after in itertools.pairwise(statuses):
            assert after in NEXT_STATUSES[before], (code, statuses)
        assert statuses[-1] in TERMINAL, statuses
    updates = outbox_of(carrier.context).bodies("tracker.updated")
    for event in updates:
        previous = event["previous_attributes"].get("status")
        if previous is not None:
            assert event["result"]["status"] in NEXT_STATUSES[previous]


def test_exception_rates_show_up_as_their_milestones(recorder: Recorder, outbox_client: httpx.AsyncClient) -> None:
    always = CarrierKnobs(failed_attempt_rate=1.0, weather_delay_rate=1.0, return_to_sender_rate=0.0)
    carrier = build(recorder, outbox_client, always)
    [code] = ship_many(carrier, 1)
    run_days(carrier, 30)
    tracker = carrier.tracker_for(code)
    assert tracker is not None
    details = [d["status_detail"] for d in tracker.tracking_details]
    assert "weather_delay" in details and "delivery_exception" in details
    assert [d["status"] for d in tracker.tracking_details][-2:] == ["available_for_pickup", "delivered"]

    refusing = build(recorder, outbox_client, CarrierKnobs(return_to_sender_rate=1.0), seed=4)
    [code] = ship_many(refusing, 1)
    run_days(refusing, 30)
    returned = refusing.tracker_for(code)
    assert returned is not None and returned.status == "return_to_sender"


def test_transit_time_follows_the_service_distribution(recorder: Recorder, outbox_client: httpx.AsyncClient) -> None:
    fixed = {"GroundAdvantage": TransitTime(4, 4, 4), "Express": TransitTime(1, 1, 1)}
    knobs = CarrierKnobs(transit_days=fixed, failed_attempt_rate=0, weather_delay_rate=0, return_to_sender_rate=0)
    carrier = build(recorder, outbox_client, knobs)
    [slow] = ship_many(carrier, 1, "GroundAdvantage")
    [fast] = ship_many(carrier, 1, "Express")
    run_days(carrier, 1.5)
    fast_tracker, slow_tracker = carrier.tracker_for(fast), carrier.tracker_for(slow)
    assert fast_tracker is not None and slow_tracker is not None
    run_days(carrier, 2.5)
    assert fast_tracker.status == "delivered"
    assert slow_tracker.status == "in_transit"
    run_days(carrier, 3)
    assert slow_tracker.status == "delivered"
    assert slow_tracker.est_delivery_date is not None


@pytest.mark.parametrize(
    ("rounds", "delivered"),
    [({}, False), ({"round_start_hours": (0, 0.1), "out_for_delivery_hours": (0.2, 0.3)}, True)],
)
def test_a_same_day_delivery_round_delivers_within_the_morning(
    recorder: Recorder, outbox_client: httpx.AsyncClient, rounds: dict[str, Any], delivered: bool
) -> None:
    """The world opens at 08:00; rounds start from 09:00. By 09:30 only a short round has delivered:
    the default one goes out an hour or more later."""
    fixed = {"GroundAdvantage": TransitTime(0.01, 0.01, 0.01)}
    quick = {"transit_days": fixed, "pickup_delay_hours": (0.1, 0.1), **rounds}
    knobs = CarrierKnobs(**quick, failed_attempt_rate=0, weather_delay_rate=0, return_to_sender_rate=0)
    carrier = build(recorder, outbox_client, knobs)
    [code] = ship_many(carrier, 1)
    run_days(carrier, 1.5 / 24)
    tracker = carrier.tracker_for(code)
    assert tracker is not None and (tracker.status == "delivered") is delivered


def test_webhooks_are_event_objects_signed_with_the_harness_secret_until_one_is_registered(
    ep: Api, carrier: CarrierMock
) -> None:
    ship_many(carrier, 1)
    run_days(carrier, 1)
    sent = outbox_of(carrier.context).sent
    assert [m.topic for m in sent][:2] == ["tracker.created", "tracker.updated"]
    for message in sent:
        event = validate_webhook(message.body, dict(message.headers), carrier.knobs.webhook_secret)
        assert event["object"] == "Event" and event["id"].startswith("evt_")
        assert event["result"]["object"] == "Tracker"
    first_update = validate_webhook(sent[1].body, dict(sent[1].headers), carrier.knobs.webhook_secret)
    assert first_update["previous_attributes"] == {"status": "pre_transit"}
    assert first_update["result"]["status"] == "in_transit"

    auth = basic(carrier.api_key)
    hook = ep.post(
        "/v2/webhooks", json={"webhook": {"url": "http://127.0.0.1:9/h", "webhook_secret": "s3"}}, headers=auth
    )
    assert hook.status_code == 201 and hook.json()["id"].startswith("hook_")
    assert [h["id"] for h in ep.get("/v2/webhooks", headers=auth).json()["webhooks"]] == [hook.json()["id"]]
    run_days(carrier, 1)
    latest = outbox_of(carrier.context).sent[-1]
    assert validate_webhook(latest.body, dict(latest.headers), "s3")
    assert ep.request("DELETE", f"/v2/webhooks/{hook.json()['id']}", headers=auth).status_code == 200
    error_of(ep.request("DELETE", f"/v2/webhooks/{hook.json()['id']}", headers=auth), 404)
