"""Serves each mock on its own loopback port inside the harness's asyncio loop.

Each system gets its own base URL, as in real life. Sockets are bound here rather than by uvicorn
so that a port in use fails at once with the system's name, and port 0 can report what it picked.

A mock given the run's certificates also answers HTTPS, as the vendor does, on a second port over
the same app and state, and its base URL is the HTTPS one. The first port stays plain HTTP, so a
fixed ``--port`` keeps meaning what it meant: tools that cannot be given a CA bundle (curl in a
hurry, a SUT started by hand before the run's CA exists) still reach the mock there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import uvicorn
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from harness.tls import RunCertificates

LOOPBACK = "127.0.0.1"


class HostingError(RuntimeError):
    pass


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the harness (several share one loop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class _Listener:
    """One bound port and the uvicorn server on it."""

    def __init__(self, requested_port: int, tls: RunCertificates | None) -> None:
        self.requested_port = requested_port
        self.port = requested_port
        self.tls = tls
        self.socket: socket.socket | None = None
        self.server: _EmbeddedServer | None = None
        self.task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{LOOPBACK}:{self.port}"


def _presenting(tls: RunCertificates) -> Callable[[uvicorn.Config, Callable[[], ssl.SSLContext]], ssl.SSLContext]:
    """uvicorn's context factory, answering the run's in-memory context instead of reading key files."""

    def factory(_config: uvicorn.Config, _default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        return tls.server_context()

    return factory


class _EndsQuietly:
    """What is left of a request when the run ends is nobody's error: a client that hung up before
    its request was read (a SUT stopped mid-call), or a request still waiting in a mock (a queue
    behind an ERP concurrency limit) when the server stops. Without this uvicorn logs either as a
    crash with a traceback."""

    def __init__(self, app: ASGIApp, stopping: Callable[[], bool]) -> None:
        self.app = app
        self.stopping = stopping

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answered = False

        async def send_and_note(message: Message) -> None:
            nonlocal answered
            answered = answered or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except ClientDisconnect:
            pass
        except asyncio.CancelledError:
            if not self.stopping():
                raise
            if not answered:
                await send({"type": "http.response.start", "status": 503, "headers": _CUT_OFF_HEADERS})
            await send({"type": "http.response.body", "body": _CUT_OFF if not answered else b""})


_CUT_OFF = b"the rehearsal ended before this request was answered"
_CUT_OFF_HEADERS = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]


class MockServer:
    """One mock's HTTP server on 127.0.0.1 (plus an HTTPS twin when given certificates)."""

    def __init__(
        self,
        system: str,
        app: ASGIApp,
        port: int = 0,
        *,
        tls: RunCertificates | None = None,
        tls_port: int = 0,
    ) -> None:
        self.system = system
        self.app = app
        self._stopping = False
        self._plain = _Listener(port, None)
        self._main = self._plain
        self._listeners = [self._plain]
        if tls is not None:
            self._main = _Listener(tls_port, tls)
            self._listeners.append(self._main)

    @property
    def port(self) -> int:
        """The plain-HTTP port (the one ``--port SYSTEM=N`` fixes)."""
        return self._plain.port

    @property
    def base_url(self) -> str:
        """The URL a client should use: the HTTPS twin when the mock has certificates."""
        return self._main.url

    @property
    def plain_url(self) -> str:
        """Plain HTTP over the same app."""
        return self._plain.url

    def bind(self) -> None:
        for listener in self._listeners:
            if listener.socket is None:
                listener.socket = self._bind(listener.requested_port)
                listener.port = listener.socket.getsockname()[1]

    def _bind(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError as exc:
            sock.close()
            self.release()
            raise HostingError(
                f"cannot serve mock {self.system} on {LOOPBACK}:{port}: {exc.strerror or exc}"
                " (pick another port, or 0 for any free one)"
            ) from exc
        sock.listen(2048)
        sock.setblocking(False)
        return sock

    async def start(self, timeout: float = 10.0) -> None:
        self.bind()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for listener in self._listeners:
            assert listener.socket is not None
            tls = listener.tls
            config = uvicorn.Config(
                _EndsQuietly(self.app, lambda: self._stopping),
                log_level=logging.WARNING,
                access_log=False,
                lifespan="off",
                timeout_keep_alive=30,
                backlog=2048,
                ssl_context_factory=_presenting(tls) if tls else None,
            )
            listener.server = _EmbeddedServer(config)
            listener.task = asyncio.create_task(
                listener.server.serve(sockets=[listener.socket]), name=f"mock-{self.system}-{listener.port}"
            )
        for listener in self._listeners:
            assert listener.server is not None and listener.task is not None
            while not listener.server.started:
                if listener.task.done():
                    listener.task.result()
                    raise HostingError(f"mock {self.system} stopped while starting")
                if loop.time() > deadline:
                    raise HostingError(f"mock {self.system} did not start within {timeout} s")
                await asyncio.sleep(0.01)

    async def stop(self, timeout: float = 5.0) -> None:
        """Lets answers in flight finish for ``timeout`` s, then cuts off what is still waiting, so
        every request ends (and is recorded) while the run's recorder is still open."""
        self._stopping = True
        for listener in self._listeners:
            if listener.server is not None:
                listener.server.should_exit = True
        for listener in self._listeners:
            if listener.server is None or listener.task is None:
                continue
            try:
                await asyncio.wait_for(asyncio.shield(listener.task), timeout)
            except TimeoutError:
                await _cut_off(listener.server, timeout)
                listener.server.force_exit = True
                try:
                    await asyncio.wait_for(asyncio.shield(listener.task), timeout)
                except TimeoutError:
                    listener.task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await listener.task
        self.release()

    def release(self) -> None:
        for listener in self._listeners:
            if listener.socket is not None:
                listener.socket.close()
                listener.socket = None


async def _cut_off(server: uvicorn.Server, timeout: float) -> None:
    """Cancels the requests the server is still answering and waits (bounded) for them to end."""
    requests = list(server.server_state.tasks)
    for request in requests:
        request.cancel()
    if requests:
        await asyncio.wait(requests, timeout=timeout)


def bind_all(servers: list[MockServer]) -> None:
    """Bind every port first, so a clash is reported before anything starts serving."""
    try:
        for server in servers:
            server.bind()
    except HostingError:
        for server in servers:
            server.release()
        raise
