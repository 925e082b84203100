"""The worker: takes due deliveries from the inbox and applies them, a few at a time.

It sleeps until a webhook wakes it or the poll interval passes (when rescheduled deliveries may
have come due), so an idle integration costs nothing and a new event starts within a loop tick.
What is in progress is only held in memory: after a restart everything not ``done`` or
``failed`` is simply pending again, and since every step is idempotent, redoing it is safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from integrations.reference.inbox import Delivery, Inbox
from integrations.reference.retrying import DELIVERY_BACKOFF, Backoff, PermanentFailure, TransientFailure

log = logging.getLogger(__name__)

Handle = Callable[[Delivery], Awaitable[None]]


class Worker:
    def __init__(
        self,
        inbox: Inbox,
        handle: Handle,
        *,
        slots: int = 8,
        backoff: Backoff = DELIVERY_BACKOFF,
        poll_interval: float = 0.25,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``clock`` is wall time, not monotonic: ``next_attempt_at`` must mean the same after a restart."""
        self._inbox = inbox
        self._handle = handle
        self._slots = slots
        self._backoff = backoff
        self._poll_interval = poll_interval
        self._clock = clock
        self._woken = asyncio.Event()
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._loop: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        """Something may be due now (a delivery arrived): look without waiting for the poll."""
        self._woken.set()

    def start(self) -> None:
        self._loop = asyncio.create_task(self._run(), name="inbox worker")

    async def stop(self, grace: float) -> None:
        """Stops taking deliveries, lets those in progress finish for ``grace`` seconds, then cancels
        the rest: they stay pending in the inbox and are taken up again on the next start."""
        self._stopping = True
        self.wake()
        if self._loop is not None:
            await self._loop
        in_flight = list(self._in_flight.values())
        if not in_flight:
            return
        _, unfinished = await asyncio.wait(in_flight, timeout=grace)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)

    async def _run(self) -> None:
        while not self._stopping:
            self._woken.clear()
            free = self._slots - len(self._in_flight)
            try:
                due = self._inbox.due(self._clock(), limit=free, busy=self._in_flight.keys()) if free else []
            except Exception:  # the state file is unreadable for now; the next tick tries again
                log.exception("cannot read the inbox")
                due = []
            for delivery in due:
                self._start(delivery)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_interval):
                    await self._woken.wait()

    def _start(self, delivery: Delivery) -> None:
        task = asyncio.create_task(self._process(delivery), name=f"delivery {delivery.number}")
        self._in_flight[delivery.number] = task

        def finished(_: asyncio.Task[None]) -> None:
            del self._in_flight[delivery.number]
            self.wake()  # a slot is free

        task.add_done_callback(finished)

    async def _process(self, delivery: Delivery) -> None:
        """Applies one delivery and records the outcome.

        An exception that is neither kind of failure is a bug or a surprise from a vendor; the
        delivery is retried with backoff rather than dropped, so fixing the code and restarting
        still captures the order.
        """
        try:
            await self._handle(delivery)
        except TransientFailure as failure:
            self._retry_later(delivery, str(failure), failure.retry_after)
        except PermanentFailure as failure:
            log.error("delivery %d failed for good: %s", delivery.number, failure)
            self._inbox.give_up(delivery.number, reason=str(failure))
        except Exception as error:
            log.exception("delivery %d: unexpected error", delivery.number)
            self._retry_later(delivery, repr(error), None)
        else:
            self._inbox.complete(delivery.number)

    def _retry_later(self, delivery: Delivery, reason: str, retry_after: float | None) -> None:
        delay = self._backoff.delay(delivery.attempts, retry_after)
        log.warning(
            "delivery %d: retrying in %.1fs after attempt %d: %s", delivery.number, delay, delivery.attempts + 1, reason
        )
        self._inbox.retry_later(delivery.number, at=self._clock() + delay, reason=reason)
