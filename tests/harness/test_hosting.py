"""Serving mocks: a client that hangs up mid-request, or a request still waiting when the run ends,
is not a crash."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from harness.hosting import MockServer, _EndsQuietly


def reads_its_body() -> FastAPI:
    """Like every mock: reads the body, and answers anything unexpected in the vendor's shape."""
    app = FastAPI()

    @app.post("/query")
    async def query(request: Request) -> dict[str, Any]:
        return {"size": len(await request.body())}

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": type(exc).__name__}, status_code=500)

    return app


def hang_up(app: Any) -> list[dict[str, Any]]:
    """Sends the request's head, then the client is gone before its body arrives."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/query",
        "raw_path": b"/query",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"20")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 2),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def test_a_client_gone_before_its_body_is_forgotten_not_reported_as_a_crash() -> None:
    with pytest.raises(ClientDisconnect):
        hang_up(reads_its_body())  # what uvicorn would log as "Exception in ASGI application"
    hang_up(_EndsQuietly(reads_its_body(), lambda: False))


def test_a_request_still_waiting_when_the_server_stops_ends_before_stop_returns(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """As the ERP mock's queue behind its concurrency limit can: the request's own cleanup (where
    the run records it) must happen while the run is still open, and quietly."""
    ended: list[str] = []
    waiting = asyncio.Event()

    async def waits_forever(scope: Any, receive: Any, send: Any) -> None:
        try:
            waiting.set()
            await asyncio.Event().wait()
        finally:
            ended.append(scope["path"])

    async def rehearse() -> None:
        server = MockServer("erp", waits_forever)
        await server.start()
        async with httpx.AsyncClient(timeout=10) as client:
            call = asyncio.create_task(client.get(f"{server.base_url}/queued"))
            await asyncio.wait_for(waiting.wait(), 10)
            await server.stop(timeout=0.2)
            assert ended == ["/queued"]
            assert (await asyncio.wait_for(call, 10)).status_code == 503

    with caplog.at_level(logging.ERROR):
        asyncio.run(rehearse())
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert "ERROR" not in capsys.readouterr().err
