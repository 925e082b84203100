"""How the account behaves under load and during incidents, in front of every REST request.

A NetSuite account serves a limited number of requests at once. The mock models that in two
layers, so that a surge makes the ERP slow before it makes it fail:

1. **Capacity** (SimPy): the account has a few request workers; a request holds one for its
   service time, and waits for a free one when all are busy. Waiting is the latency that grows
   with load. (In virtual time there is no wall clock for a handler to wait on, so the model only
   applies when the world runs against the wall clock.)
2. **Concurrency governance**: requests in flight (waiting or served) beyond the account limit
   (15 for a base tier-1 account) are refused at once with 429 and NetSuite's error body.

Incidents are switched on and off by the fault layer through :class:`Incidents`: a maintenance
window answering 503, connections reset, requests hanging until the client gives up, and writes
that commit before their answer is lost.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Literal

import simpy
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harness.world import World
from mocks.erp.errors import NetSuiteError

IncidentKind = Literal["unavailable", "reset", "hang", "commit_then_fail"]
INCIDENT_KINDS: tuple[IncidentKind, ...] = ("unavailable", "reset", "hang", "commit_then_fail")
GOVERNED_PREFIX = "/services/rest/"
TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
REQUEST_TIMEOUT = 900.0
"""Simulated seconds NetSuite lets a request run before it times out (15 minutes): a hang's bound."""
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ConnectionDropped(Exception):
    """Raised after the response has started, so the server closes the connection mid-answer: the
    client sees a reset, not a status code."""


@dataclass(slots=True)
class Capacity:
    """The account's request workers as a SimPy resource."""

    world: World
    workers: int = 4
    service_time: float = 0.25
    """Simulated seconds one request occupies a worker at no load."""
    extra_latency: float = 0.0
    """Simulated seconds added to every request (a latency fault)."""
    _resource: simpy.Resource | None = None

    def serve(self) -> Generator[simpy.Event, Any, float]:
        """One request's time in the account as a SimPy process: queue for a worker, be served."""
        if self._resource is None:
            self._resource = simpy.Resource(self.world.env, capacity=self.workers)
        arrived = self.world.env.now
        with self._resource.request() as slot:
            yield slot
            yield self.world.env.timeout(self.service_time + self.extra_latency)
        return float(self.world.env.now - arrived)

    @property
    def queued(self) -> int:
        return 0 if self._resource is None else len(self._resource.queue)


@dataclass(slots=True)
class Incident:
    kind: IncidentKind
    probability: float
    until: float | None
    """Simulated end of the window, for ``Retry-After``; None when the fault layer ends it."""
    healed: asyncio.Event = field(default_factory=asyncio.Event)


class Incidents:
    """The fault API of one ERP account. One incident at a time; ``begin`` replaces the current one.

    - ``unavailable``: 503 in NetSuite's format (a maintenance window), with ``Retry-After`` in wall
      seconds when the window's end is known.
    - ``reset``: the connection is dropped without an answer.
    - ``hang``: the request waits until the incident ends, the client disconnects, or NetSuite's
      15-minute request timeout, then the connection is dropped.
    - ``commit_then_fail``: writes are applied, then the connection is dropped before the answer;
      reads are served normally.

    ``probability`` picks the affected requests from the seed's ``<system>.incidents`` stream.
    """

    def __init__(self, world: World, system: str) -> None:
        self.world = world
        self._rng: random.Random = world.rng(f"{system}.incidents")
        self.current: Incident | None = None
        self.counts: dict[str, int] = dict.fromkeys(INCIDENT_KINDS, 0)

    def begin(self, kind: IncidentKind, *, probability: float = 1.0, until: float | None = None) -> None:
        if kind not in INCIDENT_KINDS:
            raise ValueError(f"unknown ERP incident {kind!r} (known: {', '.join(INCIDENT_KINDS)})")
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability must be within [0, 1], got {probability}")
        self.end()
        self.current = Incident(kind, probability, until)

    def end(self) -> None:
        if self.current is not None:
            self.current.healed.set()
            self.current = None

    def strikes(self, method: str) -> Incident | None:
        incident = self.current
        if incident is None:
            return None
        if incident.until is not None and self.world.env.now >= incident.until:
            self.end()
            return None
        if incident.kind == "commit_then_fail" and method not in _WRITES:
            return None
        if incident.probability < 1.0 and self._rng.random() >= incident.probability:
            return None
        self.counts[incident.kind] += 1
        return incident


