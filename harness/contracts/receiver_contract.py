"""The OpenAPI of the webhook receivers a SUT must expose, built from the event schemas in ``contracts/events``.

``contracts/openapi/sut-receivers.json`` is this document, committed so that anyone's tools can read
it; building it from the event schemas (``python -m harness.contracts.receiver_contract``, and a test
that the committed file is what the build gives) keeps the two from drifting.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contracts import EVENTS
from contracts import HERE as CONTRACTS

SPEC_PATH = CONTRACTS / "openapi" / "sut-receivers.json"
SIGNATURE_HEADER = "X-Hmac-Signature"
WMS_TOPIC_HEADER = "shipbob-topic"
WMS_TOPICS = {
    "order_shipped": "wms-order-shipped",
    "shipment_delivered": "wms-shipment-event",
    "shipment_exception": "wms-shipment-event",
    "shipment_onhold": "wms-shipment-event",
    "shipment_cancelled": "wms-shipment-event",
    "return.completed": "wms-return-completed",
}
"""Which event schema each ShipBob topic's body follows."""


def _component(name: str) -> str:
    return f"#/components/schemas/{name}"


def _rehomed(node: Any, name: str) -> Any:
    """The schema with its ``$ref``s pointing into the OpenAPI document instead of at sibling files."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("$schema", "$id"):
                continue
            if key == "$ref" and isinstance(value, str):
                target, _, pointer = value.partition("#")
                owner = target.removesuffix(".schema.json") if target else name
                out[key] = _component(owner) + pointer
            else:
                out[key] = _rehomed(value, name)
        return out
    if isinstance(node, list):
        return [_rehomed(item, name) for item in node]
    return node


def _schemas() -> dict[str, Any]:
    return {
        path.name.removesuffix(".schema.json"): _rehomed(
            json.loads(path.read_text(encoding="utf-8")), path.name.removesuffix(".schema.json")
        )
        for path in sorted(EVENTS.glob("*.schema.json"))
    }


def _answers(*, signed: bool = False) -> dict[str, Any]:
    problem = {"application/json": {"schema": {"type": "object"}}}
    answers: dict[str, Any] = {
        "200": {"description": "Durably accepted (or a duplicate, or a valid event no workflow acts on)."},
        "400": {
            "description": "Not an event this receiver accepts: unparseable, wrong shape, unknown topic.",
            "content": problem,
        },
        "503": {"description": "Could not be stored now: the sender retries. Never for a malformed event."},
    }
    if signed:
        answers["401"] = {"description": "Unsigned, or not signed with the shared secret.", "content": problem}
    return answers


def _receiver(
    summary: str, body: dict[str, Any], parameters: list[dict[str, Any]], *, signed: bool = False
) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "parameters": parameters,
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": _answers(signed=signed),
        }
    }


def build_receiver_spec() -> dict[str, Any]:
    schemas = _schemas()
    wms_bodies = sorted(set(WMS_TOPICS.values()))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "rehearse: the webhook receivers a SUT exposes",
            "version": "1",
            "description": "What the mocks deliver to the integration under test (contracts/sut-environment.md)."
            " Delivery is at-least-once; a receiver answers 2xx once an event is durably accepted, 4xx (never 5xx)"
            " to anything malformed, and stores nothing it refused.",
        },
        "paths": {
            "/webhooks/salesforce": _receiver(
                "Salesforce order and case change events (Change Data Capture-shaped)",
                {
                    "anyOf": [
                        {"$ref": _component("salesforce-order-change-event")},
                        {"$ref": _component("salesforce-case-change-event")},
                    ]
                },
                [],
            ),
            "/webhooks/erp": _receiver("ERP user-event script callouts", {"$ref": _component("erp-event")}, []),
            "/webhooks/wms": _receiver(
                "ShipBob webhooks; the body follows the topic's schema",
                {"anyOf": [{"$ref": _component(name)} for name in wms_bodies]},
                [
                    {
                        "name": WMS_TOPIC_HEADER,
                        "in": "header",
                        "required": True,
                        "schema": {"enum": list(WMS_TOPICS)},
                    }
                ],
            ),
            "/webhooks/carrier": _receiver(
                "EasyPost tracker events, signed with the webhook secret",
                {"$ref": _component("carrier-tracker-event")},
                [
                    {
                        "name": SIGNATURE_HEADER,
                        "in": "header",
                        "required": True,
                        "description": "hmac-sha256-hex=<HMAC-SHA256 of the raw body with the NFKD-normalised secret>",
                        "schema": {"type": "string", "pattern": "^hmac-sha256-hex=[0-9a-f]{64}$"},
                    }
                ],
                signed=True,
            ),
        },
        "components": {"schemas": schemas},
    }


def render() -> str:
    return json.dumps(build_receiver_spec(), indent=2) + "\n"


def write(path: Path = SPEC_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write())
