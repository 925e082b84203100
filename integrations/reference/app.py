"""The integration as an ASGI app: the webhook receivers in front, the inbox worker behind them, and
the availability poll (W2) beside them.

One receiver per system (Salesforce for W1; the ERP, the WMS and the carrier for W3-W5) validates
a delivery against its contract, stores it in the one inbox with its source, and answers at once;
the worker routes each delivery to its workflow by that source.

``build_app`` takes the pieces a flawed integration replaces, so that each flawed variant is this
app with one realistic bug and a few lines of code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from integrations.reference.availability import Availability
from integrations.reference.cancellation import Cancellation
from integrations.reference.change_events import (
    CASE_CHANNEL,
    CaseChangeEvent,
    InvalidEvent,
    OrderChangeEvent,
    parse_salesforce_event,
)
from integrations.reference.database import open_database
from integrations.reference.erp import Erp
from integrations.reference.fulfilment import Fulfilment
from integrations.reference.fulfilment_events import (
    CARRIER_TOPICS_ACTED_ON,
    ERP_TOPICS_ACTED_ON,
    SIGNATURE_HEADER,
    WMS_TOPIC_HEADER,
    WMS_TOPICS_ACTED_ON,
    BadSignature,
    ErpEvent,
    TrackerEvent,
    parse_carrier_event,
    parse_erp_event,
    parse_wms_event,
    verify_carrier_signature,
    wms_event_key,
)
from integrations.reference.inbox import Delivery, Inbox
from integrations.reference.ledger import FulfilmentLedger, Ledger
from integrations.reference.locks import OneAtATime
from integrations.reference.order_capture import OrderCapture
from integrations.reference.retrying import PermanentFailure
from integrations.reference.returns import Returns
from integrations.reference.salesforce import Salesforce
from integrations.reference.settings import Settings
from integrations.reference.wms import Wms
from integrations.reference.worker import Worker

log = logging.getLogger(__name__)

STATE_FILE = "integration.sqlite"
_TIMEOUTS = httpx.Timeout(5.0, connect=2.0)
"""Every call has a deadline: a hung system costs a worker slot five seconds, not forever."""
_LIMITS = httpx.Limits(max_connections=16, max_keepalive_connections=16)
ERP_NEXT = "erp-next"
"""The successor ERP account of a cutover, as its events name it."""
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
    fulfilment: type[Fulfilment] = Fulfilment,
    returns: type[Returns] = Returns,
    cancellation: type[Cancellation] = Cancellation,
    availability: type[Availability] = Availability,
    transport: httpx.AsyncBaseTransport | None = None,
    read_carrier_event: Callable[[bytes], tuple[TrackerEvent, dict[str, Any]]] = parse_carrier_event,
) -> FastAPI:
    """The integration, configured.

    ``deduplicate_events=False`` stores every delivery of an event as a new one; ``order_capture``
    replaces W1, ``fulfilment`` W3 to W5, ``returns`` W6, ``availability`` W2, ``cancellation`` what
    answers a customer's request to cancel. ``transport`` carries the calls to
    Salesforce and the ERP (tests route them to in-process fakes); by default they go over the network.
    ``read_carrier_event`` reads a signed carrier event's body.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        database = open_database(settings.state_dir / STATE_FILE)
        try:
            async with (
                httpx.AsyncClient(timeout=_TIMEOUTS, limits=_LIMITS, transport=transport) as salesforce_http,
                httpx.AsyncClient(timeout=_TIMEOUTS, limits=_LIMITS, transport=transport) as erp_http,
                httpx.AsyncClient(timeout=_TIMEOUTS, limits=_LIMITS, transport=transport) as wms_http,
            ):
                salesforce = Salesforce(
                    salesforce_http,
                    login_url=settings.salesforce_url,
                    client_id=settings.salesforce_client_id,
                    client_secret=settings.salesforce_client_secret,
                )
                erp = Erp(
                    erp_http,
                    url=settings.erp_url,
                    client_id=settings.erp_client_id,
                    client_secret=settings.erp_client_secret,
                )
                successors = {}
                if settings.erp_next_url and settings.erp_next_client_id and settings.erp_next_client_secret:
                    successors[ERP_NEXT] = Erp(
                        erp_http,
                        url=settings.erp_next_url,
                        client_id=settings.erp_next_client_id,
                        client_secret=settings.erp_next_client_secret,
                    )
                wms = None
                if settings.wms_url and settings.wms_token and settings.wms_channel_id:
                    wms = Wms(
                        wms_http, url=settings.wms_url, token=settings.wms_token, channel_id=settings.wms_channel_id
                    )
                releases, released = OneAtATime(), FulfilmentLedger(database)
                shipping = fulfilment(salesforce, erp, wms, released, releases, successors)
                stopping = cancellation(salesforce, shipping.erps, wms, released, releases)
                capture = order_capture(salesforce, erp, Ledger(database), successors.get(ERP_NEXT), stopping)
                refunds = returns(salesforce, erp, wms, OneAtATime(), successors.get(ERP_NEXT))

                async def apply(delivery: Delivery) -> None:
                    message = json.loads(delivery.body)
                    if delivery.source == "salesforce" and delivery.topic == CASE_CHANNEL:
                        await refunds.handle_case(CaseChangeEvent.from_message(message))
                    elif delivery.source == "salesforce":
                        await capture.handle(OrderChangeEvent.from_message(message))
                    elif delivery.source == "erp":
                        await shipping.handle_erp(ErpEvent.from_message(message))
                    elif delivery.source == "wms" and delivery.topic == "order_shipped":
                        await shipping.handle_order_shipped(message)
                    elif delivery.source == "wms" and delivery.topic == "return.completed":
                        await refunds.handle_return_completed(message)
                    elif delivery.source == "carrier":
                        await shipping.handle_tracker(TrackerEvent.from_message(message))
                    else:
                        raise PermanentFailure(f"no workflow for {delivery.source} {delivery.topic or ''}".strip())

                inbox = Inbox(database)
                worker = Worker(inbox, apply)
                app.state.running = _Running(inbox=inbox, worker=worker)
                worker.start()
                polling = None
                if settings.availability_poll is not None:
                    w2 = availability(
                        salesforce, erp, interval=settings.availability_poll, successor=successors.get(ERP_NEXT)
                    )
                    polling = asyncio.create_task(w2.run())
                try:
                    yield
                finally:
                    if polling is not None:
                        polling.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await polling
                    await worker.stop(grace=_STOP_GRACE)
        finally:
            database.close()

    app = FastAPI(title="rehearse reference integration", lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/webhooks/salesforce")
    async def receive_salesforce_event(request: Request) -> JSONResponse:
        """Accepts an order or case change event into the inbox and answers at once; the worker applies it.

        Only a durably stored event is acknowledged. If storing fails the answer is 503, so the
        sender delivers again later, and never a 500 page with a traceback.
        """
        running: _Running = request.app.state.running
        try:
            replay_id, channel, message = parse_salesforce_event(await request.body())
            stored = running.inbox.accept(
                json.dumps(message),
                event_key=f"salesforce/{replay_id}" if deduplicate_events else None,
                now=time.time(),
                topic=channel,
            )
        except InvalidEvent as invalid:
            return JSONResponse({"error": "invalid_event", "detail": str(invalid)}, status_code=400)
        except Exception:
            log.exception("could not accept a Salesforce webhook")
            return JSONResponse({"error": "unavailable"}, status_code=503)
        if stored:
            running.worker.wake()
        return JSONResponse({"accepted": True, "duplicate": not stored})

    def store(request: Request, message: Any, *, source: str, key: str, topic: str | None = None) -> JSONResponse:
        """Stores a validated delivery for the worker; 503 (so the sender retries) if that fails."""
        running: _Running = request.app.state.running
        try:
            stored = running.inbox.accept(
                json.dumps(message),
                event_key=key if deduplicate_events else None,
                now=time.time(),
                source=source,
                topic=topic,
            )
        except Exception:
            log.exception("could not accept a %s webhook", source)
            return JSONResponse({"error": "unavailable"}, status_code=503)
        if stored:
            running.worker.wake()
        return JSONResponse({"accepted": True, "duplicate": not stored})

    def refused(invalid: Exception) -> JSONResponse:
        return JSONResponse({"error": "invalid_event", "detail": str(invalid)}, status_code=400)

    def ignored() -> JSONResponse:
        """A valid event no workflow acts on: acknowledged, so the sender stops, and not stored."""
        return JSONResponse({"accepted": True, "ignored": True})

    @app.post("/webhooks/erp")
    async def receive_erp_event(request: Request) -> JSONResponse:
        try:
            event, message = parse_erp_event(await request.body())
        except InvalidEvent as invalid:
            return refused(invalid)
        if event.event_type not in ERP_TOPICS_ACTED_ON:
            return ignored()
        return store(request, message, source="erp", key=f"erp/{event.event_id}", topic=event.event_type)

    @app.post("/webhooks/wms")
    async def receive_wms_event(request: Request) -> JSONResponse:
        body = await request.body()
        topic = request.headers.get(WMS_TOPIC_HEADER)
        try:
            message = parse_wms_event(topic, body)
        except InvalidEvent as invalid:
            return refused(invalid)
        assert topic is not None
        if topic not in WMS_TOPICS_ACTED_ON:
            return ignored()
        return store(request, message, source="wms", key=wms_event_key(topic, body), topic=topic)

    @app.post("/webhooks/carrier")
    async def receive_carrier_event(request: Request) -> JSONResponse:
        """EasyPost events are signed; an unsigned or wrongly signed one is refused with 401 before
        its body is even read as JSON, since nothing unauthenticated should reach the inbox."""
        body = await request.body()
        secret = settings.carrier_webhook_secret
        if secret is None:
            log.error("a carrier webhook arrived but REHEARSE_CARRIER_WEBHOOK_SECRET is not set")
            return JSONResponse({"error": "unavailable"}, status_code=503)
        try:
            verify_carrier_signature(body, request.headers.get(SIGNATURE_HEADER), secret)
        except BadSignature as bad:
            return JSONResponse({"error": "invalid_signature", "detail": str(bad)}, status_code=401)
        try:
            event, message = read_carrier_event(body)
        except InvalidEvent as invalid:
            return refused(invalid)
        if event.description not in CARRIER_TOPICS_ACTED_ON:
            return ignored()
        return store(request, message, source="carrier", key=f"carrier/{event.event_id}", topic=event.description)

    return app
