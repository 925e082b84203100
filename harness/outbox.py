"""The webhook outbox every mock shares: at-least-once delivery to the SUT in simulated time.

Each published event becomes one SimPy process per copy (faults may plan more than one copy); a
copy is attempted, and retried on the vendor's schedule until a 2xx or until the schedule runs out.
Every attempt is an exchange in the History. Which copies exist and when they leave is decided at
publish time from the seed, so the delivery schedule does not depend on how the SUT answers.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import simpy

from harness.activity import Activity
from harness.recorder import DIRECTION_TO_SUT, Exchange, Recorder
from harness.world import World

DELIVERY_TIMEOUT = 10.0
"""Wall seconds a SUT has to answer one delivery before it counts as failed."""


@dataclass(frozen=True, slots=True)
class Message:
    """One event a mock sends: the body is fixed at publish time; every copy is byte-identical."""

    system: str
    topic: str
    event_id: str
    body: bytes
    business_keys: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)


class DeliveryShaper(Protocol):
    """A fault on a webhook channel: how many copies leave, when, and which attempts fail."""

    def plan(self, message: Message, now: float, offsets: list[float]) -> list[float]:
        """The offsets (simulated seconds from now) of the copies to send, given those planned so far."""
        ...

    def intercept(self, message: Message, attempt: int, now: float) -> str | None:
        """A reason to fail this attempt without sending it, or None to send it."""
        ...


class Outbox:
    def __init__(
        self, world: World, recorder: Recorder, client: httpx.AsyncClient, activity: Activity | None = None
    ) -> None:
        self.world = world
        self.recorder = recorder
        self.client = client
        self.activity = activity or Activity()
        self._receivers: dict[str, str] = {}
        self._schedules: dict[str, tuple[float, ...]] = {}
        self._shapers: list[DeliveryShaper] = []
        self.in_flight = 0
        self.stats = {"published": 0, "copies": 0, "attempts": 0, "failed": 0, "delivered": 0, "exhausted": 0}

    def open_channel(self, system: str, retry_schedule: Sequence[float]) -> None:
        """Declare a system's webhook channel with the vendor's delays between attempts."""
        self._schedules[system] = tuple(retry_schedule)

    def set_receiver(self, system: str, url: str | None) -> None:
        if url is None:
            self._receivers.pop(system, None)
        else:
            self._receivers[system] = url

    def receiver(self, system: str) -> str | None:
        """Where the SUT receives this system's webhooks, once the run has started it."""
        return self._receivers.get(system)

    def add_shaper(self, shaper: DeliveryShaper) -> None:
        self._shapers.append(shaper)

    def publish(self, message: Message) -> None:
        """Queue an event for the SUT. With no receiver for the system, it is recorded only."""
        now = self.world.sync()
        if message.system not in self._schedules:
            raise KeyError(f"no webhook channel for system {message.system!r}")
        offsets = [0.0]
        for shaper in self._shapers:
            offsets = shaper.plan(message, now, offsets)
        receiver = self._receivers.get(message.system)
        self.stats["published"] += 1
        self.recorder.event(
            message.system,
            "outbox.published",
            message.event_id,
            {"topic": message.topic, "copies": offsets, "receiver": receiver},
            now,
        )
        if receiver is None:
            return
        for copy, offset in enumerate(offsets, start=1):
            self.stats["copies"] += 1
            self.world.process(self._deliver(message, receiver, copy, offset))

    def _deliver(self, message: Message, url: str, copy: int, offset: float) -> Generator[simpy.Event, Any, None]:
        env = self.world.env
        self.in_flight += 1
        try:
            if offset > 0:
                yield env.timeout(offset)
            schedule = self._schedules[message.system]
            for attempt in range(1, len(schedule) + 2):
                reason = self._intercepted(message, attempt)
                if reason is None:
                    result = yield self.world.await_io(partial(self._post, message, url, attempt))
                    if result.ok and result.value:
                        self.stats["delivered"] += 1
                        return
                else:
                    self._record_failure(message, url, reason)
                if attempt > len(schedule):
                    break
                yield env.timeout(schedule[attempt - 1])
            self.stats["exhausted"] += 1
            self.recorder.event(
                message.system, "outbox.exhausted", message.event_id, {"copy": copy, "url": url}, env.now
            )
        finally:
            self.in_flight -= 1

    def _intercepted(self, message: Message, attempt: int) -> str | None:
        now = self.world.env.now
        for shaper in self._shapers:
            reason = shaper.intercept(message, attempt, now)
            if reason is not None:
                return reason
        return None

    async def _post(self, message: Message, url: str, attempt: int) -> bool:
        """One attempt: True when the SUT answered 2xx."""
        self.stats["attempts"] += 1
        sim = self.world.sync()
        wall = time.time()
        started = time.perf_counter()
        headers = {
            "content-type": "application/json",
            "x-correlation-id": message.event_id,
            **message.headers,
        }
        status: int | None = None
        response_body = b""
        error: str | None = None
        try:
            response = await self.client.post(url, content=message.body, headers=headers, timeout=DELIVERY_TIMEOUT)
            status = response.status_code
            response_body = response.content
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        self.activity.delivered()
        ok = status is not None and 200 <= status < 300
        if not ok:
            self.stats["failed"] += 1
        self._record(
            message,
            url,
            sim_time=sim,
            wall_time=wall,
            status=status,
            request_headers=headers,
            response_body=response_body,
            latency_ms=(time.perf_counter() - started) * 1000,
            error=error,
        )
        return ok

    def _record_failure(self, message: Message, url: str, reason: str) -> None:
        self.stats["failed"] += 1
        self._record(message, url, sim_time=self.world.env.now, wall_time=time.time(), error=reason)

    def _record(self, message: Message, url: str, **outcome: Any) -> None:
        """One delivery attempt in the History, keyed by the event and the business keys it carries."""
        self.recorder.exchange(
            Exchange(
                system=message.system,
                direction=DIRECTION_TO_SUT,
                method="POST",
                path=urlsplit(url).path,
                request_body=message.body,
                correlation_id=message.event_id,
                business_keys=(message.event_id, *message.business_keys),
                **outcome,
            )
        )
