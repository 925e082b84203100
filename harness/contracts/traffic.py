"""Recorded traffic judged against the committed contracts.

A request the SUT sent a mock is held to that mock's OpenAPI document (the operation exists, its
path parameters and body are what the vendor accepts); the mock's answer to it likewise (a declared
status, the declared headers and body). A webhook a mock delivered is held to its event's JSON
Schema. A mock may tolerate what its vendor refuses (it would rather let a run go on): this is where
such a request is still caught.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from contracts import EVENTS, SYSTEMS
from harness.capture import KEPT_HEADERS
from harness.contracts.documents import committed, inlined
from harness.history import RecordedExchange
from harness.recorder import DIRECTION_TO_MOCK
from mocks.salesforce.events import CASE_SCHEMA_ID

EVENT_SCHEMAS = {
    "salesforce": "salesforce-order-change-event.schema.json",
    f"salesforce:{CASE_SCHEMA_ID}": "salesforce-case-change-event.schema.json",
    "erp": "erp-event.schema.json",
    "carrier": "carrier-tracker-event.schema.json",
    "wms:order_shipped": "wms-order-shipped.schema.json",
    "wms:return.completed": "wms-return-completed.schema.json",
    "wms": "wms-shipment-event.schema.json",
}
"""The event schema per sending system; ShipBob's topic (``shipbob-topic``) picks among its three, a Salesforce
event's ``schema`` between order and case changes."""
VALUE_LIMIT = 120


@dataclass(frozen=True, slots=True)
class Violation:
    """One way an exchange breaks its contract: where in the contract, and the value that broke it."""

    part: str
    """``request``, ``response`` or ``webhook``."""
    schema_path: str
    value: str
    message: str


