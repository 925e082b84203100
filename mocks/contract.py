"""How a mock states its vendor's contract on its own FastAPI routes.

The mocks read their bodies by hand (to answer bad input in the vendor's words, never FastAPI's), so
FastAPI alone would publish an OpenAPI with no parameters, no bodies and a framework 422 no mock
ever sends. Each route instead declares, through ``Vendor.operation``, what the vendor documents:
its parameters and body, its success answers with their headers, and which of the vendor's errors it
gives. ``Vendor.openapi`` then adds what belongs to the whole API (auth schemes, the answers any
request may get under load or an outage) and removes FastAPI's framework leftovers.
The committed ``contracts/openapi/<system>.json`` is that document, and the mocks are tested
against it.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

JSON = "application/json"
Schema = dict[str, Any]


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(required: Sequence[str] = (), **properties: Schema) -> Schema:
    """An object with these properties; others allowed (vendors add fields without notice)."""
    out: Schema = {"type": "object", "properties": properties}
    if required:
        out["required"] = list(required)
    return out


def array(items: Schema, **extra: Any) -> Schema:
    return {"type": "array", "items": items, **extra}


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}


def header(schema: Schema, description: str, *, required: bool = True) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": schema}


@dataclass(frozen=True, slots=True)
class Answer:
    """One response an operation gives: its body schema (None: no body) and headers."""

    description: str
    schema: Schema | None = None
    headers: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    media_type: str = JSON

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {"description": self.description}
        if self.schema is not None:
            out["content"] = {self.media_type: {"schema": self.schema}}
        if self.headers:
            out["headers"] = dict(self.headers)
        return out


RETRY_AFTER = {"Retry-After": header({"type": "string", "pattern": "^[0-9]+$"}, "Seconds to wait", required=False)}
"""How every vendor here asks a client to come back later (a rate limit, an outage): in whole seconds."""


def error_answers(
    described: Mapping[int, str],
    body: Schema,
    *,
    retry_after: Collection[int],
    own: Mapping[int, Answer] | None = None,
) -> Callable[[int], Answer]:
    """A ``Vendor.error``: the vendor's error body under each status's description, with ``Retry-After``
    on the statuses in ``retry_after``; ``own`` holds the statuses the vendor answers otherwise (a bare 401)."""

    def error(status: int) -> Answer:
        if own and status in own:
            return own[status]
        return Answer(described[status], body, RETRY_AFTER if status in retry_after else {})

    return error


def oauth2(description: str, token_url: str, flows: Sequence[str] = ("clientCredentials",)) -> dict[str, Any]:
    """An OAuth 2.0 security scheme whose flows all take their token from ``token_url``."""
    return {
        "type": "oauth2",
        "description": description,
        "flows": {flow: {"tokenUrl": token_url, "scopes": {}} for flow in flows},
    }


def bearer(description: str) -> dict[str, Any]:
    return {"type": "http", "scheme": "bearer", "description": description}


def parameter(
    name: str, where: str, schema: Schema, description: str, *, required: bool = False, example: Any = None
) -> dict[str, Any]:
    declared = {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "schema": schema,
        "description": description,
    }
    if example is not None:
        declared["example"] = example
    return declared


@dataclass(frozen=True, slots=True)
class Vendor:
    """One vendor's conventions: its auth, its error body per status, and what every answer carries."""

    security_schemes: Mapping[str, dict[str, Any]]
    security: Sequence[Mapping[str, Sequence[str]]]
    error: Callable[[int], Answer]
    """The vendor's error answer for a status (its body shape, and headers such as Retry-After)."""
    any_request: Sequence[int] = ()
    """Statuses any authorised request may get whatever it asks: rate limits, outages, faults."""
    every_answer_headers: Callable[[str], Mapping[str, dict[str, Any]]] = lambda path: {}
    """Headers on every response of a path, errors included (Salesforce's ``Sforce-Limit-Info``)."""
    servers: Sequence[Mapping[str, Any]] = ()

    def operation(
        self,
        summary: str,
        ok: Mapping[int, Answer],
        errors: Sequence[int] = (),
        *,
        parameters: Sequence[dict[str, Any]] = (),
        body: Schema | None = None,
        form: Schema | None = None,
        public: bool = False,
        links: Mapping[int, Mapping[str, Any]] | None = None,
        own_errors: Mapping[int, Answer] | None = None,
        operation_id: str | None = None,
        example: Any = None,
    ) -> dict[str, Any]:
        """Keyword arguments for a FastAPI route decorator: ``@app.post(path, **vendor.operation(...))``.

        ``ok`` lists the success answers (the first is the route's status code); ``errors`` the
        vendor errors the route itself gives; ``public`` marks routes that need no credentials (the
        token endpoint); ``own_errors`` answers that are not the vendor's usual error body.
        """
        responses: dict[str, Any] = {}
        for status, answer in ok.items():
            responses[str(status)] = answer.render()
        statuses = [*errors, *([] if public else self.any_request)]
        for status in statuses:
            responses[str(status)] = self.error(status).render()
        for status, answer in (own_errors or {}).items():
            responses[str(status)] = answer.render()
        for status, link in (links or {}).items():
            responses[str(status)]["links"] = dict(link)
        extra: dict[str, Any] = {}
        if parameters:
            extra["parameters"] = list(parameters)
        for media_type, schema in ((JSON, body), ("application/x-www-form-urlencoded", form)):
            if schema is not None:
                content: dict[str, Any] = {"schema": schema}
                if example is not None:
                    content["example"] = example
                extra["requestBody"] = {"required": True, "content": {media_type: content}}
        if public:
            extra["security"] = []
        declared: dict[str, Any] = {
            "summary": summary,
            "status_code": next(iter(ok)),
            "responses": {int(status): answer for status, answer in responses.items()},
            "openapi_extra": extra,
        }
        if operation_id is not None:
            declared["operation_id"] = operation_id
        return declared

    def publish(self, app: FastAPI, description: str, shared: Mapping[str, Schema]) -> None:
        """Serve the vendor's document as the app's ``/openapi.json`` (and ``app.openapi()``).

        ``shared`` names the bodies many operations share (the error body, a record): the document
        states each once under ``components`` and refers to it, as a vendor's own reference does.
        """
        app.openapi = lambda: self.openapi(app, description, shared)  # type: ignore[method-assign]

    def openapi(self, app: FastAPI, description: str, shared: Mapping[str, Schema]) -> dict[str, Any]:
        """The app's OpenAPI 3.1 document as the vendor's: what ``rehearse contracts export`` writes."""
        document = copy.deepcopy(
            get_openapi(
                title=app.title,
                version=app.version,
                openapi_version="3.1.0",
                description=description,
                routes=app.routes,
            )
        )
        for path, methods in document["paths"].items():
            for operation in methods.values():
                _drop_framework_validation(operation)
                _last_parameter_wins(operation)
                for answer in operation["responses"].values():
                    if "$ref" in answer:
                        continue
                    headers = self.every_answer_headers(path)
                    if headers:
                        answer["headers"] = {**headers, **answer.get("headers", {})}
        components = document.setdefault("components", {})
        schemas = components.get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        components["schemas"] = {**schemas, **shared}
        components["headers"] = _hoisted(document, shared)
        components["parameters"] = _hoisted_parameters(document)
        components["responses"] = _hoisted_errors(document)
        components["securitySchemes"] = dict(self.security_schemes)
        document["security"] = [dict(s) for s in self.security]
        if self.servers:
            document["servers"] = [dict(s) for s in self.servers]
        return document


