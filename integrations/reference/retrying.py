"""When to try again and how long to wait: the one retry policy for every system the integration calls.

Failures come in two kinds. A transient one (no connection, a timeout, a 5xx, a rate limit, a
locked row) says nothing about the request, so the same request may succeed later; a permanent
one (any other 4xx) will fail the same way every time, and retrying it only adds load. Waits grow
exponentially with *full jitter* (a uniform draw between zero and the exponential bound), so many
clients failing together do not retry together; a server's ``Retry-After`` is a floor, never
undercut. Retrying is only safe because every call the integration repeats is idempotent.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Collection
from dataclasses import dataclass

import httpx

RATE_LIMIT_ERROR_CODE = "REQUEST_LIMIT_EXCEEDED"
TRANSIENT_ERROR_CODES = frozenset({RATE_LIMIT_ERROR_CODE, "UNABLE_TO_LOCK_ROW"})
"""Vendor error codes that mean "not now" whatever the HTTP status (Salesforce sends the first as 403)."""


class Failure(Exception):
    """A call to another system did not have its effect (or may not have: the response was lost)."""


class TransientFailure(Failure):
    """Worth trying again later; ``retry_after`` is the server's own floor for "later", in seconds."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentFailure(Failure):
    """Will fail the same way however often it is tried; only a change of data or code fixes it."""


@dataclass(frozen=True)
class Backoff:
    base: float
    cap: float

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt + 1``.

        With a ``Retry-After`` the server has said when; a little jitter on top (never below it)
        keeps everything it throttled at once from coming back in the same instant.
        """
        if retry_after is not None:
            return retry_after + random.uniform(0, self.base)
        return random.uniform(0, min(self.cap, self.base * 2 ** min(attempt, 64)))


@dataclass(frozen=True)
class CallRetries:
    """Retries inside one call: a few quick ones for blips, so a slow outage is the inbox's business.

    A wait longer than ``backoff.cap`` (a long ``Retry-After``) is not slept inside the call: the
    failure goes up and the delivery is rescheduled, so a throttled system does not hold a worker.
    """

    attempts: int
    backoff: Backoff


UNSTATED_RATE_LIMIT_WAIT = 0.25
"""Seconds every call to a system waits after a rate limit that names no ``Retry-After`` (NetSuite's
concurrency 429): long enough for requests in flight to finish, short enough not to idle."""

CALL_RETRIES = CallRetries(attempts=4, backoff=Backoff(base=0.1, cap=2.0))
DELIVERY_BACKOFF = Backoff(base=0.5, cap=30.0)
"""Between attempts at a whole delivery; capped low because a rehearsal compresses hours into minutes."""


def retry_after_seconds(response: httpx.Response) -> float | None:
    """``Retry-After`` as seconds from now; it may be a number of seconds or an HTTP date."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def failure_for(response: httpx.Response, error_codes: Collection[str]) -> Failure | None:
    """What an answer means for retrying; ``None`` when the call worked.

    A 401 reaching here already had its one token refresh (see ``session``), so it is treated as
    transient: the delivery comes back later with a new session rather than being given up.
    """
    status = response.status_code
    if status < 400:
        return None
    reason = describe(response, error_codes)
    if status in (429, 503) or TRANSIENT_ERROR_CODES.intersection(error_codes):
        return TransientFailure(reason, retry_after_seconds(response))
    if status >= 500 or status in (401, 408):
        return TransientFailure(reason)
    return PermanentFailure(reason)


def is_rate_limit(response: httpx.Response, error_codes: Collection[str]) -> bool:
    """A refusal for the account's sake, not the request's: a 429, or Salesforce's 403 with
    ``REQUEST_LIMIT_EXCEEDED``. It applies to every call to that system, not only this one."""
    return response.status_code == 429 or RATE_LIMIT_ERROR_CODE in error_codes


def describe(response: httpx.Response, error_codes: Collection[str]) -> str:
    """One log-friendly line: which call, which answer, and the start of the vendor's explanation."""
    request = response.request
    codes = f" {','.join(error_codes)}" if error_codes else ""
    body = " ".join(response.text[:200].split())
    return f"{request.method} {request.url.path} answered {response.status_code}{codes}: {body}"
