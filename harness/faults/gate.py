"""The fault gate: ASGI middleware in front of a mock that lets its API faults act on each request.

It sits inside the exchange capture, so the History records what the SUT actually saw.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harness.faults import Fault
from harness.faults.api import Answer, ApiFault, CommitThenFail, Hang, Reset, Wait, vendor_error
from harness.world import World


class ConnectionReset(Exception):
    """Raised after a response has started, so the server drops the connection mid-answer."""


class _QuietResets(logging.Filter):
    """A reset is the fault working, not an error of the harness: keep it out of the console."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionReset))


logging.getLogger("uvicorn.error").addFilter(_QuietResets())


class FaultGate:
    def __init__(self, app: ASGIApp, *, system: str, world: World, faults: Sequence[Fault]) -> None:
        self.app = app
        self.system = system
        self.world = world
        self.faults = [f for f in faults if isinstance(f, ApiFault)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.faults:
            await self.app(scope, receive, send)
            return
        now = self.world.sync()
        for fault in self.faults:
            if not fault.active(now):
                continue
            action = fault.decide(scope["method"], scope["path"], now)
            if action is None:
                continue
            if isinstance(action, Wait):
                await asyncio.sleep(action.seconds)
                continue
            await self._act(action, scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _act(
        self, action: Answer | Hang | Reset | CommitThenFail, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if isinstance(action, Answer):
            await _read_request(receive)
            await _answer(send, action)
        elif isinstance(action, Hang):
            if await _hang(receive, action.seconds):
                body = vendor_error(self.system, 503, None, "The server did not answer in time.")
                await _answer(send, Answer(503, body, ((b"content-type", b"application/json"),)))
        elif isinstance(action, Reset):
            await _read_request(receive)
            await _reset(send)
        else:
            await self.app(scope, receive, _swallow)
            if action.status is None:
                await _reset(send)
            else:
                body = vendor_error(self.system, action.status, None, "The request could not be completed.")
                await _answer(send, Answer(action.status, body, ((b"content-type", b"application/json"),)))


async def _swallow(message: Message) -> None:
    """The mock's own answer to a committed write, lost on the way back."""


async def _read_request(receive: Receive) -> None:
    """Take the whole request in before refusing it: the capture around the gate records a body as it
    is read, and a request refused unread was recorded empty (the contract checker then found the
    SUT's token requests during an ERP outage without their ``grant_type``)."""
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return
        more = bool(message.get("more_body", False))


async def _answer(send: Send, answer: Answer) -> None:
    headers = [*answer.headers, (b"content-length", str(len(answer.body)).encode())]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


async def _hang(receive: Receive, seconds: float) -> bool:
    """Hold the request until the window ends or the client disconnects; True if it is still there."""

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(disconnected(), timeout=seconds)
    except TimeoutError:
        return True
    return False


async def _reset(send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1048576")]})
    await send({"type": "http.response.body", "body": b"{", "more_body": True})
    raise ConnectionReset("connection reset by fault")