def _drop_framework_validation(operation: dict[str, Any]) -> None:
    """FastAPI documents a 422 with its own body for routes with parameters; the mocks never send it."""
    answer = operation["responses"].get("422", {})
    schema = answer.get("content", {}).get(JSON, {}).get("schema", {})
    if schema.get("$ref", "").endswith("/HTTPValidationError"):
        del operation["responses"]["422"]


def _last_parameter_wins(operation: dict[str, Any]) -> None:
    """A declared path parameter (with the vendor's pattern) replaces the bare one FastAPI derives."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for param in operation.get("parameters", []):
        seen[(param["name"], param["in"])] = param
    if seen:
        operation["parameters"] = list(seen.values())


def _hoisted(document: dict[str, Any], shared: Mapping[str, Schema]) -> dict[str, Any]:
    """Refer to ``shared`` bodies and to headers that recur under one name; returns those headers."""
    names = {json.dumps(schema, sort_keys=True): name for name, schema in shared.items()}
    headers: dict[str, Any] = {}
    for methods in document["paths"].values():
        for operation in methods.values():
            bodies = [*operation["responses"].values(), operation.get("requestBody", {})]
            for media in (m for body in bodies for m in body.get("content", {}).values()):
                name = names.get(json.dumps(media.get("schema"), sort_keys=True))
                if name is not None:
                    media["schema"] = {"$ref": f"#/components/schemas/{name}"}
            for answer in operation["responses"].values():
                for header, declared in answer.get("headers", {}).items():
                    if headers.setdefault(header, declared) == declared:
                        answer["headers"][header] = {"$ref": f"#/components/headers/{header}"}
    return headers


def _hoisted_parameters(document: dict[str, Any]) -> dict[str, Any]:
    """Refer to parameters that recur unchanged (the API version, the object name); returns them."""
    found: dict[str, Any] = {}
    for methods in document["paths"].values():
        for operation in methods.values():
            for index, declared in enumerate(operation.get("parameters", [])):
                name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{declared['in']}.{declared['name']}")
                if found.setdefault(name, declared) == declared:
                    operation["parameters"][index] = {"$ref": f"#/components/parameters/{name}"}
    return found


def _hoisted_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Refer to error answers that are the same wherever they occur (a 401, a 503); returns them."""
    found: dict[str, Any] = {}
    for methods in document["paths"].values():
        for operation in methods.values():
            for status, answer in operation["responses"].items():
                if status >= "400" and found.setdefault(f"Error{status}", answer) == answer:
                    operation["responses"][status] = {"$ref": f"#/components/responses/Error{status}"}
    return found
