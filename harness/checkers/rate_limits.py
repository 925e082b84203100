"""Rate limits as the SUT met them: did it wait when a system said "not now", or keep hammering?

A refused request is not sent again before its ``Retry-After`` has passed, and a refusal without
one (NetSuite's concurrency 429 carries none) still asks for a pause, not the same request again
at once. Times are wall time: the SUT lives in it, and ``Retry-After`` is in it.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from harness.history import RecordedExchange

GRACE = 0.25
"""Wall seconds of slack at either end of a hold: the SUT learns of a refusal a moment after the
mock sent it, and ``Retry-After`` is rounded to whole seconds."""
HAMMER_WINDOW = 1.0
HAMMER_COUNT = 8
"""The same request refused more than this many times within ``HAMMER_WINDOW`` wall seconds is
hammering: a client that backs off even a tenth of a second at a time stays under it."""


def is_rate_limited(exchange: RecordedExchange) -> bool:
    if exchange.status == 429:
        return True
    return exchange.status == 403 and b"REQUEST_LIMIT_EXCEEDED" in exchange.response_body


@dataclass(frozen=True, slots=True)
class Hold:
    """From the refusal's answer until its ``Retry-After`` has passed, in wall seconds."""

    start: float
    end: float
    refusal: RecordedExchange


def holds(exchanges: Iterable[RecordedExchange]) -> list[Hold]:
    """The waits rate-limit refusals asked for, earliest first."""
    found = []
    for exchange in exchanges:
        if not is_rate_limited(exchange):
            continue
        retry_after = _seconds(exchange.response_header("retry-after"))
        if retry_after is None:
            continue
        answered = exchange.wall_time + (exchange.latency_ms or 0.0) / 1000
        found.append(Hold(answered, answered + retry_after, exchange))
    return sorted(found, key=lambda hold: hold.start)


def sent_during_holds(exchanges: list[RecordedExchange]) -> list[tuple[RecordedExchange, Hold]]:
    """Requests the SUT sent again while the ``Retry-After`` of their own refusal still ran, each
    with that refusal.

    Only the same request (method and path) counts: having been refused it, the SUT knew to wait.
    Other calls may still have been on their way when the refusal came back, however well the SUT
    holds its calls to a throttled system, and a slow machine can keep them on the way for a while.
    """
    waits: defaultdict[tuple[str, str], list[Hold]] = defaultdict(list)
    for hold in holds(exchanges):
        merged = waits[(hold.refusal.method, hold.refusal.path)]
        if merged and hold.start <= merged[-1].end:
            if hold.end > merged[-1].end:
                merged[-1] = Hold(merged[-1].start, hold.end, merged[-1].refusal)
        else:
            merged.append(hold)
    starts = {key: [hold.start for hold in merged] for key, merged in waits.items()}
    broken = []
    for exchange in exchanges:
        key = (exchange.method, exchange.path)
        if key not in waits:
            continue
        index = bisect.bisect_right(starts[key], exchange.wall_time - GRACE)
        if index and exchange.wall_time < waits[key][index - 1].end - GRACE:
            broken.append((exchange, waits[key][index - 1]))
    return broken


def hammered(exchanges: Iterable[RecordedExchange]) -> list[list[RecordedExchange]]:
    """Runs of the same request (method and path) refused for a rate limit more than
    ``HAMMER_COUNT`` times within ``HAMMER_WINDOW`` wall seconds, one run per request."""
    refused: defaultdict[tuple[str, str], list[RecordedExchange]] = defaultdict(list)
    for exchange in exchanges:
        if is_rate_limited(exchange):
            refused[(exchange.method, exchange.path)].append(exchange)
    runs = []
    for attempts in refused.values():
        attempts.sort(key=lambda x: x.wall_time)
        first = 0
        for last, exchange in enumerate(attempts):
            while exchange.wall_time - attempts[first].wall_time > HAMMER_WINDOW:
                first += 1
            if last - first + 1 > HAMMER_COUNT:
                runs.append(attempts[first : last + 1])
                break
    return runs


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
