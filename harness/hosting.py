"""Serves each mock on its own loopback port inside the harness's asyncio loop.

Each system gets its own base URL, as in real life. Sockets are bound here rather than by uvicorn
so that a port in use fails at once with the system's name, and port 0 can report what it picked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

LOOPBACK = "127.0.0.1"


class HostingError(RuntimeError):
    pass


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the harness (several share one loop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class MockServer:
    """One mock's HTTP server on 127.0.0.1."""

    def __init__(self, system: str, app: ASGIApp, port: int = 0) -> None:
        self.system = system
        self.app = app
        self.requested_port = port
        self.port = port
        self._socket: socket.socket | None = None
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def bind(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, self.requested_port))
        except OSError as exc:
            sock.close()
            raise HostingError(
                f"cannot serve mock {self.system} on {LOOPBACK}:{self.requested_port}: {exc.strerror or exc}"
                " (pick another port, or 0 for any free one)"
            ) from exc
        sock.listen(2048)
        sock.setblocking(False)
        self._socket = sock
        self.port = sock.getsockname()[1]

    async def start(self, timeout: float = 10.0) -> None:
        if self._socket is None:
            self.bind()
        assert self._socket is not None
        config = uvicorn.Config(
            self.app,
            log_level=logging.WARNING,
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
            backlog=2048,
        )
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[self._socket]), name=f"mock-{self.system}")
        deadline = asyncio.get_running_loop().time() + timeout
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise HostingError(f"mock {self.system} stopped while starting")
            if asyncio.get_running_loop().time() > deadline:
                raise HostingError(f"mock {self.system} did not start within {timeout} s")
            await asyncio.sleep(0.01)

    async def stop(self, timeout: float = 5.0) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except TimeoutError:
            self._server.force_exit = True
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self.release()

    def release(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def bind_all(servers: list[MockServer]) -> None:
    """Bind every port first, so a clash is reported before anything starts serving."""
    try:
        for server in servers:
            server.bind()
    except HostingError:
        for server in servers:
            server.release()
        raise
