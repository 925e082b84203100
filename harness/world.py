"""One simulated world per run: a SimPy environment driven from the asyncio loop the mocks serve in.

SimPy is synchronous and asyncio is not; they meet here. The driver sleeps on the loop until the
next SimPy event is due on the wall clock, so HTTP handlers run in the gaps. A handler that arrives
between events calls :meth:`World.sync` first: due events are processed and the environment's
``now`` is moved up to the wall clock's simulated present, so what it reads and schedules is
relative to the right instant. Nothing busy-waits.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

import simpy

from harness.clock import Clock

T = TypeVar("T")

_YIELD_EVERY = 500
"""Events processed back to back before the driver lets the loop serve requests."""


class SimEnvironment(simpy.Environment):
    """A SimPy environment whose clock can be moved up to an instant with no event in it."""

    def advance_to(self, t: float) -> None:
        if t < self._now:
            return
        if self.peek() < t:
            raise RuntimeError("events are due before the instant to advance to")
        self._now = t


class IOResult:
    """What an awaitable handed to the World came back with: a value or the exception."""

    __slots__ = ("error", "value")

    def __init__(self, value: Any = None, error: BaseException | None = None) -> None:
        self.value = value
        self.error = error

    @property
    def ok(self) -> bool:
        return self.error is None


class World:
    """The SimPy environment, the clock, the seed's random streams and the run's recorder."""

    def __init__(self, clock: Clock, seed: int) -> None:
        self.env = SimEnvironment()
        self.clock = clock
        self.seed = seed
        self._streams: dict[str, random.Random] = {}
        self._wake: asyncio.Future[None] | None = None
        self._stepping = False
        self._pending_io = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopped = False

    # -- randomness ---------------------------------------------------------------------------

    def rng(self, stream: str) -> random.Random:
        """A random stream of its own per purpose, so one generator's draws never shift another's."""
        rng = self._streams.get(stream)
        if rng is None:
            rng = self._streams[stream] = random.Random(f"{self.seed}/{stream}")
        return rng

    # -- time ---------------------------------------------------------------------------------

    def now(self) -> float:
        return self.sync()

    def sync(self) -> float:
        """Bring the environment up to the wall clock's present (no-op in virtual time)."""
        if self.clock.virtual or not self.clock.started or self._stepping:
            return self.env.now
        t = self.clock.now()
        self._step_through(t)
        self.env.advance_to(t)
        return self.env.now

    # -- scheduling ---------------------------------------------------------------------------

    def process(self, generator: Generator[simpy.Event, Any, Any]) -> simpy.Process:
        """Start a SimPy process at the environment's now; the driver re-plans its next wake-up.

        Code entering from outside SimPy (an HTTP handler) calls :meth:`sync` first, once, so that
        everything it schedules is relative to the one instant it saw.
        """
        proc = self.env.process(generator)
        self.wake()
        return proc

    def call_later(self, delay: float, action: Callable[[], None]) -> None:
        """Run ``action`` after ``delay`` simulated seconds."""

        def _story() -> Generator[simpy.Event, Any, None]:
            yield self.env.timeout(delay)
            action()

        self.process(_story())

    def await_io(self, make: Callable[[], Awaitable[T]]) -> simpy.Event:
        """Run real I/O from a SimPy process: the returned event succeeds with an :class:`IOResult`.

        In virtual time the world stands still until the I/O is done, which keeps virtual runs
        deterministic whatever the I/O's wall duration.
        """
        event = self.env.event()
        self._pending_io += 1

        async def _run() -> None:
            try:
                result = IOResult(await make())
            except Exception as exc:
                result = IOResult(error=exc)
            finally:
                self._pending_io -= 1
            self.sync()
            event.succeed(result)
            self.wake()

        self.spawn(_run())
        return event

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """Start an asyncio task the world keeps a reference to (and cancels at the end)."""
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def pending_io(self) -> int:
        return self._pending_io

    def wake(self) -> None:
        """Tell a sleeping driver that the schedule changed."""
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    def stop(self) -> None:
        self._stopped = True
        self.wake()

    # -- the driver ---------------------------------------------------------------------------

    async def run_until(self, until: float) -> None:
        """Process events up to simulated ``until``, in step with the wall clock unless virtual."""
        self._stopped = False
        if not self.clock.virtual and not self.clock.started:
            self.clock.start(self.env.now)
        loop = asyncio.get_running_loop()
        while not self._stopped:
            nxt = self.env.peek()
            if self.clock.virtual:
                if self._pending_io:
                    await self._sleep(loop, None)
                    continue
                if nxt > until:
                    self.env.advance_to(until)
                    return
                await self._step_batch(nxt)
                continue
            present = self.clock.now()
            if nxt <= present and nxt <= until:
                await self._step_batch(min(present, until))
                continue
            if present >= until:
                self.env.advance_to(until)
                return
            target = min(nxt, until)
            await self._sleep(loop, self.clock.wall_at(target) - self.clock.wall_at(present))

    async def _step_batch(self, through: float) -> None:
        """Process events due at or before ``through``, letting the loop breathe now and then."""
        for _ in range(_YIELD_EVERY):
            if self.env.peek() > through:
                break
            self._step()
        await asyncio.sleep(0)

    def _step_through(self, t: float) -> None:
        while self.env.peek() <= t:
            self._step()

    def _step(self) -> None:
        self._stepping = True
        try:
            self.env.step()
        finally:
            self._stepping = False

    async def _sleep(self, loop: asyncio.AbstractEventLoop, seconds: float | None) -> None:
        self._wake = loop.create_future()
        handle = None
        if seconds is not None and not math.isinf(seconds):
            handle = loop.call_later(max(seconds, 0.0), self.wake)
        try:
            await self._wake
        finally:
            if handle is not None:
                handle.cancel()
            self._wake = None

    async def close(self) -> None:
        """Cancel the world's own asyncio tasks (in-flight deliveries) and wait for them to end."""
        self.stop()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