class Governor:
    """The account's gate in front of its REST API: incidents, concurrency governance, capacity.

    One per account: every app it wraps counts against the same limit, as every integration
    shares a NetSuite account's concurrency.
    """

    def __init__(self, world: World, capacity: Capacity, incidents: Incidents, *, concurrency_limit: int = 15) -> None:
        self.world = world
        self.capacity = capacity
        self.incidents = incidents
        self.concurrency_limit = concurrency_limit
        self.in_flight = 0
        self.stats = {"served": 0, "rejected": 0, "peak_in_flight": 0}

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """Pure ASGI middleware around ``app``."""

        async def governed(scope: Scope, receive: Receive, send: Send) -> None:
            path = scope.get("path", "")
            if scope["type"] != "http" or not path.startswith(GOVERNED_PREFIX):
                await app(scope, receive, send)
                return
            if path == TOKEN_PATH:
                # The whole host is down in an incident; sign-ins do not count against concurrency.
                self.world.sync()
                incident = self.incidents.strikes("GET")  # a sign-in commits nothing to lose
                if incident is not None:
                    await self._suffer(incident, receive, send)
                else:
                    await app(scope, receive, send)
                return
            await self._govern(app, scope, receive, send)

        return governed

    async def _govern(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        self.world.sync()
        incident = self.incidents.strikes(scope["method"])
        if incident is not None and incident.kind != "commit_then_fail":
            await self._suffer(incident, receive, send)
            return
        if self.in_flight >= self.concurrency_limit:
            self.stats["rejected"] += 1
            await _answer(send, concurrency_exceeded())
            return
        self.in_flight += 1
        self.stats["peak_in_flight"] = max(self.stats["peak_in_flight"], self.in_flight)
        try:
            await self._queue()
            if incident is not None:
                await app(scope, receive, _swallow)
                await _drop(send)
                return
            await app(scope, receive, send)
            self.stats["served"] += 1
        finally:
            self.in_flight -= 1

    async def _queue(self) -> None:
        """Wait, in wall time, for the SimPy capacity model to serve this request."""
        if self.world.clock.virtual or not self.world.clock.started:
            return
        served: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def done(_: simpy.Event) -> None:
            if not served.done():
                served.set_result(None)

        process = self.world.process(self.capacity.serve())
        process.callbacks.append(done)
        deadline = self.world.clock.wall_seconds(REQUEST_TIMEOUT) + 1.0
        try:
            await asyncio.wait_for(served, deadline)
        except TimeoutError:
            # Nothing drives the world (between phases, or shutting down): serve late rather than fail.
            return

    async def _suffer(self, incident: Incident, receive: Receive, send: Send) -> None:
        if incident.kind == "unavailable":
            headers = {}
            if incident.until is not None:
                remaining = self.world.clock.wall_seconds(max(incident.until - self.world.env.now, 0.0))
                headers["Retry-After"] = str(max(1, round(remaining)))
            await _answer(send, maintenance(), headers)
            return
        if incident.kind == "hang":
            await self._hang(incident, receive)
        await _drop(send)

    async def _hang(self, incident: Incident, receive: Receive) -> None:
        """Until the incident ends, the client goes away, or NetSuite's request timeout."""

        async def disconnected() -> None:
            while (await receive())["type"] != "http.disconnect":
                continue

        waits = [asyncio.ensure_future(incident.healed.wait()), asyncio.ensure_future(disconnected())]
        try:
            await asyncio.wait(
                waits,
                timeout=max(self.world.clock.wall_seconds(REQUEST_TIMEOUT), 1.0),
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for wait in waits:
                wait.cancel()


def concurrency_exceeded() -> NetSuiteError:
    """NetSuite's REST refusal over the concurrency limit. It carries no ``Retry-After``: Oracle's
    guidance ("Retrying Failed Web Services Requests") leaves the delay to the client, growing with
    each attempt and jittered across threads, and names none; so the mock sends none either."""
    return NetSuiteError(
        429,
        "CONCURRENCY_LIMIT_EXCEEDED",
        "Concurrent request limit exceeded. Request blocked.",
    )


def maintenance() -> NetSuiteError:
    return NetSuiteError(
        503,
        "SERVICE_UNAVAILABLE",
        "NetSuite is undergoing scheduled maintenance. Please try again later.",
    )


async def _answer(send: Send, error: NetSuiteError, headers: dict[str, str] | None = None) -> None:
    response = error.response()
    for name, value in (headers or {}).items():
        response.headers[name] = value
    await send({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


async def _swallow(_: Message) -> None:
    """The answer of a committed write that never reaches the client."""


async def _drop(send: Send) -> None:
    # A status line with a body promised and never sent: what the History records as the status
    # (with the error) and what no client ever reads.
    await send({"type": "http.response.start", "status": 503, "headers": [(b"content-length", b"1")]})
    raise ConnectionDropped("the ERP dropped the connection before answering")
