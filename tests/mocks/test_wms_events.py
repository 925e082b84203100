"""Every webhook the WMS and the carrier send validates against its schema in contracts/events/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from shipping_rig import outbox_of, run_for, shipping_pair

from harness.population import generate
from harness.recorder import Recorder
from mocks.carrier import CarrierKnobs
from mocks.wms import CHANNEL_HEADER, WmsKnobs

EVENTS = Path(__file__).resolve().parents[2] / "contracts" / "events"
SCHEMA_BY_TOPIC = {
    "order_shipped": "wms-order-shipped.schema.json",
    "shipment_delivered": "wms-shipment-event.schema.json",
    "shipment_exception": "wms-shipment-event.schema.json",
    "shipment_onhold": "wms-shipment-event.schema.json",
    "shipment_cancelled": "wms-shipment-event.schema.json",
    "return.completed": "wms-return-completed.schema.json",
    "tracker.created": "carrier-tracker-event.schema.json",
    "tracker.updated": "carrier-tracker-event.schema.json",
}


def validators() -> dict[str, Draft202012Validator]:
    schemas = {p.name: json.loads(p.read_text()) for p in EVENTS.glob("*.schema.json")}
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
    )
    return {topic: Draft202012Validator(schemas[name], registry=registry) for topic, name in SCHEMA_BY_TOPIC.items()}


def test_every_published_event_matches_its_schema(
    recorder: Recorder, outbox_client: httpx.AsyncClient, api_for: Any
) -> None:
    population = generate(9, customers=2, products=6, locations=("WH-EAST", "WH-WEST"), stock_per_location=(2, 20))
    knobs = WmsKnobs(split_probability=0.5, partial_probability=0.3, backorder_probability=0.3, onhold_probability=0.5)
    wms, _ = shipping_pair(
        recorder, outbox_client, population, wms=knobs, carrier=CarrierKnobs(failed_attempt_rate=0.3)
    )
    sb = api_for(wms.asgi_app())
    headers = {"Authorization": f"Bearer {wms.token}", CHANNEL_HEADER: str(wms.channel.id)}
    customer = population.customers[0]
    for n in range(30):
        body = {
            "reference_id": f"SO-{n}",
            "shipping_method": "Standard",
            "recipient": {
                "name": customer.name,
                "address": {
                    "address1": customer.street,
                    "city": customer.city,
                    "country": "US",
                    "zip_code": customer.postal_code,
                },
            },
            "products": [{"reference_id": population.products[(n + k) % 6].sku, "quantity": 1 + k} for k in range(3)],
        }
        assert sb.post("/1.0/order", json=body, headers=headers).status_code == 201
    run_for(wms.context.world, 6 * 86400)
    for shipment in [s for s in wms.state.shipments.values() if s.stage in ("Shipped", "Delivered")][:5]:
        product = wms.state.products[next(iter(shipment.lines))]
        reply = sb.post(
            "/1.0/return",
            json={
                "reference_id": f"RMA-{shipment.id}",
                "original_shipment_id": shipment.id,
                "inventory": [{"id": product.id, "quantity": 1}],
            },
            headers=headers,
        )
        assert reply.status_code == 201, reply.text
    late = sb.post("/1.0/order", json={**body, "reference_id": "SO-cancelled"}, headers=headers).json()
    assert sb.post(f"/1.0/order/{late['id']}/cancel", headers=headers).status_code == 200
    run_for(wms.context.world, 10 * 86400)

    checks = validators()
    sent = outbox_of(wms.context).sent
    seen = {m.topic for m in sent}
    assert seen >= {
        "order_shipped",
        "shipment_delivered",
        "shipment_exception",
        "shipment_onhold",
        "shipment_cancelled",
        "return.completed",
        "tracker.created",
        "tracker.updated",
    }, seen
    for message in sent:
        errors = sorted(checks[message.topic].iter_errors(json.loads(message.body)), key=str)
        assert not errors, (message.topic, [e.message for e in errors[:3]])
