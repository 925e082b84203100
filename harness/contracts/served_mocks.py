"""The four mocks, seeded as a run seeds them, served on one loopback port for contract tools.

Pact's verifier and schemathesis each take one base URL, and the vendors' URL shapes never collide
(NetSuite under ``/services/rest``, Salesforce under ``/services``, ShipBob under ``/1.0``, EasyPost
under ``/v2``), so one port routes each request to its system by path. The server runs in a thread
of its own because the pact verifier blocks the caller's thread while it replays interactions.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

import scenarios
from harness.hosting import MockServer
from harness.recorder import Recorder
from harness.stage import Stage, build_stage

SCENARIO = "smoke"
"""Whose population seeds the mocks: a small catalogue and customer base, no faults."""
SEED = 1
ROUTES = (("/services/rest/", "erp"), ("/services/", "salesforce"), ("/1.0/", "wms"), ("/v2/", "carrier"))
"""Path prefix to system, most specific first."""
START_TIMEOUT = 10.0
T = TypeVar("T")


class SystemRouter:
    """ASGI: each request to the mock whose vendor owns that path; anything else is 404."""

    def __init__(self, apps: dict[str, ASGIApp]) -> None:
        self.apps = apps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            for prefix, system in ROUTES:
                if path.startswith(prefix) or path == prefix.rstrip("/"):
                    await self.apps[system](scope, receive, send)
                    return
            await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": f"no mock serves {path}".encode()})


class ServedMocks:
    """``with ServedMocks() as mocks: mocks.url ...``; ``mocks.stage`` is the state behind them."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="rehearse-contracts-")
        self.recorder = Recorder(Path(self._folder.name) / "history.sqlite")
        self._client = httpx.AsyncClient()
        self.stage: Stage = build_stage(
            scenarios.load(SCENARIO), seed=SEED, speed=None, recorder=self.recorder, client=self._client
        )
        router = SystemRouter({mock.system: self.stage.served_app(mock) for mock in self.stage.mocks})
        self._server = MockServer("mocks", router)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="served-mocks", daemon=True)

    @property
    def url(self) -> str:
        return self._server.base_url

    def call(self, action: Callable[[], T]) -> T:
        """Run ``action`` in the mocks' own thread, between requests, as a handler would change state."""

        async def _in_loop() -> T:
            return action()

        return asyncio.run_coroutine_threadsafe(_in_loop(), self._loop).result(START_TIMEOUT)

    def __enter__(self) -> ServedMocks:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._server.start(), self._loop).result(START_TIMEOUT)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self._shut_down(), self._loop).result(START_TIMEOUT)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(START_TIMEOUT)
            self._loop.close()
            self.recorder.close()
            self._folder.cleanup()

    async def _shut_down(self) -> None:
        await self._server.stop()
        await self.stage.world.close()
        await self._client.aclose()