def shown(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= VALUE_LIMIT else text[: VALUE_LIMIT - 3] + "..."


@dataclass(frozen=True, slots=True)
class _Operation:
    template: str
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    method: str
    spec: dict[str, Any]

    @property
    def pointer(self) -> str:
        return f"#/paths/{self.template.replace('~', '~0').replace('/', '~1')}/{self.method.lower()}"


class Contracts:
    """The committed OpenAPI documents and event schemas, compiled once per judgement."""

    def __init__(self, documents: Mapping[str, dict[str, Any]], events: Mapping[str, dict[str, Any]]) -> None:
        self.documents = documents
        self.events = events
        self._compiled: dict[int, Draft202012Validator] = {}

    def _validate(self, schema: dict[str, Any], value: Any, where: str, part: str) -> Iterator[Violation]:
        if value is None:
            return
        validator = self._compiled.get(id(schema))
        if validator is None:
            # Compiled once per schema: a long run judges the same few hundred schemas again and again.
            validator = self._compiled[id(schema)] = Draft202012Validator(schema)
        for error in validator.iter_errors(value):
            inner = "/".join(map(str, error.absolute_schema_path))
            located = "/".join(map(str, error.absolute_path))
            yield Violation(part, f"{where}/{inner}", shown(error.instance), f"at /{located}: {error.message[:200]}")

    @classmethod
    def committed(cls) -> Contracts:
        documents = {system: inlined(committed(system)) for system in SYSTEMS}
        events = {path.name: json.loads(path.read_text()) for path in EVENTS.glob("*.schema.json")}
        return cls(documents, events)

    @cached_property
    def _operations(self) -> dict[str, list[_Operation]]:
        compiled: dict[str, list[_Operation]] = {}
        for system, document in self.documents.items():
            found = []
            for template, methods in document["paths"].items():
                names = tuple(re.findall(r"{([^}]+)}", template))
                regex = re.escape(template)
                for name in names:
                    regex = regex.replace(re.escape("{" + name + "}"), "([^/]+)")
                for method, spec in methods.items():
                    found.append(_Operation(template, re.compile(f"^{regex}$"), names, method.upper(), spec))
            # Literal segments beat parameters: /sobjects/Order/describe is describe, not a record id.
            found.sort(key=lambda op: (len(op.names), -len(op.template)))
            compiled[system] = found
        return compiled

    @cached_property
    def _event_validators(self) -> dict[str, Draft202012Validator]:
        registry: Registry[Any] = Registry().with_resources(
            (schema["$id"], Resource.from_contents(schema)) for schema in self.events.values()
        )
        return {key: Draft202012Validator(self.events[name], registry=registry) for key, name in EVENT_SCHEMAS.items()}

    def judge(self, traffic: RecordedExchange) -> list[Violation]:
        if traffic.direction == DIRECTION_TO_MOCK:
            return self._judge_api(traffic)
        return self._judge_webhook(traffic)

    # -- the SUT calling a mock ------------------------------------------------------------------

    def _operation(self, system: str, method: str, path: str) -> tuple[_Operation, dict[str, str]] | None:
        for operation in self._operations.get(system.split("-")[0], []):
            match = operation.pattern.match(path)
            if match and operation.method == method:
                return operation, dict(zip(operation.names, match.groups(), strict=True))
        return None

    def _judge_api(self, traffic: RecordedExchange) -> list[Violation]:
        found = self._operation(traffic.system, traffic.method, traffic.path)
        if found is None:
            return [Violation("request", "#/paths", f"{traffic.method} {traffic.path}", "no such operation")]
        operation, path_values = found
        violations = list(self._request(operation, path_values, traffic))
        if traffic.status is not None:
            violations.extend(self._response(operation, traffic))
        return violations

    def _request(
        self, operation: _Operation, path_values: dict[str, str], traffic: RecordedExchange
    ) -> Iterator[Violation]:
        for index, param in enumerate(operation.spec.get("parameters", [])):
            where = f"{operation.pointer}/parameters/{index}/schema"
            if param["in"] == "path":
                yield from self._validate(param["schema"], path_values.get(param["name"], ""), where, "request")
            elif param["in"] == "header" and param.get("required") and _absent(param["name"], traffic.request_headers):
                yield Violation("request", where, "(absent)", f"required header {param['name']} is missing")
        content = operation.spec.get("requestBody", {}).get("content", {})
        for media_type, declared in content.items():
            where = f"{operation.pointer}/requestBody/content/{media_type.replace('/', '~1')}/schema"
            body = _parsed(traffic.request_body, media_type)
            if body is _UNREADABLE:
                yield Violation(
                    "request",
                    where,
                    shown(traffic.request_body[:VALUE_LIMIT].decode("latin-1")),
                    f"the body is not {media_type}",
                )
            else:
                yield from self._validate(declared["schema"], body, where, "request")

    def _response(self, operation: _Operation, traffic: RecordedExchange) -> Iterator[Violation]:
        status = str(traffic.status)
        answers = operation.spec["responses"]
        if status not in answers:
            declared = ", ".join(answers)
            yield Violation("response", f"{operation.pointer}/responses", status, f"status not among {declared}")
            return
        answer = answers[status]
        where = f"{operation.pointer}/responses/{status}"
        for name, spec in answer.get("headers", {}).items():
            if spec.get("required") and _absent(name, traffic.response_headers):
                yield Violation("response", f"{where}/headers/{name}", "(absent)", f"required header {name} is missing")
        declared = answer.get("content", {}).get("application/json")
        if declared is not None and traffic.response_body:
            body = _parsed(traffic.response_body, "application/json")
            if body is _UNREADABLE:
                yield Violation(
                    "response",
                    where,
                    shown(traffic.response_body[:VALUE_LIMIT].decode("latin-1")),
                    "the body is not JSON",
                )
            else:
                yield from self._validate(
                    declared["schema"], body, f"{where}/content/application~1json/schema", "response"
                )

    # -- a mock delivering a webhook ---------------------------------------------------------------

    def _judge_webhook(self, traffic: RecordedExchange) -> list[Violation]:
        system = traffic.system.split("-")[0]
        body = _parsed(traffic.request_body, "application/json")
        topic = traffic.request_headers.get("shipbob-topic", "")
        if system == "salesforce" and isinstance(body, dict):
            topic = str(body.get("schema", ""))
        key = f"{system}:{topic}" if f"{system}:{topic}" in EVENT_SCHEMAS else system
        validator = self._event_validators.get(key)
        if validator is None:
            return []
        if body is _UNREADABLE:
            return [
                Violation(
                    "webhook",
                    EVENT_SCHEMAS[key],
                    shown(traffic.request_body[:80].decode("latin-1")),
                    "the body is not JSON",
                )
            ]
        return [
            Violation(
                "webhook",
                f"{EVENT_SCHEMAS[key]}#/{'/'.join(map(str, error.absolute_schema_path))}",
                shown(error.instance),
                f"at /{'/'.join(map(str, error.absolute_path))}: {error.message[:200]}",
            )
            for error in validator.iter_errors(body)
        ]


_UNREADABLE = object()


def _absent(name: str, recorded: Mapping[str, str]) -> bool:
    """Missing from what was recorded, for a header the recorder keeps (others are never seen)."""
    return name.lower() in KEPT_HEADERS and name.lower() not in recorded


def _parsed(raw: bytes, media_type: str) -> Any:
    if media_type == "application/x-www-form-urlencoded":
        return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return _UNREADABLE
