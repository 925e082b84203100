"""Records every HTTP exchange a mock serves, as pure ASGI middleware.

Pure ASGI rather than Starlette's BaseHTTPMiddleware: the latter buffers through an extra task per
request and costs a large share of a mock's throughput.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harness.activity import Activity
from harness.recorder import DIRECTION_TO_MOCK, Exchange, Recorder
from harness.world import World

KEPT_HEADERS = frozenset(
    {
        "content-type",
        "location",
        "retry-after",
        "idempotency-key",
        "x-correlation-id",
        "sforce-limit-info",
        "prefer",
        "shipbob_channel_id",
        "x-hmac-signature",
    }
)
"""Headers worth keeping in the History; credentials are never recorded."""

BUSINESS_KEYS = "rehearse.business_keys"
"""Scope entry where a mock's handler lists the business keys an exchange touched."""


def tag(scope: Any, *keys: str) -> None:
    """Let a handler name the business keys (order ids, SKUs) its exchange is about."""
    bucket = scope.get(BUSINESS_KEYS)
    if bucket is not None:
        bucket.extend(k for k in keys if k)


def _kept(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        if key in KEPT_HEADERS:
            kept[key] = value.decode("latin-1")
    return kept


class ExchangeCapture:
    def __init__(self, app: ASGIApp, *, system: str, world: World, recorder: Recorder, activity: Activity) -> None:
        self.app = app
        self.system = system
        self.world = world
        self.recorder = recorder
        self.activity = activity

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.activity.sut_request(scope["method"], scope.get("path", ""))
        started = time.perf_counter()
        wall = time.time()
        sim = self.world.sync()
        request_body = bytearray()
        response_body = bytearray()
        response: dict[str, Any] = {}
        keys: list[str] = []
        scope[BUSINESS_KEYS] = keys

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request_body.extend(message.get("body", b""))
            return message

        async def send_and_keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                response_body.extend(message.get("body", b""))
            await send(message)

        error: str | None = None
        try:
            await self.app(scope, receive_and_keep, send_and_keep)
        except BaseException as exc:
            error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            request_headers = _kept(scope.get("headers", []))
            self.recorder.exchange(
                Exchange(
                    system=self.system,
                    direction=DIRECTION_TO_MOCK,
                    method=scope["method"],
                    path=scope["path"],
                    query=scope.get("query_string", b"").decode("latin-1"),
                    status=None if error else response.get("status"),
                    request_headers=request_headers,
                    request_body=bytes(request_body),
                    response_headers=_kept(response.get("headers", [])),
                    response_body=bytes(response_body),
                    sim_time=sim,
                    wall_time=wall,
                    latency_ms=(time.perf_counter() - started) * 1000,
                    correlation_id=request_headers.get("x-correlation-id"),
                    business_keys=keys,
                    error=error,
                )
            )
