"""The integration as an ASGI app: the webhook receiver in front, the inbox worker behind it.

``build_app`` takes the pieces a flawed integration replaces, so that each flawed variant is this
app with one realistic bug and a few lines of code.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from integrations.reference.change_events import InvalidEvent, OrderChangeEvent, parse_order_change_event
from integrations.reference.database import open_database
from integrations.reference.erp import Erp
from integrations.reference.inbox import Delivery, Inbox
from integrations.reference.ledger import Ledger
from integrations.reference.order_capture import OrderCapture
from integrations.reference.salesforce import Salesforce
from integrations.reference.settings import Settings
from integrations.reference.worker import Worker

log = logging.getLogger(__name__)

STATE_FILE = "integration.sqlite"
_TIMEOUTS = httpx.Timeout(5.0, connect=2.0)
"""Every call has a deadline: a hung system costs a worker slot five seconds, not forever."""
_LIMITS = httpx.Limits(max_connections=16, max_keepalive_connections=16)
_STOP_GRACE = 2.0
"""Seconds in-progress deliveries get to finish on shutdown; rehearse's ``stop_grace`` is 5 by default."""


@dataclass(frozen=True)
class _Running:
    inbox: Inbox
    worker: Worker


def build_app(
    settings: Settings,
    *,
    deduplicate_events: bool = True,
    order_capture: type[OrderCapture] = OrderCapture,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The integration, configured.

    ``deduplicate_events=False`` stores every delivery of an event as a new one; ``order_capture``
    replaces W1. ``transport`` carries the calls to Salesforce and the ERP (tests route them to
    in-process fakes); by default they go over the network.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        database = open_database(settings.state_dir / STATE_FILE)
        try:
            async with (
                httpx.AsyncClient(timeout=_TIMEOUTS, limits=_LIMITS, transport=transport) as salesforce_http,
                httpx.AsyncClient(timeout=_TIMEOUTS, limits=_LIMITS, transport=transport) as erp_http,
            ):
                capture = order_capture(
                    Salesforce(
                        salesforce_http,
                        login_url=settings.salesforce_url,
                        client_id=settings.salesforce_client_id,
                        client_secret=settings.salesforce_client_secret,
                    ),
                    Erp(
                        erp_http,
                        url=settings.erp_url,
                        client_id=settings.erp_client_id,
                        client_secret=settings.erp_client_secret,
                    ),
                    Ledger(database),
                )

                async def apply(delivery: Delivery) -> None:
                    await capture.handle(OrderChangeEvent.from_message(json.loads(delivery.body)))

                inbox = Inbox(database)
                worker = Worker(inbox, apply)
                app.state.running = _Running(inbox=inbox, worker=worker)
                worker.start()
                try:
                    yield
                finally:
                    await worker.stop(grace=_STOP_GRACE)
        finally:
            database.close()

    app = FastAPI(title="rehearse reference integration", lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/webhooks/salesforce")
    async def receive_salesforce_event(request: Request) -> JSONResponse:
        """Accepts an order change event into the inbox and answers at once; the worker applies it.

        Only a durably stored event is acknowledged. If storing fails the answer is 503, so the
        sender delivers again later, and never a 500 page with a traceback.
        """
        running: _Running = request.app.state.running
        try:
            event, message = parse_order_change_event(await request.body())
            stored = running.inbox.accept(
                json.dumps(message),
                event_key=f"salesforce/{event.replay_id}" if deduplicate_events else None,
                now=time.time(),
            )
        except InvalidEvent as invalid:
            return JSONResponse({"error": "invalid_event", "detail": str(invalid)}, status_code=400)
        except Exception:
            log.exception("could not accept a Salesforce webhook")
            return JSONResponse({"error": "unavailable"}, status_code=503)
        if stored:
            running.worker.wake()
        return JSONResponse({"accepted": True, "duplicate": not stored})

    return app
