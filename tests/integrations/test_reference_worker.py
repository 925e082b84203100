"""The inbox worker: bounded concurrency, woken at once by a delivery, and a stop that never hangs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from pathlib import Path

import pytest
from sut_doubles import wait_until

from integrations.reference.database import open_database
from integrations.reference.inbox import Delivery, Inbox
from integrations.reference.retrying import Backoff
from integrations.reference.worker import Handle, Worker

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def running_worker(
    tmp_path: Path, handle: Handle, *, poll_interval: float
) -> AsyncIterator[tuple[Inbox, Worker]]:
    with closing(open_database(tmp_path / "state.sqlite")) as database:
        inbox = Inbox(database)
        worker = Worker(inbox, handle, slots=3, backoff=Backoff(base=60, cap=60), poll_interval=poll_interval)
        worker.start()
        try:
            yield inbox, worker
        finally:
            async with asyncio.timeout(5):
                await worker.stop(grace=0.05)


def stored(tmp_path: Path) -> list[tuple[str, int]]:
    with closing(open_database(tmp_path / "state.sqlite")) as database:
        return database.execute("SELECT state, attempts FROM inbox ORDER BY delivery").fetchall()


async def test_stopping_never_hangs_even_when_woken_at_the_same_moment(tmp_path: Path) -> None:
    async def handle(delivery: Delivery) -> None:
        return None

    with closing(open_database(tmp_path / "state.sqlite")) as database:
        inbox = Inbox(database)
        for round_ in range(200):
            inbox.accept("{}", event_key=None, now=0)
            worker = Worker(inbox, handle, poll_interval=0.001)
            worker.start()
            for _ in range(round_ % 5):
                await asyncio.sleep(0)
            worker.wake()
            async with asyncio.timeout(2):
                await worker.stop(grace=1)


async def test_a_delivery_is_taken_up_at_once_not_at_the_next_poll(tmp_path: Path) -> None:
    handled: list[float] = []

    async def handle(delivery: Delivery) -> None:
        handled.append(time.monotonic())

    async with running_worker(tmp_path, handle, poll_interval=60) as (inbox, worker):
        await asyncio.sleep(0.05)  # the worker has looked, found nothing, and sleeps on its 60 s poll
        accepted = time.monotonic()
        inbox.accept("{}", event_key="salesforce/1", now=time.time())
        worker.wake()
        await wait_until(lambda: len(handled) == 1, "the delivery is handled", timeout=2)
    assert handled[0] - accepted < 1


async def test_no_more_deliveries_are_in_progress_than_there_are_slots(tmp_path: Path) -> None:
    release = asyncio.Event()
    in_progress: set[int] = set()
    most = 0

    async def handle(delivery: Delivery) -> None:
        nonlocal most
        in_progress.add(delivery.number)
        most = max(most, len(in_progress))
        await release.wait()
        in_progress.discard(delivery.number)

    async with running_worker(tmp_path, handle, poll_interval=0.01) as (inbox, worker):
        for replay_id in range(7):
            inbox.accept("{}", event_key=f"salesforce/{replay_id}", now=time.time())
        worker.wake()
        await wait_until(lambda: len(in_progress) == 3, "all slots are busy")
        await asyncio.sleep(0.05)  # several polls go by with every slot busy
        assert most == 3
        release.set()
        await wait_until(lambda: [state for state, _ in stored(tmp_path)] == ["done"] * 7, "all are done")
    assert most == 3


async def test_a_delivery_cut_short_by_a_stop_is_pending_for_the_next_start(tmp_path: Path) -> None:
    started = asyncio.Event()

    async def handle(delivery: Delivery) -> None:
        started.set()
        await asyncio.Event().wait()  # a call that would outlive the stop's grace

    async with running_worker(tmp_path, handle, poll_interval=0.01) as (inbox, worker):
        inbox.accept("{}", event_key="salesforce/1", now=time.time())
        worker.wake()
        async with asyncio.timeout(2):
            await started.wait()
    assert stored(tmp_path) == [("pending", 0)]


async def test_an_unexpected_error_reschedules_the_delivery_instead_of_dropping_it(tmp_path: Path) -> None:
    async def handle(delivery: Delivery) -> None:
        raise KeyError("tranId")

    async with running_worker(tmp_path, handle, poll_interval=0.01) as (inbox, worker):
        inbox.accept("{}", event_key="salesforce/1", now=time.time())
        worker.wake()
        await wait_until(lambda: stored(tmp_path) == [("pending", 1)], "the delivery is rescheduled")
