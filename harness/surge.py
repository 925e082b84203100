"""What a surge did to the systems, in a few numbers for the verdict's metrics.

The WMS backlog (shipments waiting for or in the crew's hands) grows while orders arrive faster
than the floor works them and drains after; the ERP slows (its request workers queue) and then
refuses (429 beyond its concurrency limit). The figures come from the History alone, so
``rehearse report`` and ``rehearse diff`` read the same ones the run wrote.
"""

from __future__ import annotations

import math
from typing import Any

from harness.history import History
from harness.recorder import DIRECTION_TO_MOCK

DRAINED_SHARE = 0.1
"""The backlog counts as drained once it is back under this share of its peak."""


def surge_metrics(history: History) -> dict[str, Any]:
    samples = [
        (event.sim_time, int((event.payload or {}).get("wms_backlog", 0)))
        for event in history.events(system="harness", kind="load")
    ]
    peak_at, peak = max(samples, key=lambda s: (s[1], -s[0]), default=(None, 0))
    drained_at = None
    if peak_at is not None and peak > 0:
        drained_at = next((t for t, n in samples if t > peak_at and n <= peak * DRAINED_SHARE), None)
    latencies: list[float] = []
    throttled = 0
    for exchange in history.exchange_outlines():
        if exchange.direction != DIRECTION_TO_MOCK or exchange.system != "erp":
            continue
        if exchange.status == 429:
            throttled += 1
        elif exchange.latency_ms is not None:
            latencies.append(exchange.latency_ms)
    latencies.sort()
    return {
        "wms_backlog_peak": peak,
        "wms_backlog_peak_at_s": peak_at,
        "wms_backlog_drained_at_s": drained_at,
        "erp_throttled_429": throttled,
        "erp_latency_p50_ms": _percentile(latencies, 0.5),
        "erp_latency_p95_ms": _percentile(latencies, 0.95),
        "erp_latency_max_ms": latencies[-1] if latencies else None,
    }


def _percentile(ordered: list[float], share: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[max(math.ceil(share * len(ordered)) - 1, 0)], 1)
