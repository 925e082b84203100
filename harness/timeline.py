"""Time series of a run, bucketed over simulated time, computed from the History alone.

Reports draw these; ``rehearse diff`` compares their totals. Plots are checkers' siblings in the
Jepsen sense: views over the same History, never a second source of truth.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from dataclasses import dataclass, field

from harness.history import FaultWindow, History
from harness.recorder import DIRECTION_TO_MOCK, DIRECTION_TO_SUT

_TARGET_BUCKETS = 90


@dataclass(slots=True)
class Timeline:
    bucket: float
    """Width of one bucket, simulated seconds."""
    starts: list[float]
    orders_activated: list[int]
    sut_requests: dict[str, list[int]]
    sut_error_rate: dict[str, list[float]]
    mock_latency_p95_ms: list[float]
    webhook_backlog: list[int]
    capture_backlog: list[int]
    load: dict[str, list[float]] = field(default_factory=dict)
    """Sampled load per gauge (WMS backlog, ERP queue...), the last sample in each bucket."""
    faults: list[FaultWindow] = field(default_factory=list)
    latency_p95_ms_by_system: dict[str, list[float]] = field(default_factory=dict)
    """Per mock, the p95 latency of the SUT's requests in each bucket: the ERP slowing under a surge."""
    throttled: dict[str, list[int]] = field(default_factory=dict)
    """Per mock, the SUT's requests refused with 429 in each bucket (the ERP's concurrency limit)."""


def _bucket_width(span: float) -> float:
    raw = max(span, 60.0) / _TARGET_BUCKETS
    for nice in (1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if raw <= nice:
            return float(nice)
    return float(math.ceil(raw / 3600) * 3600)


def _pending_at(starts: list[float], ends: list[float], at: float) -> int:
    """How many intervals [start, end) contain ``at`` (end may be inf), given sorted lists."""
    return bisect.bisect_right(starts, at) - bisect.bisect_right(ends, at)


def build(history: History) -> Timeline:
    exchanges = history.exchange_outlines()
    events = list(history.events())
    span = max([history.last_sim_time()] + [e.sim_time for e in events] + [60.0])
    width = _bucket_width(span)
    count = int(span // width) + 1
    starts = [i * width for i in range(count)]

    def slot(t: float) -> int:
        return min(int(t // width), count - 1)

    activated = [0] * count
    activation_times: dict[str, float] = {}
    created_times: dict[str, float] = {}
    published: dict[str, float] = {}
    load: dict[str, list[float]] = {}
    for event in events:
        if event.kind == "order.activated" and event.business_key:
            activated[slot(event.sim_time)] += 1
            activation_times[event.business_key] = event.sim_time
        elif event.kind == "salesOrder.created" and event.business_key:
            created_times.setdefault(event.business_key, event.sim_time)
        elif event.kind == "outbox.published" and event.business_key and (event.payload or {}).get("receiver"):
            published[event.business_key] = event.sim_time
        elif event.kind == "load" and isinstance(event.payload, dict):
            for gauge in ("wms_backlog", "erp_queued", "erp_in_flight"):
                load.setdefault(gauge, [0.0] * count)[slot(event.sim_time)] = float(event.payload.get(gauge, 0))

    requests: defaultdict[str, list[int]] = defaultdict(lambda: [0] * count)
    failures: defaultdict[str, list[int]] = defaultdict(lambda: [0] * count)
    latencies: list[list[float]] = [[] for _ in range(count)]
    by_system: defaultdict[str, list[list[float]]] = defaultdict(lambda: [[] for _ in range(count)])
    throttled: defaultdict[str, list[int]] = defaultdict(lambda: [0] * count)
    first_accepted: dict[str, float] = {}
    for exchange in exchanges:
        index = slot(exchange.sim_time)
        if exchange.direction == DIRECTION_TO_MOCK:
            requests[exchange.system][index] += 1
            # 4xx answers are often expected (an eid: look-up that finds nothing); what hurts is 5xx,
            # throttling and no answer at all.
            if exchange.status is None or exchange.status >= 500 or exchange.status == 429:
                failures[exchange.system][index] += 1
            if exchange.status == 429:
                throttled[exchange.system][index] += 1
            if exchange.latency_ms is not None:
                latencies[index].append(exchange.latency_ms)
                by_system[exchange.system][index].append(exchange.latency_ms)
        elif (
            exchange.direction == DIRECTION_TO_SUT
            and exchange.correlation_id
            and exchange.status is not None
            and 200 <= exchange.status < 300
        ):
            first_accepted.setdefault(exchange.correlation_id, exchange.sim_time)

    def backlog(opened: dict[str, float], closed: dict[str, float]) -> list[int]:
        begin = sorted(opened.values())
        end = sorted(closed.get(key, math.inf) for key in opened)
        return [_pending_at(begin, end, start + width) for start in starts]

    return Timeline(
        bucket=width,
        starts=starts,
        orders_activated=activated,
        sut_requests=dict(requests),
        sut_error_rate={
            system: [f / r if r else 0.0 for f, r in zip(failures[system], counts, strict=True)]
            for system, counts in requests.items()
        },
        mock_latency_p95_ms=[_p95(b) for b in latencies],
        webhook_backlog=backlog(published, first_accepted),
        capture_backlog=backlog(activation_times, created_times),
        load=load,
        faults=history.faults(),
        latency_p95_ms_by_system={system: [_p95(b) for b in buckets] for system, buckets in by_system.items()},
        throttled=dict(throttled),
    )


def _p95(values: list[float]) -> float:
    return sorted(values)[max(math.ceil(0.95 * len(values)) - 1, 0)] if values else 0.0
