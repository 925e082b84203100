"""An authorised conversation with one system: its bearer token, its one refresh on 401, its retries.

Salesforce and the ERP differ in where the token comes from and how errors read; everything else
about calling them (headers, deadlines, what is retried and how) is the same, and lives here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from integrations.reference.retrying import (
    CALL_RETRIES,
    UNSTATED_RATE_LIMIT_WAIT,
    CallRetries,
    Failure,
    PermanentFailure,
    TransientFailure,
    describe,
    failure_for,
    is_rate_limit,
)

CORRELATION_HEADER = "X-Correlation-Id"


@dataclass(frozen=True)
class Grant:
    """A bearer token and the base URL it is good for (Salesforce names its instance on login)."""

    access_token: str
    base_url: str
    expires_at: float | None = None
    """``time.monotonic()`` past which the token is not used; ``None`` when only a 401 tells."""

    def usable(self) -> bool:
        return self.expires_at is None or time.monotonic() < self.expires_at


Authenticate = Callable[[str | None], Awaitable[Grant]]
"""Obtains a new grant; given the correlation id of the call that needed it, for the trace."""

ErrorCodes = Callable[[httpx.Response], list[str]]
"""Reads the vendor's error codes out of an error response."""


async def request_token(
    http: httpx.AsyncClient, url: str, form: Mapping[str, str], correlation_id: str | None
) -> dict[str, Any]:
    """POSTs an OAuth token request and returns the token response's JSON.

    A refusal (400/401: wrong client id or secret, grant type not allowed) is permanent: the
    credentials will not become right by waiting. Anything else failing is as transient as for
    any other call.
    """
    headers = {CORRELATION_HEADER: correlation_id} if correlation_id else {}
    try:
        response = await http.post(url, data=dict(form), headers=headers)
    except httpx.TransportError as error:
        raise TransientFailure(f"POST {url}: {error!r}") from error
    if response.status_code in (400, 401):
        raise PermanentFailure(f"credentials refused: {describe(response, [])}")
    failure = failure_for(response, [])
    if failure is not None:
        raise failure
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise TransientFailure(f"unreadable token response: {describe(response, [])}")
    return body


class Session:
    def __init__(
        self,
        http: httpx.AsyncClient,
        authenticate: Authenticate,
        error_codes: ErrorCodes,
        *,
        retries: CallRetries = CALL_RETRIES,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._authenticate = authenticate
        self._error_codes = error_codes
        self._retries = retries
        self._sleep = sleep
        self._clock = clock
        self._held_until = 0.0
        self._held_because = ""
        self._grant: Grant | None = None
        self._grant_lock = asyncio.Lock()

    async def request(
        self,
        method: str,
        path: str,
        *,
        correlation_id: str,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        expected: Collection[int] = (),
    ) -> httpx.Response:
        """Sends ``method path`` until it succeeds, fails permanently, or runs out of quick retries.

        On a 401 the token is refreshed and the call repeated once; a second 401 is not retried
        here, since a brand-new token being refused will not change within milliseconds.
        ``expected`` lists error statuses that are answers rather than failures (a 404 when looking
        a record up, a 422 naming a duplicate): they are returned for the caller to read.
        """
        refreshed = False
        attempt = 0
        while True:
            await self._wait_for_the_limit(method, path)
            failure: Failure | None
            try:
                response = await self._send(method, path, correlation_id, json, headers)
            except TransientFailure as transient:
                failure = transient
            else:
                if response.status_code in expected:
                    return response
                if response.status_code == 401:
                    self._forget_token_of(response)
                    if not refreshed:
                        refreshed = True
                        continue
                    raise TransientFailure(describe(response, self._error_codes(response)))
                codes = self._error_codes(response)
                failure = failure_for(response, codes)
                if failure is None:
                    return response
                if isinstance(failure, TransientFailure) and is_rate_limit(response, codes):
                    self._hold(failure)
            if not isinstance(failure, TransientFailure):
                raise failure
            delay = self._retries.backoff.delay(attempt, failure.retry_after)
            attempt += 1
            if attempt >= self._retries.attempts or delay > self._retries.backoff.cap:
                raise failure
            await self._sleep(delay)

    def _hold(self, limited: TransientFailure) -> None:
        """A rate limit is the account's, so every call to the system waits it out, not only the
        refused one: without a ``Retry-After`` (NetSuite's concurrency 429 has none) for
        ``UNSTATED_RATE_LIMIT_WAIT``, with one for as long as it says."""
        wait = limited.retry_after if limited.retry_after is not None else UNSTATED_RATE_LIMIT_WAIT
        until = self._clock() + wait
        if until > self._held_until:
            self._held_until, self._held_because = until, str(limited)

    async def _wait_for_the_limit(self, method: str, path: str) -> None:
        """Sleeps out a short hold; a long one fails the call unsent, so the delivery is rescheduled
        past it rather than holding a worker (or hammering a system that said "not now")."""
        left = self._held_until - self._clock()
        if left <= 0:
            return
        if left > self._retries.backoff.cap:
            raise TransientFailure(f"{method} {path} not sent: held {left:.1f}s by {self._held_because}", left)
        await self._sleep(left)

    async def _send(
        self, method: str, path: str, correlation_id: str, json: Any, extra_headers: Mapping[str, str] | None
    ) -> httpx.Response:
        grant = await self._current_grant(correlation_id)
        headers = {
            **(extra_headers or {}),
            "Authorization": f"Bearer {grant.access_token}",
            CORRELATION_HEADER: correlation_id,
        }
        try:
            return await self._http.request(method, grant.base_url + path, headers=headers, json=json)
        except httpx.TransportError as error:
            raise TransientFailure(f"{method} {path}: {error!r}") from error

    async def _current_grant(self, correlation_id: str) -> Grant:
        """One token for all concurrent calls; the lock makes a burst of 401s cost a single login."""
        async with self._grant_lock:
            if self._grant is None or not self._grant.usable():
                self._grant = await self._authenticate(correlation_id)
            return self._grant

    def _forget_token_of(self, response: httpx.Response) -> None:
        """Drops the token a refused request carried, unless a concurrent call already replaced it."""
        used = response.request.headers.get("Authorization")
        if self._grant is not None and used == f"Bearer {self._grant.access_token}":
            self._grant = None
