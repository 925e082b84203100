"""Rate limits retried at once: a retry layer under the HTTP client repeats every rate-limit refusal
immediately, up to twenty times, and never reads ``Retry-After``.

It is how many integrations are wired: a generic "retry on 429" setting in the HTTP stack (no
backoff factor, Retry-After not honoured) beneath code that otherwise backs off properly. It even
seems to help on a quiet day; in a surge it burns the org's allowance on refusals and keeps the ERP
at its concurrency limit.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from integrations.reference.app import build_app as build_reference_app
from integrations.reference.settings import Settings

RETRIES = 20


def rate_limited(response: httpx.Response) -> bool:
    """A 429, or Salesforce's 403 ``REQUEST_LIMIT_EXCEEDED`` (its body must have been read)."""
    return response.status_code == 429 or (
        response.status_code == 403 and b"REQUEST_LIMIT_EXCEEDED" in response.content
    )


class RetryAtOnce(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for _ in range(RETRIES):
            response = await self._inner.handle_async_request(request)
            if response.status_code == 403:
                await response.aread()
            if not rate_limited(response):
                return response
            await response.aclose()
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def build_app(settings: Settings) -> FastAPI:
    return build_reference_app(settings, transport=RetryAtOnce(httpx.AsyncHTTPTransport()))
